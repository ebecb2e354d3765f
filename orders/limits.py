"""Bounds on what one customer may hold reserved without paying (stock hoarding, issue 11).

An unpaid order holds its units for ``ORDER_RESERVATION_MINUTES``. Without a bound, one account (or a
script) could keep a popular product "sold out" for everybody by placing orders it never pays and
placing them again when they expire. A customer may hold at most:

- ``ORDER_MAX_UNPAID_ORDERS`` unpaid reservations at once (default 3; an unpaid order is one, an unpaid
  checkout is one),
- ``ORDER_MAX_UNPAID_UNITS_PER_PRODUCT`` units of one product across them (default 20; every variation
  of a product counts towards the product),
- ``ORDER_MAX_UNPAID_UNITS`` units in all (default 100).

Going beyond any of them is a 409 (``ReservationLimitExceeded``) that says which bound and what to do:
pay for or cancel an unpaid order. Paying, cancelling or the reservation running out frees the room
again. Orders that do not expire (``reserved_until`` empty, e.g. pay on delivery) are not counted here.
"""
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.errors import Conflict
from core.prepared import PreparedRead

from .models import Order, OrderStatus, PaymentStatus


class ReservationLimitExceeded(Conflict):
    code = "reservation_limit"
    default_message = "Too much stock is already reserved by your unpaid orders."


_LOCK_CUSTOMER = PreparedRead(lambda pk: get_user_model().objects.select_for_update().filter(pk=pk).values_list("pk"),
                              pk=int)


# The customer's unpaid reservations with their lines: one row per order line (an order without lines: one row of
# Nones), compiled once per connection (core.prepared).
_UNPAID_HOLDINGS = PreparedRead(
    lambda customer_id, now: Order.objects.filter(
        customer_id=customer_id, status=OrderStatus.PENDING, payment_status=PaymentStatus.PENDING,
        reserved_until__gt=now,
    ).order_by().values_list("pk", "checkout_id", "items__product_id", "items__quantity"),
    customer_id=int, now=datetime,
)


def _holdings(rows) -> tuple[int, Counter]:
    """Unpaid reservations held — one per unpaid order placed on its own, one per checkout (however many parcels
    it was split into: the shopper placed it in one go and pays it in one go) — and the units they hold per
    product, from ``_UNPAID_HOLDINGS``'s rows."""
    singles, checkouts, units = set(), set(), Counter()
    for order_id, checkout_id, product_id, quantity in rows:
        if checkout_id is None:
            singles.add(order_id)
        else:
            checkouts.add(checkout_id)
        if product_id is not None:
            units[product_id] += quantity
    return len(singles) + len(checkouts), units


def _line_units(lines: Iterable[Any]) -> Counter:
    """``{product_id: units}`` of the new lines (objects or mappings with ``product_id`` and ``quantity``)."""
    units: Counter = Counter()
    for line in lines:
        if isinstance(line, Mapping):
            product_id, quantity = line["product_id"], line["quantity"]
        else:
            product_id, quantity = line.product_id, line.quantity
        units[int(product_id)] += int(quantity)
    return units


def check_unpaid_reservation_limits(customer, lines: Iterable[Any], *, new_reservations: int = 1) -> None:
    """Raise ``ReservationLimitExceeded`` (409) when placing ``lines`` would take ``customer`` past a bound.

    ``lines``: the new order's (or checkout's) lines, each with ``product_id`` and ``quantity``
    (attributes or keys); several lines of one product add up. ``new_reservations``: how many
    reservations the new placement adds (1 for one order).

    Call it inside the transaction that reserves the stock: it locks the customer's user row first, so two
    concurrent placements by one customer are counted one after the other (lock order: user row →
    product rows → variation rows).
    """
    _LOCK_CUSTOMER(pk=customer.pk)
    held, held_units = _holdings(_UNPAID_HOLDINGS(customer_id=customer.pk, now=timezone.now()))

    max_reservations = settings.ORDER_MAX_UNPAID_ORDERS
    if held + new_reservations > max_reservations:
        raise ReservationLimitExceeded(
            f"You already have {held} unpaid order{'s' if held != 1 else ''} holding stock (at most "
            f"{max_reservations}). Pay for or cancel one of them before placing another.",
            details={"limit": "unpaid_orders", "maximum": max_reservations, "unpaid_orders": held},
        )

    new_units = _line_units(lines)
    if not new_units:
        return

    max_per_product = settings.ORDER_MAX_UNPAID_UNITS_PER_PRODUCT
    for product_id in sorted(new_units):
        total = held_units[product_id] + new_units[product_id]
        if total > max_per_product:
            raise ReservationLimitExceeded(
                f"At most {max_per_product} units of one product can be reserved in unpaid orders: you hold "
                f"{held_units[product_id]} and asked for {new_units[product_id]} more. Pay for your unpaid "
                "orders or lower the quantity.",
                details={"limit": "units_per_product", "maximum": max_per_product, "product_id": product_id,
                         "reserved": held_units[product_id], "requested": new_units[product_id]},
            )

    max_units = settings.ORDER_MAX_UNPAID_UNITS
    held_total, new_total = sum(held_units.values()), sum(new_units.values())
    if held_total + new_total > max_units:
        raise ReservationLimitExceeded(
            f"At most {max_units} units in all can be reserved in unpaid orders: you hold {held_total} and asked "
            f"for {new_total} more. Pay for your unpaid orders or lower the quantities.",
            details={"limit": "units_total", "maximum": max_units, "reserved": held_total, "requested": new_total},
        )
