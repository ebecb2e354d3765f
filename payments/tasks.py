"""Background jobs. Enqueued with ``transaction.on_commit``; the periodic ones are in CELERY_BEAT_SCHEDULE."""
import logging

from celery import shared_task
from django.utils.dateparse import parse_datetime

from core.errors import GatewayUnavailable

logger = logging.getLogger(__name__)


@shared_task
def reconcile_pending_transactions() -> dict:
    """Verify payments still pending after PAYMENT_RECONCILE_AFTER_MINUTES; retry stuck refunds and payouts."""
    from .services import payments_reconcile

    return payments_reconcile()


@shared_task
def release_matured_earnings(now: str | None = None) -> int:
    """Move the entrepreneur share of orders delivered EARNINGS_RELEASE_DAYS ago from pending to available."""
    from .services import earnings_release_matured

    return earnings_release_matured(now=parse_datetime(now) if now else None)


@shared_task
def release_order_earnings(order_id: int) -> bool:
    """Release one delivered order's earnings now (EARNINGS_RELEASE_DAYS=0: enqueued when it is delivered).
    Idempotent; the periodic release catches it if this never runs."""
    from .services import earnings_release_order

    return earnings_release_order(order_pk=order_id)


@shared_task
def refund_payment(refund_id: int) -> str:
    from .services import payment_refund_process

    return payment_refund_process(refund_id=refund_id).status


@shared_task
def process_withdrawal_payout(withdrawal_id: int) -> str:
    from .services import withdrawal_payout_execute

    try:
        return withdrawal_payout_execute(withdrawal_id=withdrawal_id).status
    except GatewayUnavailable as exc:
        # Left approved/processing; reconcile_pending_transactions retries with the same reference.
        logger.warning("payout %s postponed: %s", withdrawal_id, exc.message)
        return "postponed"


@shared_task
def check_payouts() -> dict:
    """Verify withdrawals still processing (or waiting for their OTP) after PAYOUT_CHECK_AFTER_MINUTES with the
    gateway; settle them."""
    from .services import payouts_check

    return payouts_check()
