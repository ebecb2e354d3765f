"""Reconciliation: the periodic run that settles what webhooks missed (Paystack only sends successes)
and retries stuck refunds and payouts. Each item is handled on its own: one that raises is logged and
skipped, the run goes on (SPEC §6.9).
"""
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core.errors import GatewayError, GatewayUnavailable

from ..models import Transaction, WithdrawalRequest
from .charges import FAILED_AS_UNPAYABLE, payment_confirm, payment_fail_if_unpayable
from .payouts import withdrawal_payout_execute
from .refunds import payment_refund_process

logger = logging.getLogger(__name__)

# Late-payment checks: at most this many candidates read a run, and no new one started after this many seconds of
# the run (the periodic task's own time limit is 300 s; refunds and payouts come first).
LATE_SUCCESS_SCAN = 1000
LATE_SUCCESS_SECONDS = 120
# Pending payment attempts, and pending refunds, looked at by one run (each kind the least recently looked at first).
RECONCILE_PER_RUN = 200

TxStatus = Transaction.Status
TxType = Transaction.TransactionType
WithdrawalStatus = WithdrawalRequest.Status
PAYMENT_KINDS = ("payments", "late_payments")


def _looked_at(reference: str) -> None:
    """A payment attempt verified without an outcome (the gateway refused to tell, or applying it raised): stamped,
    so that its turn comes again after the others' instead of holding the head of the least-recently-looked-at
    queue run after run."""
    Transaction.objects.filter(transaction_id=reference, transaction_type=TxType.PAYMENT).update(
        updated_at=timezone.now())


def payments_reconcile(*, now=None) -> dict:
    """Periodic: settle what webhooks did not (Paystack only sends successes), retry stuck refunds and payouts."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    counts = {"payments": 0, "refunds": 0, "payouts": 0, "late_payments": 0, "errors": 0}
    stale = Transaction.objects.filter(status=TxStatus.PENDING, created_at__lt=cutoff, flagged=False)
    # The least recently looked at first (a verification that leaves a payment pending stamps updated_at): attempts
    # that stay pending take their turn instead of filling every run's 200 ahead of newer ones.
    work = [("payments", txn.transaction_id, payment_confirm, {"reference": txn.transaction_id})
            for txn in stale.filter(transaction_type=TxType.PAYMENT).order_by("updated_at", "pk")[:RECONCILE_PER_RUN]]
    # Refunds the same way: one still pending at the gateway is stamped each time it is asked about (its status
    # saved), so 200 of them cannot hold the head while one whose task was never enqueued waits behind them.
    work += [("refunds", txn.transaction_id, payment_refund_process, {"refund_id": txn.pk})
             for txn in stale.filter(transaction_type=TxType.REFUND).order_by("updated_at", "pk")[:RECONCILE_PER_RUN]]
    stuck = WithdrawalRequest.objects.filter(
        Q(status=WithdrawalStatus.APPROVED) | Q(status=WithdrawalStatus.PROCESSING, transfer_code=""),
        updated_at__lt=cutoff,
    ).order_by("pk")
    work += [("payouts", withdrawal_id, withdrawal_payout_execute, {"withdrawal_id": withdrawal_id})
             for withdrawal_id in stuck.values_list("pk", flat=True)[:100]]
    # Last, after refunds and payouts, and within LATE_SUCCESS_SECONDS of the run: attempts we failed while the
    # gateway still had them pending (nothing they paid was payable), verified again for the gateway's retry window
    # so that a success arriving late is applied (refunded as a late payment) even when its webhook is lost or was
    # answered without being applied. Looked at less often as they age: again once a quarter of their age has gone
    # by since the last look (at least PAYMENT_RECONCILE_AFTER_MINUTES): ≈ 20 looks over 72 hours, not 432.
    late = Transaction.objects.filter(
        status=TxStatus.FAILED, transaction_type=TxType.PAYMENT, flagged=False, metadata__failed_as=FAILED_AS_UNPAYABLE,
        created_at__gte=now - timedelta(hours=settings.PAYMENT_LATE_SUCCESS_HOURS), updated_at__lt=cutoff,
    ).order_by("updated_at", "pk").values_list("transaction_id", "created_at", "updated_at")
    due = [reference for reference, created_at, updated_at in late[:LATE_SUCCESS_SCAN]
           if now - updated_at >= (now - created_at) / 4]
    late_work = [("late_payments", reference, payment_confirm, {"reference": reference})
                 for reference in due[:settings.PAYMENT_LATE_SUCCESS_PER_RUN]]
    started = time.monotonic()
    # Each item on its own: one that raises is logged with its traceback and skipped; the run goes on.
    for kind, ident, step, kwargs in work + late_work:
        if kind == "late_payments" and time.monotonic() - started > LATE_SUCCESS_SECONDS:
            logger.warning("reconcile: late-payment checks stopped at the run's time budget; the rest wait")
            break
        try:
            step(**kwargs)
        except GatewayUnavailable as exc:  # unreachable gateway: the next run tries again
            logger.warning("reconcile: %s %s not settled: %s", kind, ident, exc.message)
            continue
        except GatewayError as exc:  # a refusal ("no transaction found"): a payment nothing is left to pay fails
            logger.warning("reconcile: %s %s not settled: %s", kind, ident, exc.message)
            if kind in PAYMENT_KINDS:
                if payment_fail_if_unpayable(reference=ident, reason=exc.message) is not None:
                    counts[kind] += 1
                else:
                    _looked_at(ident)
            continue
        except Exception:
            logger.exception("reconcile: %s %s raised; skipped, the run goes on", kind, ident)
            counts["errors"] += 1
            if kind in PAYMENT_KINDS:
                _looked_at(ident)
            continue
        counts[kind] += 1
    return counts
