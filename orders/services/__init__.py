"""Every write on orders, by sub-domain:

- ``create``        checkout of one order: server pricing, supplier rules, stock reserved
- ``lines``         the typed ``OrderLine`` input and the catalog/price checks on it
- ``reservations``  stock reserved at checkout and put back on cancel/return
- ``transitions``   the status machine, ``order_mark_paid`` and ``order_mark_refunded``
- ``expiry``        unpaid orders released after ORDER_RESERVATION_MINUTES

Lock order, shared by every writer so concurrent transactions never deadlock:
    order row (select_for_update)  →  product rows by pk  →  variation rows by pk.
Checkout has no order row yet: it locks the customer's user row (the unpaid-reservation limits,
``orders.limits``), then the stock rows, in the same order.

Orders imports nothing from the apps above it; they react through ``orders.hooks``.
"""
from .create import MAX_NOTES_LENGTH, generate_order_id, order_create
from .expiry import order_release_expired
from .lines import MAX_LINE_QUANTITY, MAX_ORDER_LINES, OrderLine
from .transitions import order_mark_paid, order_mark_refunded, order_transition

__all__ = [
    "MAX_LINE_QUANTITY", "MAX_NOTES_LENGTH", "MAX_ORDER_LINES", "OrderLine", "generate_order_id", "order_create",
    "order_mark_paid", "order_mark_refunded", "order_release_expired", "order_transition",
]
