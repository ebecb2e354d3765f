"""What payments does when an order changes status. Called by ``orders.services`` inside the
transaction that holds the order's row lock, after the new status is saved."""


def on_order_transition(*, order, previous_status: str, new_status: str, actor=None) -> None:
    """Cancelled/returned: earnings cancelled; if the order was paid, the ledger is reversed (pending share
    out of pending, an already-released share debited from available) and a gateway refund is scheduled
    after commit. Delivered: nothing now — ``payments.tasks.release_matured_earnings`` releases the share
    EARNINGS_RELEASE_DAYS after ``delivered_at``."""
    from .services import earnings_on_order_transition

    earnings_on_order_transition(order=order, previous_status=previous_status, new_status=new_status, actor=actor)
