"""The stock side of an order: reserve its lines at checkout, put them back on cancel/return.

Lock order: product rows by pk, then variation rows by pk (after the order row, when there is one).
"""
from django.db.models import F
from django.utils import timezone

from core.cache import invalidate_products_on_commit
from core.errors import InsufficientStock
from products.models import Product, ProductVariation

from ..models import Order
from .lines import CartLine


def _stock_target(line: CartLine) -> tuple[int, type, int]:
    """(lock rank, model, pk): products before variations, each by pk — the global lock order."""
    if line.variation_id:
        return (1, ProductVariation, line.variation_id)
    return (0, Product, line.product_id)


def reserve_stock(lines: list[CartLine]) -> None:
    """Conditional decrements: ``UPDATE … SET stock = stock − q WHERE id = … AND stock >= q``.

    The database re-checks the condition on the latest row version after any concurrent writer
    commits, so stock can never go negative nor be sold twice.
    """
    invalidate_products_on_commit({line.product_id for line in lines})  # cached storefronts show stock
    for line in sorted(lines, key=lambda ln: _stock_target(ln)[::2]):
        _rank, model, pk = _stock_target(line)
        updated = model.objects.filter(pk=pk, stock_quantity__gte=line.quantity).update(
            stock_quantity=F("stock_quantity") - line.quantity, updated_at=timezone.now()
        )
        if updated != 1:
            available = model.objects.filter(pk=pk).values_list("stock_quantity", flat=True).first() or 0
            raise InsufficientStock(
                f"Not enough stock for {line.display_name}: {available} available, {line.quantity} requested.",
                details={**line.ref, "requested": line.quantity, "available": available},
            )


def release_stock(order: Order) -> None:
    """Put an order's units back (F() increments, same lock order as reservation)."""
    items = list(order.items.all())
    invalidate_products_on_commit({item.product_id for item in items})  # cached storefronts show stock
    for item in sorted(items, key=lambda i: (1, i.variation_id) if i.variation_id else (0, i.product_id)):
        model, pk = (ProductVariation, item.variation_id) if item.variation_id else (Product, item.product_id)
        model.objects.filter(pk=pk).update(stock_quantity=F("stock_quantity") + item.quantity, updated_at=timezone.now())
