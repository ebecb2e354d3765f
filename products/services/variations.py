"""A product's variations, written nested in the product body: with ``id`` updated, without created.

Variations are never deleted: order history points at them.
"""
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from core.errors import ValidationFailed
from products.caching import invalidate_products

from .. import stock
from ..models import Product, ProductVariation

VARIATION_FIELDS = ("name", "attributes", "sku", "price_modifier", "is_active")


def _taken_sku_error() -> ValidationFailed:
    return ValidationFailed("variations: A variation SKU is already taken.",
                            details={"variations": ["A variation SKU is already taken."]})


def _new_variations(product: Product, items: list[dict[str, Any]]) -> list[ProductVariation]:
    return [
        ProductVariation(
            product=product, name=item["name"], sku=item["sku"], attributes=item.get("attributes") or {},
            price_modifier=item.get("price_modifier", Decimal("0.00")),
            stock_quantity=item.get("stock_quantity", 0), is_active=item.get("is_active", True),
        )
        for item in items
    ]


def variations_create(*, product: Product, items: list[dict[str, Any]]) -> None:
    """New variations of a new or existing product, starting with the stock they are given."""
    if not items:
        return
    try:
        with transaction.atomic():
            ProductVariation.objects.bulk_create(_new_variations(product, items))
    except IntegrityError as exc:
        raise _taken_sku_error() from exc


def variations_upsert(*, product: Product, items: list[dict[str, Any]], actor=None) -> None:
    """Caller holds the product's row lock. Stock changes go through ``products.stock`` and are recorded."""
    existing_ids = [item["id"] for item in items if "id" in item]
    locked = {
        variation.pk: variation
        for variation in ProductVariation.objects.select_for_update().filter(product=product, pk__in=existing_ids)
    }
    new_items = []
    for item in items:
        if "id" not in item:
            new_items.append(item)
            continue
        variation = locked.get(item["id"])
        if variation is None:
            raise ValidationFailed("variations: Not a variation of this product.",
                                   details={"variations": [f"{item['id']} is not a variation of this product."]})
        fields = [key for key in VARIATION_FIELDS if key in item]
        for key in fields:
            setattr(variation, key, item[key])
        try:
            with transaction.atomic():
                if fields:
                    variation.save(update_fields=[*fields, "updated_at"])
        except IntegrityError as exc:
            raise _taken_sku_error() from exc
        if "stock_quantity" in item and item["stock_quantity"] != variation.stock_quantity:  # locked above
            stock.stock_set(product_id=product.pk, variation_id=variation.pk, quantity=item["stock_quantity"],
                            reason="product update", actor=actor)
    if new_items:
        variations_create(product=product, items=new_items)
        invalidate_products([product.pk])  # bulk_create sends no signals (products/caching.py)
