"""Withdrawals (SPEC §6.6): request, admin decision, and the payout's outcome.

The status machine is data (``WITHDRAWAL_TRANSITIONS``) and ``_transition`` is the one place that moves
a withdrawal: it runs under the row lock taken by ``_lock``, refuses a move the table does not allow,
saves with ``update_fields`` and writes history. Lock order: WithdrawalRequest → Wallet.
Gateway calls live in ``payouts`` and never run under these locks.
"""
import logging
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.errors import InvalidTransition, NotFound, ValidationFailed
from core.money import CURRENCY, percent_of, quantize, to_decimal
from core.notifications import notify
from entrepreneurs.models import EntrepreneurProfile

from .. import ledger
from ..ledger import Line
from ..models import (
    JournalEntry,
    LedgerAccount,
    PaymentMethod,
    Provider,
    Transaction,
    WithdrawalRequest,
    WithdrawalStatusHistory,
)
from ..tasks import process_withdrawal_payout
from .wallets import wallet_add, wallet_lock

logger = logging.getLogger(__name__)

EntryType = JournalEntry.EntryType
Status = WithdrawalRequest.Status
TxStatus = Transaction.Status
TxType = Transaction.TransactionType

MIN_WITHDRAWAL = Decimal("1000.00")
WITHDRAWAL_FEE_RATE = Decimal("2")
MIN_WITHDRAWAL_FEE = Decimal("50.00")

# Where a withdrawal may go next. completed → failed only when the bank reverses a finished payout.
WITHDRAWAL_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.APPROVED, Status.REJECTED, Status.FAILED}),
    Status.APPROVED: frozenset({Status.PROCESSING, Status.REJECTED, Status.COMPLETED, Status.FAILED}),
    Status.PROCESSING: frozenset({Status.OTP_REQUIRED, Status.COMPLETED, Status.FAILED}),
    # Finalized with the OTP: pending at Paystack again (processing), or settled at once.
    Status.OTP_REQUIRED: frozenset({Status.PROCESSING, Status.COMPLETED, Status.FAILED}),
    Status.COMPLETED: frozenset({Status.FAILED}),
    Status.REJECTED: frozenset(),
    Status.FAILED: frozenset(),
}


def withdrawal_can_move(withdrawal: WithdrawalRequest, to_status: str) -> bool:
    return to_status in WITHDRAWAL_TRANSITIONS[withdrawal.status]


def withdrawal_fee(amount: Decimal) -> Decimal:
    """max(2 % of the amount, ₦50), half-up to the kobo."""
    return max(percent_of(amount, WITHDRAWAL_FEE_RATE), MIN_WITHDRAWAL_FEE)


def _lock(withdrawal_id) -> WithdrawalRequest:
    withdrawal = (WithdrawalRequest.objects.select_for_update(of=("self",)).select_related("entrepreneur")
                  .filter(pk=withdrawal_id).first())
    if withdrawal is None:
        raise NotFound("Withdrawal not found.")
    return withdrawal


def _transition(withdrawal: WithdrawalRequest, to_status: str, *, by=None, notes: str = "", **changes) -> None:
    """Move a locked withdrawal along the table, with ``changes`` (field=value) saved in the same UPDATE."""
    if not withdrawal_can_move(withdrawal, to_status):
        raise InvalidTransition(f"A {withdrawal.status} withdrawal cannot become {to_status}.",
                                details={"current_status": withdrawal.status,
                                         "allowed": sorted(WITHDRAWAL_TRANSITIONS[withdrawal.status])})
    previous = withdrawal.status
    withdrawal.status = to_status
    for name, value in changes.items():
        setattr(withdrawal, name, value)
    withdrawal.save(update_fields=["status", "updated_at", *changes])
    WithdrawalStatusHistory.objects.create(withdrawal=withdrawal, status=to_status, previous_status=previous,
                                           notes=notes[:2000], created_by=by)


def withdrawal_create(*, user, amount, payment_method_id) -> WithdrawalRequest:
    """Take ``amount`` out of the available balance into a pending withdrawal (one locked transaction)."""
    profile = EntrepreneurProfile.objects.filter(user=user).first()
    if profile is None:
        raise ValidationFailed("Create your entrepreneur profile first.")
    try:
        amount = quantize(to_decimal(amount))
    except (TypeError, ValueError):
        raise ValidationFailed("amount: A valid amount is required.", details={"amount": ["A valid number is required."]})
    if amount < MIN_WITHDRAWAL:
        raise ValidationFailed("Minimum withdrawal amount is ₦1,000.",
                               details={"amount": ["Minimum withdrawal amount is ₦1,000."]})
    method = PaymentMethod.objects.filter(pk=payment_method_id, user=user, is_active=True,
                                          method_type=PaymentMethod.MethodType.BANK_TRANSFER).first()
    if method is None:
        raise ValidationFailed("payment_method: Choose one of your active bank accounts.",
                               details={"payment_method": ["Choose one of your active bank_transfer payment methods."]})
    fee = withdrawal_fee(amount)
    details = method.details or {}
    with transaction.atomic():
        wallet = wallet_lock(user_id=user.pk)
        if amount > wallet.balance:
            raise ValidationFailed("Insufficient balance.",
                                   details={"amount": [f"Your available balance is ₦{wallet.balance}."]})
        withdrawal = WithdrawalRequest.objects.create(
            entrepreneur=profile, payment_method=method, amount=amount, processing_fee=fee, net_amount=amount - fee,
            withdrawal_method=method.method_type, status=Status.PENDING,
            reference_id=f"wd_{uuid.uuid4().hex}",  # Paystack transfer reference: lowercase, ≥ 16 chars
            destination_details={key: details.get(key, "") for key in
                                 ("account_number", "bank_code", "account_name", "bank_name")},
        )
        ledger.ledger_post(
            entry_type=EntryType.WITHDRAWAL_HOLD, idempotency_key=f"withdrawal_hold:{withdrawal.reference_id}",
            withdrawal=withdrawal, description=f"Withdrawal {withdrawal.reference_id} requested",
            lines=[Line(LedgerAccount.ENTREPRENEUR_AVAILABLE, -amount, user.pk),
                   Line(LedgerAccount.PAYOUTS_IN_FLIGHT, amount, user.pk)],
        )
        wallet_add(wallet, balance=-amount)
        WithdrawalStatusHistory.objects.create(withdrawal=withdrawal, status=Status.PENDING, created_by=user,
                                               notes="Requested")
    return withdrawal


def withdrawal_approve(*, withdrawal_id, admin, notes: str = "") -> WithdrawalRequest:
    with transaction.atomic():
        withdrawal = _lock(withdrawal_id)
        if withdrawal.status != Status.PENDING:
            raise InvalidTransition(f"Only pending withdrawals can be approved (this one is {withdrawal.status}).")
        _transition(withdrawal, Status.APPROVED, by=admin, notes=notes or "Approved", processed_by=admin,
                    processed_at=timezone.now(), admin_notes=notes or withdrawal.admin_notes)
        pk = withdrawal.pk
        transaction.on_commit(lambda: process_withdrawal_payout.delay(pk))
    return withdrawal


def _return_funds(withdrawal: WithdrawalRequest, *, entry_type: str, key: str, description: str) -> None:
    user_id = withdrawal.entrepreneur.user_id
    wallet = wallet_lock(user_id=user_id)
    journal = ledger.ledger_post(
        entry_type=entry_type, idempotency_key=key, withdrawal=withdrawal, description=description,
        lines=[Line(LedgerAccount.PAYOUTS_IN_FLIGHT, -withdrawal.amount, user_id),
               Line(LedgerAccount.ENTREPRENEUR_AVAILABLE, withdrawal.amount, user_id)],
    )
    if journal is not None:
        wallet_add(wallet, balance=withdrawal.amount)


def withdrawal_reject(*, withdrawal_id, admin, notes: str = "") -> WithdrawalRequest:
    with transaction.atomic():
        withdrawal = _lock(withdrawal_id)
        # Once a transfer recipient exists the payout has started: only its outcome can end it.
        if not withdrawal_can_move(withdrawal, Status.REJECTED) or withdrawal.recipient_code:
            raise InvalidTransition(f"This withdrawal is {withdrawal.status} and can no longer be rejected.")
        _transition(withdrawal, Status.REJECTED, by=admin, notes=notes or "Rejected", processed_by=admin,
                    processed_at=timezone.now(), admin_notes=notes)
        _return_funds(withdrawal, entry_type=EntryType.WITHDRAWAL_RELEASE,
                      key=f"withdrawal_release:{withdrawal.reference_id}",
                      description=f"Withdrawal {withdrawal.reference_id} rejected")
        notify("withdrawal_failed", withdrawal_id=withdrawal.pk)
    return withdrawal


def _undo_completion(withdrawal: WithdrawalRequest) -> None:
    """Money came back after a completed payout: take it out of ``total_withdrawn`` and back in flight."""
    user_id = withdrawal.entrepreneur.user_id
    wallet = wallet_lock(user_id=user_id)
    ledger.ledger_post(
        entry_type=EntryType.PAYOUT_REVERSED, idempotency_key=f"payout_reversed:{withdrawal.reference_id}",
        withdrawal=withdrawal, description=f"Payout {withdrawal.reference_id} reversed by the bank",
        lines=[Line(LedgerAccount.PAYOUTS_IN_FLIGHT, withdrawal.amount, user_id),
               Line(LedgerAccount.GATEWAY_CLEARING, -withdrawal.net_amount),
               Line(LedgerAccount.PLATFORM_REVENUE, -withdrawal.processing_fee)],
    )
    wallet_add(wallet, total_withdrawn=-withdrawal.amount)


def withdrawal_fail(*, withdrawal_id, reason: str, reversed_by_gateway: bool = False) -> WithdrawalRequest:
    """The payout did not happen (or was reversed): status failed, the full amount back to the balance.
    Idempotent: a failed or rejected withdrawal is left alone."""
    with transaction.atomic():
        withdrawal = _lock(withdrawal_id)
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
        user_id = withdrawal.entrepreneur.user_id
        wallet = wallet_lock(user_id=user_id)
        ledger.ledger_post(
            entry_type=EntryType.PAYOUT_COMPLETED, idempotency_key=f"payout_completed:{withdrawal.reference_id}",
            withdrawal=withdrawal, description=f"Payout {withdrawal.reference_id} completed",
            lines=[Line(LedgerAccount.PAYOUTS_IN_FLIGHT, -withdrawal.amount, user_id),
                   Line(LedgerAccount.GATEWAY_CLEARING, withdrawal.net_amount),
                   Line(LedgerAccount.PLATFORM_REVENUE, withdrawal.processing_fee)],
        )
        wallet_add(wallet, total_withdrawn=withdrawal.amount)
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


def withdrawal_start_transfer(*, withdrawal_id, provider: str = Provider.PAYSTACK) -> WithdrawalRequest:
    """approved → processing, with the pending payout Transaction, just before the transfer call.
    Anything else (already processing, settled meanwhile) is returned unchanged."""
    with transaction.atomic():
        withdrawal = _lock(withdrawal_id)
        if withdrawal.status != Status.APPROVED or withdrawal.transfer_code:
            return withdrawal
        _transition(withdrawal, Status.PROCESSING, notes="Transfer initiated")
        Transaction.objects.get_or_create(
            transaction_id=withdrawal.reference_id,
            defaults={"user_id": withdrawal.entrepreneur.user_id, "transaction_type": TxType.PAYOUT,
                      "amount": withdrawal.net_amount, "currency": CURRENCY, "provider": provider,
                      "withdrawal": withdrawal, "status": TxStatus.PENDING},
        )
    return withdrawal
