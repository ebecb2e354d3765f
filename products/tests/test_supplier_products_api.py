"""/api/suppliers/products/ — verified suppliers' own products, variations, inventory, deactivation."""
from decimal import Decimal

import pytest

from products.models import InventoryAdjustment, Product, ProductVariation
from suppliers.tests.factories import make_order
from tests.factories import (
    AdminFactory,
    CategoryFactory,
    EntrepreneurUserFactory,
    ProductFactory,
    SupplierFactory,
    VariationFactory,
)

pytestmark = pytest.mark.django_db
LIST = "/api/suppliers/products/"


def detail(pk):
    return f"{LIST}{pk}/"


@pytest.fixture
def supplier():
    return SupplierFactory()


@pytest.fixture
def client(auth_client, supplier):
    return auth_client(supplier.user)


def new_product(**overrides):
    data = {
        "name": "iPhone 15 Pro",
        "description": "Latest iPhone model",
        "sku": "IP15PRO001",
        "base_price": "500000.00",
        "suggested_markup": "15.00",
        "stock_quantity": 50,
        "weight": "0.500",
    }
    data.update(overrides)
    return data


def test_create_product_with_variations(client, supplier):
    category = CategoryFactory()
    response = client.post(LIST, new_product(category=category.pk, variations=[
        {"name": "256GB", "sku": "IP15PRO-256", "attributes": {"storage": "256GB"}, "price_modifier": "50000.00",
         "stock_quantity": 5},
        {"name": "128GB", "sku": "IP15PRO-128"},
    ]), format="json")

    assert response.status_code == 201, response.data
    body = response.json()
    assert body["slug"] == "iphone-15-pro"
    assert body["base_price"] == "500000.00"
    assert body["suggested_price"] == "575000.00"
    assert body["supplier"] == {"id": supplier.pk, "company_name": supplier.company_name}
    assert body["category"] == category.pk
    assert [v["sku"] for v in body["variations"]] == ["IP15PRO-256", "IP15PRO-128"]
    assert body["variations"][0]["price_modifier"] == "50000.00"
    assert body["variations"][1]["stock_quantity"] == 0
    product = Product.objects.get(sku="IP15PRO001")
    assert product.supplier == supplier
    assert product.stock_quantity == 50


def test_guide_style_multipart_create(client, supplier):
    """The guide's integration test posts form data (numbers as floats, a client slug that is ignored)."""
    category = CategoryFactory()
    response = client.post(LIST, {
        "name": "iPhone 15 Pro", "slug": "client-chosen", "description": "Latest iPhone model",
        "category": category.id, "sku": "IP15PRO001", "base_price": 500000.00, "suggested_markup": 15.0,
        "stock_quantity": 50, "weight": 0.5, "is_active": True,
    })
    assert response.status_code == 201, response.data
    assert Product.objects.get(sku="IP15PRO001").slug == "iphone-15-pro"


def test_slug_is_unique_when_names_collide(client):
    ProductFactory(name="Ankara Dress", slug="ankara-dress")
    response = client.post(LIST, new_product(name="Ankara Dress", sku="ANK-002"), format="json")
    assert response.status_code == 201
    assert response.json()["slug"] == "ankara-dress-ank-002"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"base_price": "0"}, "base_price"),
        ({"base_price": "-5"}, "base_price"),
        ({"base_price": "abc"}, "base_price"),
        ({"stock_quantity": -1}, "stock_quantity"),
        ({"suggested_markup": "1000.01"}, "suggested_markup"),
        ({"name": "   "}, "name"),
        ({"category": 999999}, "category"),
        ({"variations": [{"name": "x"}]}, "variations"),
        ({"variations": [{"name": "a", "sku": "DUP"}, {"name": "b", "sku": "dup"}]}, "variations"),
        ({"variations": [{"name": "a", "sku": "V1", "stock_quantity": -3}]}, "variations"),
    ],
)
def test_create_validation_errors(client, overrides, field):
    response = client.post(LIST, new_product(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["details"]
    assert not Product.objects.filter(sku="IP15PRO001").exists()


def test_create_missing_fields(client):
    response = client.post(LIST, {"description": "x"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"name", "sku", "base_price"}


def test_duplicate_skus_are_400(client):
    ProductFactory(sku="TAKEN-1")
    VariationFactory(sku="VTAKEN")
    response = client.post(LIST, new_product(sku="taken-1"), format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"sku": ["A product with this SKU already exists."]}

    response = client.post(LIST, new_product(variations=[{"name": "M", "sku": "VTAKEN"}]), format="json")
    assert response.status_code == 400
    assert response.json()["details"]["variations"][0] == {"sku": ["A variation with this SKU already exists."]}


def test_unverified_supplier_is_403_everywhere(auth_client):
    for status in ("pending", "rejected"):
        supplier = SupplierFactory(verification_status=status)
        product = ProductFactory(supplier=supplier)
        client = auth_client(supplier.user)
        assert client.get(LIST).status_code == 403
        assert client.post(LIST, new_product(), format="json").status_code == 403
        assert client.patch(detail(product.pk), {"name": "x"}, format="json").status_code == 403
        assert client.post(f"{detail(product.pk)}update_inventory/", {"stock_quantity": 1}).status_code == 403
        assert client.post(f"{LIST}bulk_upload/", {"products": [new_product()]}, format="json").status_code == 403


def test_inactive_supplier_is_403(auth_client):
    supplier = SupplierFactory(is_active=False)
    assert auth_client(supplier.user).get(LIST).status_code == 403


@pytest.mark.parametrize("factory", [EntrepreneurUserFactory, AdminFactory])
def test_other_roles_are_403(auth_client, factory):
    response = auth_client(factory()).post(LIST, new_product(), format="json")
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "error": "Only verified supplier accounts can do this."}


def test_list_shows_only_own_products_with_fixed_queries(client, supplier, django_assert_max_num_queries):
    mine = [ProductFactory(supplier=supplier) for _ in range(4)]
    for product in mine:
        VariationFactory(product=product)
    ProductFactory()
    with django_assert_max_num_queries(6):  # user, profile, count, products, variations, images
        response = client.get(LIST)
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {p.pk for p in mine}


def test_someone_elses_product_is_404(client):
    foreign = ProductFactory(name="Theirs")
    assert client.get(detail(foreign.pk)).status_code == 404
    assert client.patch(detail(foreign.pk), {"name": "Mine now"}, format="json").status_code == 404
    assert client.delete(detail(foreign.pk)).status_code == 404
    assert client.post(f"{detail(foreign.pk)}update_inventory/", {"stock_quantity": 0},
                       format="json").status_code == 404
    foreign.refresh_from_db()
    assert (foreign.name, foreign.is_active, foreign.stock_quantity) == ("Theirs", True, 100)


def test_update_product_and_upsert_variations(client, supplier):
    product = ProductFactory(supplier=supplier, name="Old", slug="old")
    variation = VariationFactory(product=product, sku="OLD-M", stock_quantity=5)
    foreign_variation = VariationFactory()

    response = client.patch(detail(product.pk), {
        "name": "New name", "base_price": "1500.00", "stock_quantity": 7,
        "variations": [{"id": variation.pk, "price_modifier": "100.00", "stock_quantity": 9},
                       {"name": "L", "sku": "NEW-L", "stock_quantity": 2}],
    }, format="json")

    assert response.status_code == 200, response.data
    body = response.json()
    assert body["name"] == "New name"
    assert body["slug"] == "old"  # kept: shared links keep working
    assert body["base_price"] == "1500.00"
    assert body["stock_quantity"] == 7
    assert [(v["sku"], v["price_modifier"], v["stock_quantity"]) for v in body["variations"]] == [
        ("OLD-M", "100.00", 9), ("NEW-L", "0.00", 2)]
    # Stock changes through PATCH are recorded like update_inventory.
    assert set(InventoryAdjustment.objects.values_list("variation_id", "previous_quantity", "new_quantity")) == {
        (None, 100, 7), (variation.pk, 5, 9)}

    response = client.patch(detail(product.pk), {"variations": [{"id": foreign_variation.pk, "name": "steal"}]},
                            format="json")
    assert response.status_code == 400
    assert response.json()["details"]["variations"][0] == {"id": ["Not a variation of this product."]}


def test_update_to_taken_sku_is_400(client, supplier):
    ProductFactory(sku="OTHER")
    product = ProductFactory(supplier=supplier)
    response = client.patch(detail(product.pk), {"sku": "OTHER"}, format="json")
    assert response.status_code == 400
    assert "sku" in response.json()["details"]


def test_delete_deactivates_and_keeps_order_history(client, supplier):
    product = ProductFactory(supplier=supplier)
    order = make_order(supplier=supplier, items=[(product, 1, Decimal("1200.00"))])

    response = client.delete(detail(product.pk))

    assert response.status_code == 204
    # No body, but the media type the schema declares for the operation (core.middleware).
    assert response.content == b"" and response["Content-Type"] == "application/json"
    product.refresh_from_db()
    assert product.is_active is False
    assert order.items.get().product_id == product.pk
    # Still the supplier's to see and reactivate; gone from the catalog.
    assert client.get(detail(product.pk)).status_code == 200
    assert client.get(f"/api/products/products/{product.pk}/").status_code == 404
    response = client.patch(detail(product.pk), {"is_active": True}, format="json")
    assert response.json()["is_active"] is True


# --- update_inventory ----------------------------------------------------------------------------

def test_update_inventory_sets_absolute_quantity_and_records(client, supplier):
    product = ProductFactory(supplier=supplier, stock_quantity=10)
    response = client.post(f"{detail(product.pk)}update_inventory/", {"stock_quantity": 3, "reason": "stock count"},
                           format="json")

    assert response.status_code == 200, response.data
    body = response.json()
    assert (body["old_quantity"], body["new_quantity"]) == (10, 3)
    assert body["product"]["stock_quantity"] == 3
    product.refresh_from_db()
    assert product.stock_quantity == 3
    adjustment = InventoryAdjustment.objects.get()
    assert (adjustment.product_id, adjustment.variation_id, adjustment.previous_quantity, adjustment.new_quantity,
            adjustment.reason, adjustment.created_by) == (product.pk, None, 10, 3, "stock count", supplier.user)


def test_update_inventory_of_a_variation(client, supplier):
    product = ProductFactory(supplier=supplier, stock_quantity=10)
    variation = VariationFactory(product=product, stock_quantity=4)
    response = client.post(f"{detail(product.pk)}update_inventory/", {"stock_quantity": 0,
                                                                      "variation_id": variation.pk}, format="json")
    assert response.status_code == 200, response.data
    variation.refresh_from_db()
    product.refresh_from_db()
    assert (variation.stock_quantity, product.stock_quantity) == (0, 10)
    assert InventoryAdjustment.objects.get().variation == variation


def test_update_inventory_guide_alias_quantity(client, supplier):
    product = ProductFactory(supplier=supplier, stock_quantity=10)
    response = client.post(f"{detail(product.pk)}update_inventory/", {"quantity": 25}, format="json")
    assert response.status_code == 200
    assert response.json()["new_quantity"] == 25


@pytest.mark.parametrize("body", [{"stock_quantity": -1}, {"stock_quantity": "many"}, {}, {"stock_quantity": 1.5}])
def test_update_inventory_validation(client, supplier, body):
    product = ProductFactory(supplier=supplier, stock_quantity=10)
    response = client.post(f"{detail(product.pk)}update_inventory/", body, format="json")
    assert response.status_code == 400
    assert "stock_quantity" in response.json()["details"]
    product.refresh_from_db()
    assert product.stock_quantity == 10
    assert not InventoryAdjustment.objects.exists()


def test_update_inventory_foreign_variation_is_400(client, supplier):
    product = ProductFactory(supplier=supplier)
    other_variation = VariationFactory()
    response = client.post(f"{detail(product.pk)}update_inventory/",
                           {"stock_quantity": 1, "variation_id": other_variation.pk}, format="json")
    assert response.status_code == 400
    assert "variation_id" in response.json()["details"]
    other_variation.refresh_from_db()
    assert other_variation.stock_quantity == 50


def test_variations_are_never_deleted(client, supplier):
    product = ProductFactory(supplier=supplier)
    variation = VariationFactory(product=product)
    response = client.patch(detail(product.pk), {"variations": [{"id": variation.pk, "is_active": False}]},
                            format="json")
    assert response.status_code == 200
    assert ProductVariation.objects.filter(pk=variation.pk, is_active=False).exists()
