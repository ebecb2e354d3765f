"""Every write on orders, by sub-domain:

- ``checkout``      placing orders: one order (``order_create``) or a multi-supplier checkout
                    (``checkout_create``), priced, checked against supplier rules, stock reserved
- ``cod``           pay on delivery: the phone code, the opt-ins, the store's maximum, the phone's limits
- ``lines``         the typed ``OrderLine`` input and the catalog/price checks on it
- ``placement``     what every placement shares: the store, the source channel, unique order numbers
- ``reservations``  stock reserved at checkout and put back on cancel/return (through ``products.stock``)
- ``transitions``   the status machine, ``order_mark_paid`` and ``order_mark_refunded``
- ``expiry``        unpaid orders (a checkout's together) released after ORDER_RESERVATION_MINUTES

Lock order, shared by every writer so concurrent transactions never deadlock:
    order row (select_for_update)  →  product rows by pk  →  variation rows by pk.
Checkout has no order row yet: it locks the customer's user row (the unpaid-reservation limits,
``orders.limits``), then the stock rows, in the same order.

Orders imports nothing from the apps above it; they react through ``orders.hooks``.
"""
from .checkout import PAYMENT_METHODS, checkout_create, order_create
from .cod import cod_code_send, cod_code_verify, cod_offer_problem, cod_phone_clean
from .expiry import order_release_expired
from .lines import MAX_LINE_QUANTITY, MAX_ORDER_LINES, OrderLine
from .placement import MAX_NOTES_LENGTH, generate_order_id
from .transitions import order_mark_paid, order_mark_refunded, order_transition

__all__ = [
    "MAX_LINE_QUANTITY", "MAX_NOTES_LENGTH", "MAX_ORDER_LINES", "PAYMENT_METHODS", "OrderLine", "checkout_create",
    "cod_code_send", "cod_code_verify", "cod_offer_problem", "cod_phone_clean",
    "generate_order_id", "order_create", "order_mark_paid", "order_mark_refunded", "order_release_expired",
    "order_transition",
]
