"""What a payout's outcome does to a withdrawal (SPEC §6.6, §6.9): the transfer starts, succeeds, fails or is
reversed by the bank, or waits for an OTP. Every move goes through ``withdrawals._transition`` under the
row lock of ``withdrawals._lock`` (lock order: WithdrawalRequest → Wallet); the ledger postings move the
owner's wallet (entrepreneur or supplier) through ``wallets.wallet_journal_post``. Called by ``payouts``,
the transfer webhooks and ``check_payouts``; never under a gateway call.
"""
import logging

from django.db import transaction
from django.utils import timezone

from core.money import CURRENCY
from core.notifications import notify

from ..ledger import Line
from ..models import JournalEntry, LedgerAccount, Provider, Transaction, WithdrawalRequest
from .wallets import wallet_journal_post, wallet_lock
from .withdrawals import _lock, _return_funds, _transition, withdrawal_can_move

logger = logging.getLogger(__name__)

EntryType = JournalEntry.EntryType
Status = WithdrawalRequest.Status
TxStatus = Transaction.Status
TxType = Transaction.TransactionType


def _undo_completion(withdrawal: WithdrawalRequest) -> None:
    """Money came back after a completed payout: take it out of ``total_withdrawn`` and back in flight."""
    user_id = withdrawal.user_id
    wallet_journal_post(
        entry_type=EntryType.PAYOUT_REVERSED, idempotency_key=f"payout_reversed:{withdrawal.reference_id}",
        withdrawal=withdrawal, description=f"Payout {withdrawal.reference_id} reversed by the bank",
        lines=[Line(LedgerAccount.PAYOUTS_IN_FLIGHT, withdrawal.amount, user_id),
               Line(LedgerAccount.GATEWAY_CLEARING, -withdrawal.net_amount),
               Line(LedgerAccount.PLATFORM_REVENUE, -withdrawal.processing_fee)],
    )


def withdrawal_fail(*, withdrawal_id, reason: str, reversed_by_gateway: bool = False,
                    only_from: tuple[str, ...] | None = None) -> WithdrawalRequest:
    """The payout did not happen (or was reversed): status failed, the full amount back to the balance.
    Idempotent: a failed or rejected withdrawal is left alone. ``only_from``: fail it only from these states (a
    refusal before any transfer was sent says nothing of a withdrawal another run has meanwhile moved on)."""
    with transaction.atomic():
        withdrawal = _lock(withdrawal_id)
        if only_from is not None and withdrawal.status not in only_from:
            logger.warning("withdrawal %s is %s: not failed (%s)", withdrawal.reference_id, withdrawal.status, reason)
            return withdrawal
        if not withdrawal_can_move(withdrawal, Status.FAILED):
            return withdrawal
        if withdrawal.status == Status.COMPLETED:
            if not reversed_by_gateway:
                logger.error("withdrawal %s: failure reported after completion: %s", withdrawal.reference_id, reason)
                return withdrawal
            _undo_completion(withdrawal)
        _transition(withdrawal, Status.FAILED, notes=reason, failure_reason=reason[:2000], processed_at=timezone.now())
        _return_funds(withdrawal, entry_type=EntryType.PAYOUT_FAILED, key=f"payout_failed:{withdrawal.reference_id}",
                      description=f"Payout {withdrawal.reference_id} failed: {reason}")
        Transaction.objects.filter(withdrawal=withdrawal, transaction_type=TxType.PAYOUT).exclude(
            status=TxStatus.FAILED).update(status=TxStatus.FAILED, updated_at=timezone.now())
        notify("withdrawal_failed", withdrawal_id=withdrawal.pk)
    logger.warning("withdrawal %s failed: %s", withdrawal.reference_id, reason)
    return withdrawal


def withdrawal_complete(*, withdrawal_id, transfer_code: str = "") -> WithdrawalRequest:
    """``transfer.success``: the money reached the bank. Idempotent."""
    with transaction.atomic():
        withdrawal = _lock(withdrawal_id)
        if withdrawal.status == Status.COMPLETED:
            return withdrawal
        if not withdrawal_can_move(withdrawal, Status.COMPLETED):
            logger.error("withdrawal %s: transfer.success while %s — needs an admin", withdrawal.reference_id,
                         withdrawal.status)
            return withdrawal
        user_id = withdrawal.user_id
        wallet_journal_post(
            entry_type=EntryType.PAYOUT_COMPLETED, idempotency_key=f"payout_completed:{withdrawal.reference_id}",
            withdrawal=withdrawal, description=f"Payout {withdrawal.reference_id} completed",
            lines=[Line(LedgerAccount.PAYOUTS_IN_FLIGHT, -withdrawal.amount, user_id),
                   Line(LedgerAccount.GATEWAY_CLEARING, withdrawal.net_amount),
                   Line(LedgerAccount.PLATFORM_REVENUE, withdrawal.processing_fee)],
        )
        _transition(withdrawal, Status.COMPLETED, notes="Transfer succeeded",
                    transfer_code=withdrawal.transfer_code or transfer_code, processed_at=timezone.now())
        Transaction.objects.filter(withdrawal=withdrawal, transaction_type=TxType.PAYOUT).update(
            status=TxStatus.COMPLETED, completed_at=timezone.now(), updated_at=timezone.now())
        notify("withdrawal_completed", withdrawal_id=withdrawal.pk)
    return withdrawal


def withdrawal_require_otp(*, withdrawal_id, transfer_code: str = "") -> WithdrawalRequest:
    """Paystack answered ``otp``: the payout waits for an admin to finalize it with the OTP."""
    with transaction.atomic():
        withdrawal = _lock(withdrawal_id)
        if withdrawal.status != Status.PROCESSING:
            return withdrawal
        _transition(withdrawal, Status.OTP_REQUIRED,
                    notes="Paystack requires an OTP: finalize it in Django admin (Finalize with OTP)",
                    transfer_code=withdrawal.transfer_code or transfer_code)
    logger.warning("withdrawal %s needs an OTP to finalize the transfer", withdrawal.reference_id)
    return withdrawal


def withdrawal_otp_accepted(*, withdrawal_id, by=None) -> WithdrawalRequest:
    """The OTP was accepted and Paystack is paying it out: back to processing until its outcome arrives."""
    with transaction.atomic():
        withdrawal = _lock(withdrawal_id)
        if withdrawal.status != Status.OTP_REQUIRED:
            return withdrawal
        _transition(withdrawal, Status.PROCESSING, by=by, notes="OTP accepted by Paystack")
    return withdrawal


def withdrawal_start_transfer(*, withdrawal_id,
                              provider: str = Provider.PAYSTACK) -> tuple[WithdrawalRequest, bool]:
    """approved → processing, with the pending payout Transaction, just before the transfer call. Returns the
    withdrawal and whether this call made that move: a caller that did not (another run started it, or an earlier
    attempt whose answer was lost) must treat the transfer as possibly sent. Anything else (already processing,
    settled meanwhile) is returned unchanged.

    The owner's wallet gone negative since the approval (a share taken back on a cancel or return, COD cash owed):
    no transfer — it would pay that share out after all. The withdrawal fails instead and its amount goes back to
    the balance, settling what is owed (the owner may ask again for what is left)."""
    with transaction.atomic():
        withdrawal = _lock(withdrawal_id)
        if withdrawal.status != Status.APPROVED or withdrawal.transfer_code:
            return withdrawal, False
        if wallet_lock(user_id=withdrawal.user_id).balance < 0:  # lock order: WithdrawalRequest → Wallet
            failed = withdrawal_fail(withdrawal_id=withdrawal.pk, only_from=(Status.APPROVED,),
                                     reason="Not paid out: the balance went negative after the approval (a sale was "
                                            "cancelled or returned); the amount is back in the balance")
            return failed, False
        _transition(withdrawal, Status.PROCESSING, notes="Transfer initiated")
        Transaction.objects.get_or_create(
            transaction_id=withdrawal.reference_id,
            defaults={"user_id": withdrawal.user_id, "transaction_type": TxType.PAYOUT,
                      "amount": withdrawal.net_amount, "currency": CURRENCY, "provider": provider,
                      "withdrawal": withdrawal, "status": TxStatus.PENDING},
        )
    return withdrawal, True
