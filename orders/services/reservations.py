"""The stock side of an order, through ``products.stock`` (which owns every stock write):
reserve a checkout's lines, put an order's units back on cancel/return."""
from products.stock import StockLine, stock_release, stock_reserve

from ..models import Order, OrderItem
from .lines import CartLine


def reserve_stock(lines: list[CartLine]) -> None:
    stock_reserve([StockLine(line.product_id, line.variation_id, line.quantity, line.display_name) for line in lines])


def release_stock(order: Order) -> None:
    stock_release([StockLine(item.product_id, item.variation_id, item.quantity) for item in order.items.all()])


def release_stock_together(order_ids: list[int], now) -> list[int]:
    """Put back the units of several orders (a checkout's, expiring together) in one ``stock_release`` — the rows in
    the global lock order (products by pk, then variations) across all of them, not order by order: orders that
    each lock their own products would take them in order-pk order and deadlock with a placement taking the same
    products in product-pk order. Each order's stock is then marked released (``stock_released_at``), so the
    status change that follows does not put it back a second time. The caller holds the orders' row locks; orders
    whose stock is already back are skipped. Returns the ids of the orders whose stock was put back."""
    pending = list(Order.objects.filter(pk__in=order_ids, stock_released_at__isnull=True).values_list("pk", flat=True))
    if not pending:
        return []
    items = OrderItem.objects.filter(order_id__in=pending).values_list("product_id", "variation_id", "quantity")
    stock_release([StockLine(product_id, variation_id, quantity) for product_id, variation_id, quantity in items])
    Order.objects.filter(pk__in=pending).update(stock_released_at=now)
    return pending
