"""Cached catalog reads (core.cache primitives, products/caching.py map); the storefront side: public/tests/test_caching.py."""
from decimal import Decimal as D

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from core import cache as page_cache
from products.caching import CATALOG
from products.models import Product, ProductImage
from products.services import product_update_inventory
from tests.factories import AdminFactory, CategoryFactory, ProductFactory, SupplierFactory, VariationFactory

pytestmark = pytest.mark.django_db
LIST = "/api/products/products/"
CATEGORIES = "/api/products/categories/"


def names(client, query=""):
    response = client.get(f"{LIST}{query}")
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def detail(client, product):
    response = client.get(f"{LIST}{product.pk}/")
    assert response.status_code == 200, response.content
    return response.json()


def test_cached_catalog_list_costs_no_query(api_client, django_assert_num_queries):
    ProductFactory(name="Ankara gown")
    first = api_client.get(f"{LIST}?search=ankara")
    with django_assert_num_queries(0):
        second = api_client.get(f"{LIST}?search=ankara")
    assert second.status_code == 200
    assert second.content == first.content
    assert second.json()["results"][0]["name"] == "Ankara gown"


def test_each_query_is_its_own_entry(api_client):
    ProductFactory(name="Ankara gown")
    ProductFactory(name="Leather sandals")
    assert names(api_client, "?search=ankara") == ["Ankara gown"]
    assert names(api_client, "?search=leather") == ["Leather sandals"]
    assert sorted(names(api_client)) == ["Ankara gown", "Leather sandals"]


def test_cached_detail_and_categories_cost_no_query(api_client, django_assert_num_queries):
    product = ProductFactory()
    api_client.get(f"{LIST}{product.pk}/")
    api_client.get(CATEGORIES)
    with django_assert_num_queries(0):
        assert api_client.get(f"{LIST}{product.pk}/").status_code == 200
        assert api_client.get(CATEGORIES).status_code == 200


def test_not_found_is_never_cached(api_client):
    product = ProductFactory(is_active=False)
    assert api_client.get(f"{LIST}{product.pk}/").status_code == 404
    product.is_active = True
    product.save()
    assert api_client.get(f"{LIST}{product.pk}/").status_code == 200


def test_price_change(api_client):
    product = ProductFactory(base_price=D("1000.00"))
    assert detail(api_client, product)["base_price"] == "1000.00"
    assert api_client.get(LIST).json()["results"][0]["base_price"] == "1000.00"
    product.base_price = D("1100.00")
    product.save()
    assert detail(api_client, product)["base_price"] == "1100.00"
    assert api_client.get(LIST).json()["results"][0]["base_price"] == "1100.00"


def test_stock_change_through_inventory_update(api_client):
    product = ProductFactory(stock_quantity=5)
    assert detail(api_client, product)["in_stock"] is True
    product_update_inventory(supplier=product.supplier, product_id=product.pk, stock_quantity=0, reason="sold out")
    assert detail(api_client, product)["in_stock"] is False
    assert names(api_client, "?in_stock=true") == []


def test_variation_and_image_changes(api_client):
    product = ProductFactory()
    assert detail(api_client, product)["primary_image"] is None
    ProductImage.objects.create(product=product, image="products/9/a.jpg", is_primary=True)
    assert detail(api_client, product)["primary_image"] == "http://testserver/media/products/9/a.jpg"
    variation = VariationFactory(product=product, price_modifier=D("50.00"))
    assert len(detail(api_client, product)["variations"]) == 1
    variation.is_active = False
    variation.save()
    assert detail(api_client, product)["variations"] == []


def test_supplier_verification_change(api_client):
    product = ProductFactory()
    assert names(api_client) == [product.name]
    product.supplier.verification_status = "rejected"
    product.supplier.save()
    assert names(api_client) == []


def test_new_product_and_bulk_upload_appear(api_client, auth_client):
    assert names(api_client) == []
    ProductFactory(name="Made one by one")
    assert names(api_client) == ["Made one by one"]
    supplier = SupplierFactory()
    response = auth_client(supplier.user).post("/api/suppliers/products/bulk_upload/", {"products": [
        {"name": "Bulk shea butter", "sku": "BULK-SHEA-1", "base_price": "1500.00", "stock_quantity": 3},
    ]}, format="json")
    assert response.status_code == 201, response.content
    assert sorted(names(api_client)) == ["Bulk shea butter", "Made one by one"]


def test_admin_bulk_deactivation(api_client):
    product = ProductFactory()
    assert names(api_client) == [product.name]
    admin_user = AdminFactory(is_superuser=True)
    request = RequestFactory().post("/admin/products/product/")
    request.user = admin_user
    model_admin = site._registry[Product]
    model_admin.message_user = lambda *args, **kwargs: None
    model_admin.deactivate_products(request, Product.objects.filter(pk=product.pk, is_active=True))
    assert names(api_client) == []


def test_category_rename_and_admin_view(api_client, auth_client):
    category = CategoryFactory(name="Phones", slug="phones")
    CategoryFactory(name="Hidden", slug="hidden", is_active=False)
    assert [c["name"] for c in api_client.get(CATEGORIES).json()] == ["Phones"]
    category.name = "Mobile phones"
    category.save()
    assert [c["name"] for c in api_client.get(CATEGORIES).json()] == ["Mobile phones"]
    # Admins see inactive categories too: never served from (or stored into) the public entry.
    admin = auth_client(AdminFactory())
    assert sorted(c["name"] for c in admin.get(CATEGORIES).json()) == ["Hidden", "Mobile phones"]
    assert [c["name"] for c in api_client.get(CATEGORIES).json()] == ["Mobile phones"]


def test_browsable_api_is_not_cached(api_client):
    ProductFactory()
    api_client.get(LIST)  # JSON, cached
    response = api_client.get(LIST, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_bump_happens_again_after_commit(django_capture_on_commit_callbacks):
    before = page_cache.current_tokens([CATALOG])[CATALOG]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        page_cache.bump(CATALOG)
    during = page_cache.current_tokens([CATALOG])[CATALOG]
    assert during != before
    assert len(callbacks) == 1
    callbacks[0]()
    after = page_cache.current_tokens([CATALOG])[CATALOG]
    assert after not in (before, during)
