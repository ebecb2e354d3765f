"""Every write about products, by sub-domain; the public names are re-exported here.

``catalog`` (a supplier's products), ``variations``, ``bulk`` (JSON/CSV upload), ``images``,
``categories``, ``slugs``. Stock quantities are written only by ``products.stock``.
"""
from .bulk import MAX_BULK_ROWS, MAX_CSV_BYTES, bulk_rows_from_csv, products_bulk_create
from .catalog import (
    product_create,
    product_deactivate,
    product_update,
    product_update_inventory,
    require_seller,
)
from .categories import category_create, category_delete, category_update
from .images import (
    MAX_BULK_IMAGES,
    product_image_add,
    product_image_delete,
    product_image_update,
    product_images_add_bulk,
)
from .slugs import unique_product_slugs
from .variations import variations_create, variations_upsert

__all__ = [
    "MAX_BULK_IMAGES", "MAX_BULK_ROWS", "MAX_CSV_BYTES", "bulk_rows_from_csv", "category_create", "category_delete",
    "category_update", "product_create", "product_deactivate", "product_image_add", "product_image_delete",
    "product_image_update", "product_images_add_bulk", "product_update", "product_update_inventory",
    "products_bulk_create", "require_seller", "unique_product_slugs", "variations_create", "variations_upsert",
]
