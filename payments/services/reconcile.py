"""Reconciliation (SPEC §6.2, §6.9): what webhooks did not settle, settled by asking the gateways.

Each item is handled on its own: one that fails is logged and skipped, the run goes on.
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core.errors import GatewayError, GatewayUnavailable

from ..models import Transaction, WithdrawalRequest
from .charges import payment_confirm
from .payouts import withdrawal_payout_execute
from .refunds import payment_refund_process

logger = logging.getLogger(__name__)

TxStatus = Transaction.Status
TxType = Transaction.TransactionType
WithdrawalStatus = WithdrawalRequest.Status

def payments_reconcile(*, now=None) -> dict:
    """Periodic: settle what webhooks did not (Paystack only sends successes), retry stuck refunds and payouts."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    counts = {"payments": 0, "refunds": 0, "payouts": 0}
    stale = Transaction.objects.filter(status=TxStatus.PENDING, created_at__lt=cutoff, flagged=False)
    for txn in stale.filter(transaction_type=TxType.PAYMENT).order_by("created_at")[:200]:
        try:
            payment_confirm(reference=txn.transaction_id)
            counts["payments"] += 1
        except GatewayError as exc:
            logger.warning("reconcile: %s could not be verified: %s", txn.transaction_id, exc.message)
    for txn in stale.filter(transaction_type=TxType.REFUND).order_by("created_at")[:200]:
        payment_refund_process(refund_id=txn.pk)
        counts["refunds"] += 1
    stuck = WithdrawalRequest.objects.filter(
        Q(status=WithdrawalStatus.APPROVED) | Q(status=WithdrawalStatus.PROCESSING, transfer_code=""),
        updated_at__lt=cutoff,
    ).order_by("pk")
    for withdrawal_id in stuck.values_list("pk", flat=True)[:100]:
        try:
            withdrawal_payout_execute(withdrawal_id=withdrawal_id)
            counts["payouts"] += 1
        except GatewayUnavailable as exc:
            logger.warning("reconcile: payout %s still inconclusive: %s", withdrawal_id, exc.message)
    return counts
