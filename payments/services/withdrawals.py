"""Withdrawals (SPEC §6.6, §6.8): the rules, the request and the admin's decision, for entrepreneurs and
suppliers alike (the owner is ``WithdrawalRequest.user``; its wallet's kind names the ledger account).

The status machine is data (``WITHDRAWAL_TRANSITIONS``) and ``_transition`` is the one place that moves
a withdrawal: it runs under the row lock taken by ``_lock``, refuses a move the table does not allow,
saves with ``update_fields`` and writes history. Lock order: WithdrawalRequest → Wallet.
What the payout's outcome does lives in ``withdrawal_outcomes``; gateway calls live in ``payouts`` and
never run under these locks.
"""
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from core.money import percent_of, quantize, to_decimal
from core.notifications import notify
from entrepreneurs.models import EntrepreneurProfile
from suppliers.models import SupplierProfile
from users.models import User

from .. import ledger
from ..ledger import Line
from ..models import (
    JournalEntry,
    LedgerAccount,
    PaymentMethod,
    WithdrawalRequest,
    WithdrawalStatusHistory,
)
from ..tasks import process_withdrawal_payout
from .wallets import wallet_journal_post, wallet_lock

EntryType = JournalEntry.EntryType
Status = WithdrawalRequest.Status

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
    withdrawal = WithdrawalRequest.objects.select_for_update().filter(pk=withdrawal_id).first()
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


def _owner_profile(user):
    """(entrepreneur profile or None) for a user who may withdraw; 400 when their profile is missing."""
    if user.user_type == User.UserType.SUPPLIER:
        if not SupplierProfile.objects.filter(user=user).exists():
            raise ValidationFailed("Create your supplier profile first.")
        return None
    profile = EntrepreneurProfile.objects.filter(user=user).first()
    if profile is None:
        raise ValidationFailed("Create your entrepreneur profile first.")
    return profile


def withdrawal_create(*, user, amount, payment_method_id) -> WithdrawalRequest:
    """Take ``amount`` out of the available balance into a pending withdrawal (one locked transaction).
    Entrepreneurs and suppliers alike; a wallet whose balance is negative (a supplier owing COD cash, a share taken
    back after release) cannot withdraw until it is positive again."""
    profile = _owner_profile(user)
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
        if wallet.balance < 0:
            raise ValidationFailed(
                f"Your balance is negative (₦{wallet.balance}): withdrawals wait until it is positive again.",
                details={"amount": [f"Your available balance is ₦{wallet.balance}."]})
        if amount > wallet.balance:
            raise ValidationFailed("Insufficient balance.",
                                   details={"amount": [f"Your available balance is ₦{wallet.balance}."]})
        withdrawal = WithdrawalRequest.objects.create(
            user=user, entrepreneur=profile, payment_method=method, amount=amount, processing_fee=fee,
            net_amount=amount - fee, withdrawal_method=method.method_type, status=Status.PENDING,
            reference_id=f"wd_{uuid.uuid4().hex}",  # Paystack transfer reference: lowercase, ≥ 16 chars
            destination_details={key: details.get(key, "") for key in
                                 ("account_number", "bank_code", "account_name", "bank_name")},
        )
        wallet_journal_post(
            entry_type=EntryType.WITHDRAWAL_HOLD, idempotency_key=f"withdrawal_hold:{withdrawal.reference_id}",
            withdrawal=withdrawal, description=f"Withdrawal {withdrawal.reference_id} requested",
            lines=[Line(ledger.available_account(wallet.kind), -amount, user.pk),
                   Line(LedgerAccount.PAYOUTS_IN_FLIGHT, amount, user.pk)],
        )
        WithdrawalStatusHistory.objects.create(withdrawal=withdrawal, status=Status.PENDING, created_by=user,
                                               notes="Requested")
    return withdrawal


def withdrawal_approve(*, withdrawal_id, admin, notes: str = "") -> WithdrawalRequest:
    """pending → approved, and the payout task after commit. Refused (409) while the owner's wallet is negative: a
    share it was paid was taken back (a cancel or return after release, SPEC §6.3) — or a supplier owes COD cash —
    after this request held its amount, so paying it out would pay that share out after all. Rejecting it returns
    the funds (and settles what is owed); the owner may then ask again for what is theirs."""
    with transaction.atomic():
        withdrawal = _lock(withdrawal_id)
        if withdrawal.status != Status.PENDING:
            raise InvalidTransition(f"Only pending withdrawals can be approved (this one is {withdrawal.status}).")
        wallet = wallet_lock(user_id=withdrawal.user_id)  # lock order: WithdrawalRequest → Wallet
        if wallet.balance < 0:
            raise Conflict(
                f"The owner's balance is negative (₦{wallet.balance}): something they were paid was taken back after "
                "this request. Reject it — the funds return to the balance — or wait until the balance is positive.",
                details={"balance": str(wallet.balance)}, code="balance_negative")
        _transition(withdrawal, Status.APPROVED, by=admin, notes=notes or "Approved", processed_by=admin,
                    processed_at=timezone.now(), admin_notes=notes or withdrawal.admin_notes)
        pk = withdrawal.pk
        # robust: a broker that is down must not turn the committed approval into a 500 (reconciliation pays it out)
        transaction.on_commit(lambda: process_withdrawal_payout.delay(pk), robust=True)
    return withdrawal


def _return_funds(withdrawal: WithdrawalRequest, *, entry_type: str, key: str, description: str) -> None:
    """The held amount goes back from payouts in flight to the owner's available balance (once per key)."""
    user_id = withdrawal.user_id
    wallet = wallet_lock(user_id=user_id)
    wallet_journal_post(
        entry_type=entry_type, idempotency_key=key, withdrawal=withdrawal, description=description,
        lines=[Line(LedgerAccount.PAYOUTS_IN_FLIGHT, -withdrawal.amount, user_id),
               Line(ledger.available_account(wallet.kind), withdrawal.amount, user_id)],
    )


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
