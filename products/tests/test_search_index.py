"""On PostgreSQL the catalog search is one bitmap scan of one trigram index, not a scan of the table."""
import pytest
from django.db import connection

from products.models import Product
from products.search import product_search, search_terms
from tests.factories import SupplierFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'products_product' AND indexname LIKE '%_trgm'")
        return {row[0] for row in cursor.fetchall()}


def test_trigram_indexes_exist():
    # The document index serves the catalog search; name and SKU stay for Django admin's search.
    assert _indexes() == {"products_product_search_trgm", "products_product_name_trgm", "products_product_sku_trgm"}


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        # Test tables are tiny: ask what the planner *can* use (inside the test's transaction only).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("ANALYZE products_product")
        cursor.execute("ANALYZE suppliers_supplierprofile")
    return queryset.explain()


@pytest.fixture
def products():
    suppliers = SupplierFactory.create_batch(20)
    Product.objects.bulk_create([
        Product(supplier=suppliers[n % 20], name=f"Item {n}", slug=f"item-{n}", sku=f"IT-{n:05d}", base_price=1000,
                description=("Woven raffia basket" if n % 50 == 0 else "Plain cotton tote"), stock_quantity=5)
        for n in range(2000)
    ])


def test_a_three_term_search_is_one_scan_of_the_document_index(products):
    plan = _plan(product_search(Product.objects.order_by(), search_terms("woven raffia basket")))
    assert "products_product_search_trgm" in plan, plan
    assert plan.count("Bitmap Index Scan") == 1, plan
    assert "Seq Scan" not in plan, plan

