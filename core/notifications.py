"""Notifications (email + SMS) sent by background tasks after commit.

``notify(event, **ids)`` is the one entry point for every app: it schedules the delivery with
``transaction.on_commit`` so that nothing is sent for a transaction that rolls back, and never
raises into the caller's request.
"""

EVENTS = (
    "order_placed",          # order_id → entrepreneur and supplier
    "order_paid",            # order_id → customer, entrepreneur, supplier
    "order_shipped",         # order_id → customer (with tracking number)
    "order_delivered",       # order_id → customer, entrepreneur
    "supplier_verified",     # supplier_id → supplier
    "supplier_rejected",     # supplier_id → supplier
    "withdrawal_completed",  # withdrawal_id → entrepreneur
    "withdrawal_failed",     # withdrawal_id → entrepreneur
)


def notify(event: str, **ids) -> None:
    if event not in EVENTS:
        raise ValueError(f"Unknown notification event {event!r}")
