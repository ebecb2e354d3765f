from decimal import Decimal

import pytest

from products.models import ProductImage
from social.models import StoreProduct
from social.tests.factories import entrepreneur_with_store
from tests.factories import (
    CustomerFactory,
    EntrepreneurFactory,
    ProductFactory,
    StorefrontFactory,
    StoreProductFactory,
    SupplierFactory,
)

URL = "/api/social/store-products/"
pytestmark = pytest.mark.django_db


def _detail(pk):
    return f"{URL}{pk}/"


@pytest.fixture
def owner(auth_client):
    profile, storefront = entrepreneur_with_store()
    return auth_client(profile.user), storefront


def test_add_with_default_price(owner):
    client, storefront = owner
    product = ProductFactory(base_price=Decimal("1000.00"), suggested_markup=Decimal("20.00"))
    response = client.post(URL, {"product": product.id}, format="json")
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["product"] == product.id
    assert body["selling_price"] == "1200.00"
    assert body["markup_per_unit"] == "200.00"
    assert body["is_featured"] is False
    assert body["position"] == 0
    assert body["product_summary"]["name"] == product.name
    assert body["product_summary"]["base_price"] == "1000.00"
    store_product = StoreProduct.objects.get(storefront=storefront)
    assert store_product.selling_price == Decimal("1200.00")


def test_default_price_rounds_half_up_to_the_kobo(owner):
    client, storefront = owner
    # 46.50 × 1.25 = 58.125 → 58.13 (half-up; banker's rounding would give 58.12)
    product = ProductFactory(base_price=Decimal("46.50"), suggested_markup=Decimal("25.00"))
    response = client.post(URL, {"product": product.id}, format="json")
    assert response.status_code == 201
    assert response.json()["selling_price"] == "58.13"
    assert StoreProduct.objects.get(storefront=storefront).selling_price == Decimal("58.13")


def test_add_with_explicit_price_featured_and_position(owner):
    client, _ = owner
    product = ProductFactory(base_price=Decimal("1000.00"))
    response = client.post(URL, {"product": product.id, "selling_price": "1000.00", "is_featured": True, "position": 3},
                           format="json")
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["selling_price"] == "1000.00"
    assert body["is_featured"] is True
    assert body["position"] == 3


def test_price_below_base_is_400(owner):
    client, _ = owner
    product = ProductFactory(base_price=Decimal("1000.00"))
    response = client.post(URL, {"product": product.id, "selling_price": "999.99"}, format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"selling_price": ["The selling price must be at least the base price (₦1000.00)."]}
    assert not StoreProduct.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{}, {"product": "abc"}, {"product": 1, "selling_price": "-5"}, {"product": 1, "selling_price": "12.345"},
     {"product": 1, "position": -1}],
)
def test_input_validation(owner, payload):
    client, _ = owner
    ProductFactory()
    response = client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["details"]


@pytest.mark.parametrize(
    "make_product",
    [
        lambda: ProductFactory(is_active=False),
        lambda: ProductFactory(supplier=SupplierFactory(verification_status="pending")),
        lambda: ProductFactory(supplier=SupplierFactory(verification_status="rejected")),
        lambda: ProductFactory(supplier=SupplierFactory(is_active=False)),
    ],
    ids=["inactive-product", "pending-supplier", "rejected-supplier", "inactive-supplier"],
)
def test_only_catalog_visible_products(owner, make_product):
    client, _ = owner
    response = client.post(URL, {"product": make_product().id}, format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"product": ["This product does not exist or is not available in the catalog."]}


def test_unknown_product_is_400(owner):
    client, _ = owner
    response = client.post(URL, {"product": 987654}, format="json")
    assert response.status_code == 400
    assert "product" in response.json()["details"]


def test_duplicate_product_is_409(owner):
    client, storefront = owner
    product = ProductFactory()
    assert client.post(URL, {"product": product.id}, format="json").status_code == 201
    response = client.post(URL, {"product": product.id, "selling_price": "5000.00"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "This product is already in your store."
    assert StoreProduct.objects.filter(storefront=storefront).count() == 1


def test_same_product_in_two_stores_is_fine(owner, auth_client):
    client, _ = owner
    product = ProductFactory()
    StoreProductFactory(product=product)
    assert client.post(URL, {"product": product.id}, format="json").status_code == 201


def test_without_storefront_is_409(auth_client):
    profile = EntrepreneurFactory()
    response = auth_client(profile.user).post(URL, {"product": ProductFactory().id}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "Create your storefront first (POST /api/social/storefront/)."


def test_list_without_storefront_is_empty(auth_client):
    response = auth_client(EntrepreneurFactory().user).get(URL)
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_wrong_role_is_403(auth_client):
    store_product = StoreProductFactory()
    client = auth_client(CustomerFactory())
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"product": ProductFactory().id}, format="json").status_code == 403
    assert client.patch(_detail(store_product.id), {"is_featured": True}, format="json").status_code == 403
    assert client.delete(_detail(store_product.id)).status_code == 403


def _fill(storefront, n):
    for index in range(n):
        store_product = StoreProductFactory(storefront=storefront, position=index)
        ProductImage.objects.create(product=store_product.product, image=f"products/{index}/a.jpg", position=1)
        ProductImage.objects.create(product=store_product.product, image=f"products/{index}/primary.jpg",
                                    is_primary=True, position=2)


def test_list_shows_only_own_items_with_product_summary(owner):
    client, storefront = owner
    _fill(storefront, 2)
    StoreProductFactory()  # another store's item
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first = body["results"][0]
    assert set(first["product_summary"]) == {
        "id", "name", "slug", "base_price", "suggested_markup", "stock_quantity", "primary_image", "is_available",
    }
    assert first["product_summary"]["primary_image"] == "http://testserver/media/products/0/primary.jpg"
    assert first["product_summary"]["stock_quantity"] == 100
    assert first["product_summary"]["is_available"] is True


@pytest.mark.parametrize("count", [3, 30])
def test_list_query_count_is_fixed(owner, count, django_assert_num_queries):
    client, storefront = owner
    _fill(storefront, count)
    # user (JWT) + storefront + count + page + images prefetch
    with django_assert_num_queries(5):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["count"] == count


def test_patch_own_store_product(owner):
    client, storefront = owner
    store_product = StoreProductFactory(storefront=storefront, product=ProductFactory(base_price=Decimal("500.00")))
    response = client.patch(_detail(store_product.id),
                            {"selling_price": "750.50", "is_featured": True, "position": 7, "is_active": False},
                            format="json")
    assert response.status_code == 200, response.data
    store_product.refresh_from_db()
    assert store_product.selling_price == Decimal("750.50")
    assert store_product.is_featured is True
    assert store_product.position == 7
    assert store_product.is_active is False


def test_patch_price_below_base_is_400(owner):
    client, storefront = owner
    store_product = StoreProductFactory(storefront=storefront, product=ProductFactory(base_price=Decimal("500.00")),
                                        selling_price=Decimal("600.00"))
    response = client.patch(_detail(store_product.id), {"selling_price": "499.99"}, format="json")
    assert response.status_code == 400
    assert "selling_price" in response.json()["details"]
    store_product.refresh_from_db()
    assert store_product.selling_price == Decimal("600.00")


def test_patch_ignores_product_change(owner):
    client, storefront = owner
    store_product = StoreProductFactory(storefront=storefront)
    other = ProductFactory()
    response = client.patch(_detail(store_product.id), {"product": other.id}, format="json")
    assert response.status_code == 200
    store_product.refresh_from_db()
    assert store_product.product_id != other.id


def test_foreign_store_product_is_404(owner):
    client, _ = owner
    foreign = StoreProductFactory(storefront=StorefrontFactory())
    assert client.get(_detail(foreign.id)).status_code == 404
    assert client.patch(_detail(foreign.id), {"is_featured": True}, format="json").status_code == 404
    assert client.delete(_detail(foreign.id)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_featured is False


def test_delete_own_store_product(owner):
    client, storefront = owner
    store_product = StoreProductFactory(storefront=storefront)
    response = client.delete(_detail(store_product.id))
    assert response.status_code == 204
    assert not StoreProduct.objects.filter(pk=store_product.pk).exists()
    assert client.delete(_detail(store_product.id)).status_code == 404
