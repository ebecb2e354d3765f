"""A supplier's own products: create, edit, deactivate, and set their stock."""
from typing import Any

from django.db import IntegrityError, transaction

from core.errors import Conflict, NotFound, PermissionDenied

from .. import stock
from ..models import InventoryAdjustment, Product
from .slugs import duplicate_sku_error, random_slug, sku_taken, unique_product_slugs
from .variations import variations_create, variations_upsert

PRODUCT_FIELDS = ("name", "description", "category", "sku", "base_price", "suggested_markup", "weight", "is_active")


def require_seller(supplier) -> None:
    if not supplier.can_sell:
        raise PermissionDenied("Only verified, active suppliers can manage products.")


@transaction.atomic
def product_create(*, supplier, data: dict[str, Any], actor=None) -> Product:
    """A verified supplier's new product (and its variations). The slug is generated from the name."""
    require_seller(supplier)
    data = dict(data)
    variations = data.pop("variations", None) or []
    fields = {key: data[key] for key in PRODUCT_FIELDS if key in data}
    product = Product(supplier=supplier, stock_quantity=data.get("stock_quantity", 0), **fields)
    product.slug = unique_product_slugs([(product.name, product.sku)])[0]
    for attempt in range(2):
        try:
            with transaction.atomic():
                product.save()
            break
        except IntegrityError as exc:
            if sku_taken(product.sku):
                raise duplicate_sku_error() from exc
            if attempt:
                raise Conflict("Could not save the product; please retry.") from exc
            # Someone took the same slug between our check and our insert.
            product.pk = None
            product.slug = random_slug(product.name)
    variations_create(product=product, items=variations)
    return product


def _lock_own_product(*, supplier, product_id) -> Product:
    try:
        return Product.objects.select_for_update().get(pk=product_id, supplier=supplier)
    except (Product.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Product not found.") from exc


@transaction.atomic
def product_update(*, supplier, product_id: int, data: dict[str, Any], actor=None) -> Product:
    """Change a supplier's own product. Stock changes are recorded like ``update_inventory``; variations
    with an ``id`` are updated, new ones created (variations are never deleted: order history needs them)."""
    require_seller(supplier)
    product = _lock_own_product(supplier=supplier, product_id=product_id)
    data = dict(data)
    variations = data.pop("variations", None)
    new_stock = data.pop("stock_quantity", None)

    changed = [key for key in PRODUCT_FIELDS if key in data]
    for key in changed:
        setattr(product, key, data[key])
    if changed:
        try:
            with transaction.atomic():
                product.save(update_fields=[*changed, "updated_at"])
        except IntegrityError as exc:
            raise duplicate_sku_error() from exc
    if new_stock is not None and new_stock != product.stock_quantity:  # under the row lock taken above
        stock.stock_set(product_id=product.pk, quantity=new_stock, reason="product update", actor=actor)
        product.stock_quantity = new_stock
    if variations:
        variations_upsert(product=product, items=variations, actor=actor)
    return product


@transaction.atomic
def product_deactivate(*, supplier, product_id: int) -> Product:
    """Hide a product from the catalog and storefronts. It is never deleted: orders keep pointing at it."""
    product = _lock_own_product(supplier=supplier, product_id=product_id)
    if product.is_active:
        product.is_active = False
        product.save(update_fields=["is_active", "updated_at"])
    return product


@transaction.atomic
def product_update_inventory(*, supplier, product_id: int, stock_quantity: int, variation_id: int | None = None,
                             reason: str = "", actor=None) -> InventoryAdjustment:
    """A supplier's stock count: the absolute stock of its product (or one of its variations), recorded
    even when unchanged. ``products.stock.stock_set`` does the locked write."""
    require_seller(supplier)
    stock.check_stock_quantity(stock_quantity)
    _lock_own_product(supplier=supplier, product_id=product_id)
    return stock.stock_set(product_id=product_id, variation_id=variation_id, quantity=stock_quantity,
                           reason=reason, actor=actor)
