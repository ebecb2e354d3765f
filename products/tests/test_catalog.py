"""GET /api/products/products/ (+ detail) and /api/products/categories/."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.models import Category
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    ProductFactory,
    SupplierFactory,
    SupplierUserFactory,
    VariationFactory,
)

from .factories import ProductImageFactory

pytestmark = pytest.mark.django_db
LIST = "/api/products/products/"
CATEGORIES = "/api/products/categories/"


def ids(response):
    return [row["id"] for row in response.json()["results"]]


def test_catalog_shows_only_active_products_of_verified_active_suppliers(api_client):
    visible = ProductFactory()
    ProductFactory(is_active=False)
    ProductFactory(supplier=SupplierFactory(verification_status="pending"))
    ProductFactory(supplier=SupplierFactory(verification_status="rejected"))
    ProductFactory(supplier=SupplierFactory(is_active=False))

    response = api_client.get(LIST)

    assert response.status_code == 200
    assert ids(response) == [visible.pk]


def test_catalog_item_shape(api_client):
    product = ProductFactory(base_price=Decimal("1000.00"), suggested_markup=Decimal("25.00"), stock_quantity=3)
    VariationFactory(product=product, sku="V-ON", price_modifier=Decimal("150.00"))
    VariationFactory(product=product, sku="V-OFF", is_active=False)
    ProductImageFactory(product=product, image="products/x/second.jpg", position=1)
    ProductImageFactory(product=product, image="products/x/primary.jpg", position=2, is_primary=True)

    response = api_client.get(f"{LIST}{product.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["base_price"] == "1000.00"
    assert body["suggested_price"] == "1250.00"
    assert body["in_stock"] is True
    assert body["supplier"] == {"id": product.supplier_id, "company_name": product.supplier.company_name}
    assert body["category_detail"] == {"id": product.category_id, "name": product.category.name,
                                       "slug": product.category.slug}
    assert body["primary_image"] == "http://testserver/media/products/x/primary.jpg"
    assert [image["url"] for image in body["images"]] == ["http://testserver/media/products/x/second.jpg",
                                                          "http://testserver/media/products/x/primary.jpg"]
    assert [(v["sku"], v["price_modifier"]) for v in body["variations"]] == [("V-ON", "150.00")]
    assert "is_active" not in body


def test_hidden_product_detail_is_404(api_client):
    assert api_client.get(f"{LIST}{ProductFactory(is_active=False).pk}/").status_code == 404
    hidden = ProductFactory(supplier=SupplierFactory(verification_status="pending"))
    assert api_client.get(f"{LIST}{hidden.pk}/").status_code == 404
    assert api_client.get(f"{LIST}999999/").status_code == 404


def test_category_filter_by_id_or_slug_includes_descendants(api_client):
    fashion = CategoryFactory(name="Fashion", slug="fashion")
    women = CategoryFactory(name="Women", slug="women", parent=fashion)
    dresses = CategoryFactory(name="Dresses", slug="dresses", parent=women)
    phones = CategoryFactory(name="Phones", slug="phones")
    in_fashion = ProductFactory(category=fashion)
    in_women = ProductFactory(category=women)
    in_dresses = ProductFactory(category=dresses)
    ProductFactory(category=phones)

    assert set(ids(api_client.get(LIST, {"category": "fashion"}))) == {in_fashion.pk, in_women.pk, in_dresses.pk}
    assert set(ids(api_client.get(LIST, {"category": women.pk}))) == {in_women.pk, in_dresses.pk}
    assert ids(api_client.get(LIST, {"category": "dresses"})) == [in_dresses.pk]
    assert ids(api_client.get(LIST, {"category": "unknown"})) == []


def test_price_stock_and_supplier_filters(api_client):
    supplier = SupplierFactory()
    cheap = ProductFactory(base_price=Decimal("500.00"), supplier=supplier)
    middle = ProductFactory(base_price=Decimal("1500.00"), stock_quantity=0)
    dear = ProductFactory(base_price=Decimal("9000.00"))

    assert set(ids(api_client.get(LIST, {"min_price": "1000", "max_price": "9000"}))) == {middle.pk, dear.pk}
    assert set(ids(api_client.get(LIST, {"max_price": "1500.00"}))) == {cheap.pk, middle.pk}
    assert set(ids(api_client.get(LIST, {"in_stock": "true"}))) == {cheap.pk, dear.pk}
    assert ids(api_client.get(LIST, {"in_stock": "false"})) == [middle.pk]
    assert ids(api_client.get(LIST, {"supplier": supplier.pk})) == [cheap.pk]


def test_bad_filter_values_are_400(api_client):
    response = api_client.get(LIST, {"min_price": "cheap"})
    assert response.status_code == 400
    assert "min_price" in response.json()["details"]


def test_search_name_description_sku(api_client):
    dress = ProductFactory(name="Ankara Dress", description="Lovely print")
    bag = ProductFactory(name="Leather bag", description="Hand-made in Kano")
    sku = ProductFactory(name="Mystery", sku="ZX-SPECIAL-9")

    assert ids(api_client.get(LIST, {"search": "ankara"})) == [dress.pk]
    assert ids(api_client.get(LIST, {"search": "kano"})) == [bag.pk]
    assert ids(api_client.get(LIST, {"search": "zx-special"})) == [sku.pk]


def test_ordering(api_client):
    b = ProductFactory(name="B", base_price=Decimal("300.00"))
    a = ProductFactory(name="A", base_price=Decimal("200.00"))
    c = ProductFactory(name="C", base_price=Decimal("100.00"))

    assert ids(api_client.get(LIST, {"ordering": "price"})) == [c.pk, a.pk, b.pk]
    assert ids(api_client.get(LIST, {"ordering": "-price"})) == [b.pk, a.pk, c.pk]
    assert ids(api_client.get(LIST, {"ordering": "name"})) == [a.pk, b.pk, c.pk]
    assert ids(api_client.get(LIST)) == [c.pk, a.pk, b.pk]  # newest first by default


def test_pagination(api_client):
    for _ in range(5):
        ProductFactory()
    body = api_client.get(LIST, {"page_size": 2, "page": 2}).json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"] and body["previous"]


def _catalog_with(count: int, category=None, start: int = 0):
    for n in range(start, start + count):
        product = ProductFactory(category=category or CategoryFactory())
        VariationFactory(product=product)
        ProductImageFactory(product=product, is_primary=True, image=f"products/{n}/a.jpg")
        ProductImageFactory(product=product, image=f"products/{n}/b.jpg", position=1)


def _queries_for(client, params) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(LIST, params)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_catalog_query_count_is_the_same_for_5_and_50_products(api_client):
    params = {"page_size": 100, "category": "", "search": "", "ordering": "-price"}
    _catalog_with(5)
    with_five = _queries_for(api_client, params)
    _catalog_with(45, start=5)
    with_fifty = _queries_for(api_client, params)
    assert api_client.get(LIST, params).json()["count"] == 50

    assert with_five == with_fifty
    assert with_fifty <= 10


def test_catalog_query_count_with_category_filter_and_auth(auth_client):
    root = CategoryFactory(slug="root")
    child = CategoryFactory(slug="child", parent=root)
    _catalog_with(5, category=root)
    client = auth_client(SupplierUserFactory())
    params = {"page_size": 100, "category": "root", "min_price": "1"}
    with_five = _queries_for(client, params)
    _catalog_with(45, category=child, start=5)
    with_fifty = _queries_for(client, params)
    assert client.get(LIST, params).json()["count"] == 50
    assert with_five == with_fifty <= 10


# --- categories ----------------------------------------------------------------------------------

def test_categories_tree(api_client):
    fashion = CategoryFactory(name="Fashion", slug="fashion")
    women = CategoryFactory(name="Women", slug="women", parent=fashion)
    CategoryFactory(name="Dresses", slug="dresses", parent=women)
    CategoryFactory(name="Hidden", slug="hidden", parent=fashion, is_active=False)
    CategoryFactory(name="Electronics", slug="electronics")

    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(CATEGORIES)

    assert response.status_code == 200
    assert len(queries.captured_queries) == 1
    tree = response.json()
    assert [node["slug"] for node in tree] == ["electronics", "fashion"]
    assert [child["slug"] for child in tree[1]["children"]] == ["women"]
    assert [child["slug"] for child in tree[1]["children"][0]["children"]] == ["dresses"]

    sub = api_client.get(f"{CATEGORIES}{women.pk}/").json()
    assert sub["slug"] == "women" and [child["slug"] for child in sub["children"]] == ["dresses"]


def test_admin_creates_renames_moves_and_deletes_categories(auth_client):
    client = auth_client(AdminFactory())
    response = client.post(CATEGORIES, {"name": "Home & Kitchen"}, format="json")
    assert response.status_code == 201, response.data
    home = Category.objects.get(pk=response.json()["id"])
    assert home.slug == "home-kitchen"

    parent = CategoryFactory(slug="lifestyle")
    response = client.patch(f"{CATEGORIES}{home.pk}/", {"name": "Home", "parent": parent.pk}, format="json")
    assert response.status_code == 200, response.data
    home.refresh_from_db()
    assert (home.name, home.parent, home.slug) == ("Home", parent, "home-kitchen")

    assert client.delete(f"{CATEGORIES}{home.pk}/").status_code == 204
    assert not Category.objects.filter(pk=home.pk).exists()


def test_category_validation(auth_client):
    client = auth_client(AdminFactory())
    CategoryFactory(slug="taken")
    response = client.post(CATEGORIES, {"name": "Taken", "slug": "taken"}, format="json")
    assert response.status_code == 400
    assert "slug" in response.json()["details"]
    assert client.post(CATEGORIES, {"name": ""}, format="json").status_code == 400

    root = CategoryFactory()
    child = CategoryFactory(parent=root)
    response = client.patch(f"{CATEGORIES}{root.pk}/", {"parent": child.pk}, format="json")
    assert response.status_code == 400
    assert "parent" in response.json()["details"]
    response = client.patch(f"{CATEGORIES}{root.pk}/", {"parent": root.pk}, format="json")
    assert response.status_code == 400


def test_deleting_a_category_with_products_or_children_is_409(auth_client):
    client = auth_client(AdminFactory())
    with_product = ProductFactory(is_active=False).category
    parent = CategoryFactory()
    CategoryFactory(parent=parent)

    response = client.delete(f"{CATEGORIES}{with_product.pk}/")
    assert response.status_code == 409
    assert "products" in response.json()["error"]
    assert client.delete(f"{CATEGORIES}{parent.pk}/").status_code == 409
    assert Category.objects.filter(pk__in=[with_product.pk, parent.pk]).count() == 2


def test_non_admins_cannot_write_categories(auth_client, api_client):
    category = CategoryFactory()
    supplier_client = auth_client(SupplierFactory().user)
    assert supplier_client.post(CATEGORIES, {"name": "X"}, format="json").status_code == 403
    assert supplier_client.patch(f"{CATEGORIES}{category.pk}/", {"name": "X"}, format="json").status_code == 403
    assert supplier_client.delete(f"{CATEGORIES}{category.pk}/").status_code == 403
    assert api_client.post(CATEGORIES, {"name": "X"}, format="json").status_code == 401
