"""The stock side of an order, through ``products.stock`` (which owns every stock write):
reserve a checkout's lines, put an order's units back on cancel/return."""
from products.stock import StockLine, stock_release, stock_reserve

from ..models import Order
from .lines import CartLine


def reserve_stock(lines: list[CartLine]) -> None:
    stock_reserve([StockLine(line.product_id, line.variation_id, line.quantity, line.display_name) for line in lines])


def release_stock(order: Order) -> None:
    stock_release([StockLine(item.product_id, item.variation_id, item.quantity) for item in order.items.all()])
