"""What payments does when an order changes status. Registered with ``orders.hooks`` in
``PaymentsConfig.ready()``; orders runs it inside the transaction that holds the order's row lock,
after the new status is saved (so a failure here rolls the transition back)."""
from django.conf import settings
from django.db import transaction

from orders.models import OrderStatus

from .services.cod import cod_record_cash
from .services.earnings import earnings_reverse_for_order

REVERSING_STATUSES = frozenset({OrderStatus.CANCELLED, OrderStatus.RETURNED})


def on_order_transition(*, order, new_status: str, **_context) -> None:
    """Cancelled/returned: earnings cancelled; if the order was paid, the ledger is reversed (pending share
    out of pending, an already-released share debited from available) and a gateway refund is scheduled
    after commit. Delivered: ``payments.tasks.release_matured_earnings`` releases the share
    EARNINGS_RELEASE_DAYS after ``delivered_at``; with EARNINGS_RELEASE_DAYS=0 there is no return window to
    wait for, so the release is enqueued right after the delivery commits (SPEC §6.3). A pay-on-delivery order's
    delivery carries the cash the supplier collected: its sale is booked first (``services.cod``)."""
    if new_status in REVERSING_STATUSES:
        earnings_reverse_for_order(order=order, reason=new_status)
        return
    if new_status == OrderStatus.DELIVERED and order.is_cod:
        cod_record_cash(order=order)  # pay on delivery: the supplier recorded the cash (SPEC §10)
    if new_status == OrderStatus.DELIVERED and settings.EARNINGS_RELEASE_DAYS <= 0:
        from .tasks import release_order_earnings

        order_pk = order.pk
        transaction.on_commit(lambda: release_order_earnings.delay(order_pk), robust=True)
