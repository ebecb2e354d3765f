"""What payments does when an order changes status. Called by ``orders.services`` inside the
transaction that holds the order's row lock, after the new status is saved."""


def on_order_transition(*, order, previous_status: str, new_status: str, actor=None) -> None:
    """Earnings/ledger side effects of an order status change (implemented by the payments app)."""
    return None
