"""``Product.catalog_visible``: the catalog rule (``catalog_visible_q``: an active product of a supplier that
may sell) stored on the product, so the catalog list filters and counts on one partial index.

Who keeps it right:

- ``Product.save()`` sets it whenever ``is_active`` or the supplier is written (services, admin, factories);
- a ``SupplierProfile`` save (verification, re-verification after a KYC change, (de)activation — in
  ``suppliers.services`` or Django admin) refreshes that supplier's products: the ``post_save`` receiver
  connected in ``ProductsConfig.ready`` (suppliers sits below products and never calls it);
- writes that send no signal call ``catalog_visibility_refresh`` themselves (``bulk_create`` sets the flag
  on the rows; the admin's bulk (de)activation refreshes the ids it changed).

The refresh reads the rule from the database, not from a loaded instance, and runs inside the writer's
transaction, so it commits or rolls back with the change. Stock is not part of the rule (an out-of-stock
product stays listed, shown with ``in_stock: false``; ``?in_stock=true`` filters it out).

Orders and storefront listings check ``catalog_visible_q`` itself (the join), so money never depends on this
copy; ``products/tests/test_visibility.py`` checks the copy against the rule after every writer.
"""
from collections.abc import Iterable

from django.db.models.signals import post_save

from .models import Product
from .selectors import catalog_visible_q


def catalog_visibility_refresh(*, supplier_id: int | None = None, product_ids: Iterable[int] | None = None) -> int:
    """Set ``catalog_visible`` from the rule for one supplier's products or the given products (every product
    when neither is given). Two UPDATEs touching only rows whose flag is wrong; returns how many changed."""
    products = Product.objects.all()
    if supplier_id is not None:
        products = products.filter(supplier_id=supplier_id)
    if product_ids is not None:
        products = products.filter(pk__in=list(product_ids))
    shown = products.filter(catalog_visible_q(), catalog_visible=False).update(catalog_visible=True)
    hidden = products.filter(catalog_visible=True).exclude(catalog_visible_q()).update(catalog_visible=False)
    return shown + hidden


def _on_supplier_saved(sender, instance, created=False, **kwargs) -> None:
    if not created:  # a new supplier has no products yet
        catalog_visibility_refresh(supplier_id=instance.pk)


def connect_visibility() -> None:
    post_save.connect(_on_supplier_saved, sender="suppliers.SupplierProfile",
                      dispatch_uid="products.visibility:supplier", weak=False)
