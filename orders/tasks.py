"""Periodic order jobs (scheduled in settings.CELERY_BEAT_SCHEDULE)."""
from celery import shared_task

from .services import order_release_expired


@shared_task(name="orders.tasks.release_expired_orders")
def release_expired_orders() -> int:
    """Cancel unpaid orders whose stock reservation ran out, putting the stock back. Safe to overlap."""
    return order_release_expired()
