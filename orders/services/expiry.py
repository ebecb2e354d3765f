"""Reservation expiry: unpaid orders give their stock back after ORDER_RESERVATION_MINUTES."""
import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from core.errors import ApplicationError

from ..models import COD, Order, OrderStatus
from .reservations import release_stock_together
from .transitions import order_transition

logger = logging.getLogger(__name__)


def _expired_order_groups(*, now, limit: int) -> list[tuple[int | None, list[int]]]:
    """Candidates only (read without locks), grouped so a checkout's orders expire together: (checkout id, its
    orders among the candidates) or (None, [an order placed on its own]). Each is re-checked under its row lock
    before cancelling — a checkout's whole set of orders, also those past this run's ``limit``."""
    # Pay-on-delivery orders have no reserved_until and never expire; excluded by name as well, to be sure.
    rows = (Order.objects.filter(status=OrderStatus.PENDING, reserved_until__lt=now).exclude(payment_method=COD)
            .order_by("reserved_until", "pk").values_list("pk", "checkout_id")[:limit])
    groups: dict[object, tuple[int | None, list[int]]] = {}
    for pk, checkout_id in rows:
        groups.setdefault(("checkout", checkout_id) if checkout_id else ("order", pk), (checkout_id, []))[1].append(pk)
    return list(groups.values())


def order_release_expired(*, now=None, limit: int = 500) -> int:
    """Cancel unpaid pending orders whose reservation ran out; returns how many were cancelled.

    The orders of one checkout are cancelled together, in one transaction. Each order is re-checked
    under its row lock, so two overlapping runs, a customer cancelling or a payment confirming at the
    same moment are all safe: whoever locks second sees the new status and skips (and stock is
    released once, guarded by ``stock_released_at``). A checkout's units go back in one release, its products
    locked in the global order (``release_stock_together``). Each group on its own: one that fails is logged
    and the run goes on (it is tried again on the next run).
    """
    now = now or timezone.now()
    released = 0
    for checkout_id, group in _expired_order_groups(now=now, limit=limit):
        members = {"checkout_id": checkout_id} if checkout_id else {"pk__in": group}
        try:
            with transaction.atomic():
                still_expired = list(
                    Order.objects.select_for_update()
                    .filter(**members, status=OrderStatus.PENDING, reserved_until__lt=now).exclude(payment_method=COD)
                    .order_by("pk").values_list("pk", flat=True)
                )
                if len(still_expired) > 1:
                    release_stock_together(still_expired, now=timezone.now())
                for pk in still_expired:
                    order_transition(
                        order_id=pk, to_status=OrderStatus.CANCELLED, actor=None, system=True,
                        notes=f"Reservation expired: not paid within {settings.ORDER_RESERVATION_MINUTES} minutes.",
                    )
            released += len(still_expired)
        except (ApplicationError, DatabaseError):
            logger.exception("Could not release expired order(s) %s; the run goes on", group)
    if released:
        logger.info("Released %d expired order(s)", released)
    return released
