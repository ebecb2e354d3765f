"""The catalog search uses the trigram indexes on PostgreSQL instead of scanning the table."""
import pytest
from django.db import connection

from tests.factories import ProductFactory, SupplierFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_trigram_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'products_product' AND indexname LIKE '%_trgm'")
        names = {row[0] for row in cursor.fetchall()}
    assert names == {"products_product_name_trgm", "products_product_description_trgm", "products_product_sku_trgm"}


def test_catalog_search_plan_uses_the_indexes():
    from django.db.models import Q

    from products.models import Product

    ProductFactory.create_batch(30, supplier=SupplierFactory())
    queryset = Product.objects.filter(
        Q(name__icontains="wrap") | Q(description__icontains="wrap") | Q(sku__icontains="wrap")
    ).order_by()
    with connection.cursor() as cursor:
        # A tiny table: ask what the planner *can* use for the filter (a bitmap scan over the GIN indexes).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = queryset.explain()
    for column in ("name", "description", "sku"):
        assert f"products_product_{column}_trgm" in plan, plan
