"""One trigram GIN index for the catalog search (PostgreSQL only; on SQLite this migration does nothing).

``products.search`` matches every term against one expression, ``name || ' ' || description || ' ' || sku``
(``ProductSearchDocument``), as ``UPPER(expr::text) LIKE UPPER('%term%')``; this index is on exactly that,
so a search of up to 8 terms is one bitmap scan of one index. The index must stay in step with
``ProductSearchDocument``: ``products/tests/test_search_index.py`` pins the plan.

0003's per-column description index is dropped: the document index replaces it and the description is the
large column. The name and SKU indexes stay for Django admin's ``icontains`` search.
"""
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "products_product_search_trgm"
DOCUMENT = "UPPER((name || ' ' || description || ' ' || sku)::text)"


class KeepTrigramExtension(TrigramExtension):
    """Created here if 0003 did not (``IF NOT EXISTS``); never dropped on reverse: 0003's indexes need it."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON products_product USING gin ({DOCUMENT} gin_trgm_ops)")
    schema_editor.execute("DROP INDEX IF EXISTS products_product_description_trgm")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute("CREATE INDEX IF NOT EXISTS products_product_description_trgm "
                          "ON products_product USING gin (UPPER(description::text) gin_trgm_ops)")


class Migration(migrations.Migration):
    dependencies = [("products", "0003_catalog_search_trigram_indexes")]

    operations = [KeepTrigramExtension(), migrations.RunPython(create_index, drop_index)]
