"""``Product.catalog_visible`` (the stored catalog rule) stays equal to the rule after every writer, and the
catalog list reads it through its partial index."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products import services, stock
from products.models import Product
from products.selectors import catalog_visible_q
from products.stock import StockLine
from products.visibility import catalog_visibility_refresh
from suppliers.services import supplier_update, supplier_verify
from tests.factories import AdminFactory, ProductFactory, SupplierFactory

pytestmark = pytest.mark.django_db
LIST = "/api/products/products/"


def assert_flags_follow_the_rule():
    by_rule = set(Product.objects.filter(catalog_visible_q()).values_list("pk", flat=True))
    stored = set(Product.objects.filter(catalog_visible=True).values_list("pk", flat=True))
    assert stored == by_rule


def visible(*products) -> list[bool]:
    return [Product.objects.get(pk=p.pk).catalog_visible for p in products]


def test_new_products_follow_their_supplier_and_state():
    shown = ProductFactory()
    inactive = ProductFactory(is_active=False)
    pending = ProductFactory(supplier=SupplierFactory(verification_status="pending"))
    assert visible(shown, inactive, pending) == [True, False, False]
    assert_flags_follow_the_rule()


def test_supplier_decisions_and_kyc_changes_move_every_product_of_the_supplier():
    admin = AdminFactory()
    supplier = SupplierFactory()
    active, inactive = ProductFactory(supplier=supplier), ProductFactory(supplier=supplier, is_active=False)
    other = ProductFactory()

    supplier_verify(supplier_id=supplier.pk, status="rejected", actor=admin)
    assert visible(active, inactive, other) == [False, False, True]
    supplier_verify(supplier_id=supplier.pk, status="verified", actor=admin)
    assert visible(active, inactive, other) == [True, False, True]
    assert_flags_follow_the_rule()

    # The supplier changes a verified KYC field: back to pending, its products leave the catalog.
    supplier_update(supplier=supplier, data={"company_name": "Another Name Ltd"}, actor=supplier.user)
    assert visible(active) == [False]
    assert_flags_follow_the_rule()

    supplier_verify(supplier_id=supplier.pk, status="verified", actor=admin)
    supplier.refresh_from_db()
    supplier.is_active = False  # an admin deactivates the supplier (Django admin saves the row)
    supplier.save(update_fields=["is_active", "updated_at"])
    assert visible(active) == [False]
    assert_flags_follow_the_rule()


def test_product_services_keep_the_flag():
    supplier = SupplierFactory()
    product = services.product_create(supplier=supplier, data={"name": "Kente", "sku": "KEN-1", "base_price": "900"})
    assert visible(product) == [True]
    services.product_deactivate(supplier=supplier, product_id=product.pk)
    assert visible(product) == [False]
    services.product_update(supplier=supplier, product_id=product.pk, data={"is_active": True})
    assert visible(product) == [True]
    services.product_update(supplier=supplier, product_id=product.pk, data={"name": "Kente II"})
    assert visible(product) == [True]
    result = services.products_bulk_create(supplier=supplier, rows=[
        {"name": "A", "sku": "BULK-A", "base_price": "100"},
        {"name": "B", "sku": "BULK-B", "base_price": "100", "is_active": False}])
    assert [Product.objects.get(pk=row["id"]).catalog_visible for row in result["created_products"]] == [True, False]
    assert_flags_follow_the_rule()


def test_stock_is_not_part_of_the_rule_an_empty_product_stays_listed(api_client):
    product = ProductFactory(stock_quantity=2)
    stock.stock_reserve([StockLine(product_id=product.pk, variation_id=None, quantity=2)])
    assert Product.objects.get(pk=product.pk).stock_quantity == 0
    assert visible(product) == [True]
    body = api_client.get(LIST).json()
    assert [(row["id"], row["in_stock"]) for row in body["results"]] == [(product.pk, False)]
    assert api_client.get(LIST, {"in_stock": "true"}).json()["count"] == 0
    stock.stock_set(product_id=product.pk, quantity=5, reason="recount")
    assert visible(product) == [True]
    assert_flags_follow_the_rule()


def test_refresh_repairs_flags_written_behind_its_back():
    product = ProductFactory()
    hidden = ProductFactory(is_active=False)
    Product.objects.filter(pk=product.pk).update(catalog_visible=False)
    Product.objects.filter(pk=hidden.pk).update(catalog_visible=True)
    assert catalog_visibility_refresh() == 2
    assert visible(product, hidden) == [True, False]
    assert catalog_visibility_refresh() == 0


def test_admin_bulk_deactivation_hides_the_products(client):
    admin = AdminFactory(is_superuser=True)
    product = ProductFactory()
    client.force_login(admin)
    response = client.post("/admin/products/product/", {"action": "deactivate_products", "_selected_action": [product.pk]})
    assert response.status_code == 302
    assert visible(product) == [False]
    assert_flags_follow_the_rule()


def test_the_catalog_count_reads_only_the_product_table(api_client):
    ProductFactory.create_batch(3)
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(LIST).json()["count"] == 3
    count_sql = next(q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper())
    assert "suppliers_supplierprofile" not in count_sql
    assert "catalog_visible" in count_sql


@pytest.mark.postgres
def test_the_catalog_count_is_an_index_only_scan_of_the_partial_index(api_client):
    ProductFactory.create_batch(5)
    with CaptureQueriesContext(connection) as queries:
        api_client.get(LIST)
    count_sql = next(q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper())
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {count_sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using product_catalog_visible_page" in plan, plan
