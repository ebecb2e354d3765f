"""What payments does when an order changes status. Registered with ``orders.hooks`` in
``PaymentsConfig.ready()``; orders runs it inside the transaction that holds the order's row lock,
after the new status is saved (so a failure here rolls the transition back)."""
from orders.models import OrderStatus

from .services.earnings import earnings_reverse_for_order

REVERSING_STATUSES = frozenset({OrderStatus.CANCELLED, OrderStatus.RETURNED})


def on_order_transition(*, order, new_status: str, **_context) -> None:
    """Cancelled/returned: earnings cancelled; if the order was paid, the ledger is reversed (pending share
    out of pending, an already-released share debited from available) and a gateway refund is scheduled
    after commit. Delivered: nothing now — ``payments.tasks.release_matured_earnings`` releases the share
    EARNINGS_RELEASE_DAYS after ``delivered_at``."""
    if new_status in REVERSING_STATUSES:
        earnings_reverse_for_order(order=order, reason=new_status)
