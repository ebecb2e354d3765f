"""The catalog's cached reads and which changes make them stale (the primitives are in ``core.cache``).

The catalog API (products list and detail, categories: ``products/api.py``) is cached under one scope,
``CATALOG``: saving or deleting a product, variation, image, category or supplier bumps it, through the
model signals connected in ``ProductsConfig.ready``. Writes that send no model signal (queryset
``.update()``, ``bulk_create``) call ``invalidate_products`` / ``invalidate_catalog`` themselves.

A product change also makes stale the pages above this app that show the product (a storefront shows
price, stock and images). products does not know them, so it asks: ``products_changed`` is sent with the
product ids (or the supplier id) and every receiver returns the scopes of its pages that show them
(``public.caching`` answers with the storefronts selling them). All are bumped in one cache round trip.
"""
import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

from core.cache import bump

logger = logging.getLogger(__name__)

CATALOG = "v:catalog"

# Sent with ``product_ids`` (a list) or ``supplier_id`` (every product of that supplier); each receiver
# returns an iterable of the cache scopes that show those products.
products_changed = Signal()


def _scopes_showing(*, product_ids: list[int] | None = None, supplier_id: int | None = None) -> list[str]:
    scopes: list[str] = []
    for _receiver, answer in products_changed.send(sender=None, product_ids=product_ids, supplier_id=supplier_id):
        scopes.extend(answer or ())
    return scopes


def invalidate_catalog() -> None:
    """The catalog changed in a way no model signal reports (e.g. ``bulk_create`` of products)."""
    bump(CATALOG)


def invalidate_products(product_ids: Iterable[int]) -> None:
    """Products (their stock, price, images, variations) changed: the catalog and every page showing them."""
    ids = sorted({pk for pk in product_ids if pk is not None})
    bump(CATALOG, *(_scopes_showing(product_ids=ids) if ids else ()))


def invalidate_products_on_commit(product_ids: Iterable[int]) -> None:
    """For writes that fire no signals (``queryset.update()``): invalidate once the transaction commits,
    so nothing extra runs while the writer holds its row locks."""
    ids = list(product_ids)

    def run() -> None:
        try:
            invalidate_products(ids)
        except Exception:  # noqa: BLE001 — the write has committed; a failed invalidation is logged
            logger.exception("cache invalidation failed for products %s", ids)

    transaction.on_commit(run, robust=True)


# --- Model signals (connected from ProductsConfig.ready) -------------------------------------------

def _on_product(sender, instance, created=False, **kwargs) -> None:
    if created:  # nothing lists a brand-new product yet
        bump(CATALOG)
    else:
        invalidate_products([instance.pk])


def _on_product_part(sender, instance, **kwargs) -> None:
    invalidate_products([instance.product_id])


def _on_category(sender, instance, **kwargs) -> None:
    bump(CATALOG)


def _on_supplier(sender, instance, created=False, **kwargs) -> None:
    if created:
        bump(CATALOG)
    else:  # its name and verification show on every product card
        bump(CATALOG, *_scopes_showing(supplier_id=instance.pk))


_RECEIVERS = [
    ("products.Product", _on_product),
    ("products.ProductVariation", _on_product_part),
    ("products.ProductImage", _on_product_part),
    ("products.Category", _on_category),
    ("suppliers.SupplierProfile", _on_supplier),
]


def connect_invalidation() -> None:
    for sender, receiver in _RECEIVERS:
        uid = f"products.caching:{sender}"
        post_save.connect(receiver, sender=sender, dispatch_uid=uid + ":save", weak=False)
        post_delete.connect(receiver, sender=sender, dispatch_uid=uid + ":delete", weak=False)
