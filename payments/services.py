"""Every write the payments app does: charges, confirmation, earnings, refunds, withdrawals, payment methods.

Lock order (so concurrent writers never deadlock): payment Transaction → Order → Wallet, and
WithdrawalRequest → Wallet. Gateway HTTP calls always happen with no row lock held.
"""
import logging
import secrets
import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from core.errors import (
    Conflict,
    GatewayError,
    GatewayUnavailable,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from core.money import percent_of, quantize, to_decimal
from core.notifications import notify
from core.permissions import is_admin
from entrepreneurs.models import EntrepreneurProfile
from orders.models import Order, OrderStatus, PaymentStatus

from . import ledger
from .gateways import FAILED, PENDING, SUCCESS, PaystackClient, Verification, gateway_for
from .ledger import Line
from .models import (
    Earnings,
    JournalEntry,
    LedgerAccount,
    PaymentMethod,
    Provider,
    Transaction,
    Wallet,
    WithdrawalRequest,
    WithdrawalStatusHistory,
)

logger = logging.getLogger(__name__)

A = LedgerAccount
J = JournalEntry.EntryType
TxStatus = Transaction.Status
TxType = Transaction.TransactionType
WStatus = WithdrawalRequest.Status

CURRENCY = "NGN"
MIN_WITHDRAWAL = Decimal("1000.00")
WITHDRAWAL_FEE_RATE = Decimal("2")
MIN_WITHDRAWAL_FEE = Decimal("50.00")


# --------------------------------------------------------------------------------------------------
# Wallets
# --------------------------------------------------------------------------------------------------

def wallet_lock(*, user_id: int) -> Wallet:
    """The user's wallet, created if missing, row-locked for the rest of the transaction."""
    Wallet.objects.get_or_create(user_id=user_id)
    return Wallet.objects.select_for_update().get(user_id=user_id)


def _wallet_add(wallet: Wallet, **deltas: Decimal) -> None:
    Wallet.objects.filter(pk=wallet.pk).update(updated_at=timezone.now(),
                                               **{name: F(name) + delta for name, delta in deltas.items()})


# --------------------------------------------------------------------------------------------------
# Initialize
# --------------------------------------------------------------------------------------------------

def _customer_order(*, user, order_ref) -> Order:
    ref = str(order_ref or "").strip()
    if not ref:
        raise ValidationFailed("order_id: This field is required.", details={"order_id": ["This field is required."]})
    lookup = Q(order_id=ref.upper())
    if ref.isdigit():
        lookup |= Q(pk=int(ref))
    order = Order.objects.filter(lookup, customer=user).select_related("customer").first()
    if order is None:
        raise NotFound("Order not found.")
    return order


def _ensure_payable(order: Order) -> None:
    if order.payment_status == PaymentStatus.PAID:
        raise Conflict("This order has already been paid.", code="already_paid")
    if order.status != OrderStatus.PENDING:
        raise Conflict(f"This order is {order.status} and can no longer be paid.", code="not_payable")
    if order.reserved_until and order.reserved_until < timezone.now():
        raise Conflict("The reservation for this order has expired; please place the order again.",
                       code="reservation_expired")


def new_payment_reference(order: Order) -> str:
    # Paystack allows alphanumerics and - . = ; one fresh reference per attempt.
    return f"PJ-{order.order_id}-{secrets.token_hex(5).upper()}"


def payment_initialize(*, user, order_ref, provider: str, callback_url: str = "") -> tuple[Transaction, str]:
    """Create a pending Transaction with a fresh reference and ask the gateway for its checkout URL.

    The gateway call happens after the Transaction row is committed and with no lock held.
    """
    client = gateway_for(provider)  # 400 for unknown providers and for the sandbox when it is off
    order = _customer_order(user=user, order_ref=order_ref)
    _ensure_payable(order)
    callback_url = callback_url or f"{settings.FRONTEND_URL}/payment/callback"
    reference = new_payment_reference(order)
    txn = Transaction.objects.create(
        transaction_id=reference, order=order, user=user, transaction_type=TxType.PAYMENT,
        amount=order.total_amount, currency=CURRENCY, provider=provider, status=TxStatus.PENDING,
        metadata={"callback_url": callback_url, "order_id": order.order_id},
    )
    customer = order.customer
    try:
        result = client.initialize(
            reference=reference, amount=order.total_amount, email=customer.email, callback_url=callback_url,
            metadata={"order_id": order.order_id, "transaction_id": reference},
            customer_name=customer.get_full_name(), phone_number=str(customer.phone_number or ""),
        )
    except GatewayError as exc:
        Transaction.objects.filter(pk=txn.pk, status=TxStatus.PENDING).update(
            status=TxStatus.FAILED, updated_at=timezone.now(),
            metadata={**txn.metadata, "initialize_error": exc.message},
        )
        raise
    txn.metadata = {**txn.metadata, "payment_url": result.payment_url}
    txn.save(update_fields=["metadata", "updated_at"])
    return txn, result.payment_url


# --------------------------------------------------------------------------------------------------
# Confirm (webhooks, verify endpoint, sandbox, reconciliation)
# --------------------------------------------------------------------------------------------------

def payment_confirm(*, reference: str, provider: str | None = None) -> Transaction:
    """Idempotently settle one payment attempt from the gateway's own answer.

    1. Re-verify with the gateway (outside any DB transaction; the webhook body is never trusted).
    2. In one transaction with the Transaction row locked: completed already → no-op; failed at the
       gateway → transaction failed (order stays payable); success → amount (exact, to the kobo),
       currency and order state checked — a mismatch flags the transaction and pays nothing; otherwise
       transaction completed, order paid, ledger 'payment' journal, entrepreneur share → pending balance.
    """
    txn = Transaction.objects.filter(transaction_id=reference, transaction_type=TxType.PAYMENT).first()
    if txn is None or (provider and txn.provider != provider):
        raise NotFound("Unknown payment reference.")
    if txn.status == TxStatus.COMPLETED or txn.flagged:
        return txn
    verification = gateway_for(txn.provider).verify(reference)
    return _apply_verification(txn_pk=txn.pk, verification=verification)


def _apply_verification(*, txn_pk: int, verification: Verification) -> Transaction:
    with transaction.atomic():
        txn = Transaction.objects.select_for_update().get(pk=txn_pk)
        if txn.status == TxStatus.COMPLETED or txn.flagged:
            return txn
        txn.metadata = {**txn.metadata, "verification": verification.raw,
                        "gateway_status": verification.gateway_status}
        fields = ["metadata", "updated_at"]
        if verification.status == PENDING:
            txn.save(update_fields=fields)
            return txn
        if verification.status == FAILED:
            txn.status = TxStatus.FAILED
            txn.save(update_fields=[*fields, "status"])
            logger.info("payment %s failed at %s (%s)", txn.transaction_id, txn.provider, verification.gateway_status)
            return txn

        assert verification.status == SUCCESS
        order = Order.objects.select_for_update(of=("self",)).get(pk=txn.order_id)
        problems = []
        if verification.currency != CURRENCY:
            problems.append(f"currency {verification.currency or '?'} instead of {CURRENCY}")
        if verification.amount is None or quantize(verification.amount) != quantize(order.total_amount):
            problems.append(f"amount {verification.amount} instead of {order.total_amount}")
        if quantize(txn.amount) != quantize(order.total_amount):
            problems.append(f"order total changed from {txn.amount} to {order.total_amount}")
        if order.payment_status == PaymentStatus.PAID or order.status != OrderStatus.PENDING:
            problems.append(f"order {order.order_id} is not awaiting payment (status {order.status}, "
                            f"payment {order.payment_status}) — refund needed")
        if verification.provider_reference:
            txn.provider_reference = verification.provider_reference
            fields.append("provider_reference")
        if problems:
            txn.flagged = True
            txn.flag_reason = "; ".join(problems)
            txn.status = TxStatus.FAILED
            txn.save(update_fields=[*fields, "flagged", "flag_reason", "status"])
            logger.error("payment %s flagged, order %s NOT paid: %s", txn.transaction_id, order.order_id, txn.flag_reason)
            return txn

        txn.status = TxStatus.COMPLETED
        txn.completed_at = timezone.now()
        txn.save(update_fields=[*fields, "status", "completed_at"])
        from orders.services import order_mark_paid

        order = order_mark_paid(order_id=order.pk, notes=f"Paid via {txn.provider} ({txn.transaction_id})",
                                payment_method=txn.provider)
        _credit_pending_earnings(order=order, txn=txn)
        logger.info("payment %s completed: order %s paid", txn.transaction_id, order.order_id)
    return txn


def _credit_pending_earnings(*, order: Order, txn: Transaction) -> None:
    order = Order.objects.select_related("entrepreneur", "supplier").get(pk=order.pk)
    split = ledger.order_split(order)
    journal = ledger.ledger_post(
        entry_type=J.PAYMENT, idempotency_key=ledger.payment_key(order), lines=ledger.payment_lines(order, split),
        order=order, txn=txn, description=f"Payment {txn.transaction_id} for {order.order_id}",
    )
    if journal is None:
        return
    wallet = wallet_lock(user_id=order.entrepreneur.user_id)
    if split.entrepreneur:
        _wallet_add(wallet, pending_balance=split.entrepreneur)


def payment_verify_for_user(*, user, reference: str) -> Transaction:
    """``GET /verify/<reference>/``: the payer (or an admin) asks us to check with the gateway now."""
    txns = Transaction.objects.filter(transaction_id=reference, transaction_type=TxType.PAYMENT)
    if not is_admin(user):
        txns = txns.filter(user=user)
    if not txns.exists():
        raise NotFound("Payment not found.")
    return payment_confirm(reference=reference)


def sandbox_checkout_complete(*, reference: str, outcome: str) -> Transaction:
    """The sandbox checkout page's Pay/Fail button: record the shopper's choice, then run the real confirm."""
    if not settings.PAYMENTS_SANDBOX:
        raise NotFound("Not found.")
    if outcome not in ("pay", "fail"):
        raise ValidationFailed("outcome must be pay or fail.", details={"outcome": ["Must be pay or fail."]})
    with transaction.atomic():
        txn = (Transaction.objects.select_for_update()
               .filter(transaction_id=reference, provider=Provider.SANDBOX, transaction_type=TxType.PAYMENT).first())
        if txn is None:
            raise NotFound("Unknown payment reference.")
        if txn.status == TxStatus.PENDING and not txn.metadata.get("sandbox_outcome"):
            txn.metadata = {**txn.metadata, "sandbox_outcome": outcome}
            txn.save(update_fields=["metadata", "updated_at"])
    return payment_confirm(reference=reference, provider=Provider.SANDBOX)


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
        Q(status=WStatus.APPROVED) | Q(status=WStatus.PROCESSING, transfer_code=""), updated_at__lt=cutoff
    ).order_by("pk")
    for withdrawal_id in stuck.values_list("pk", flat=True)[:100]:
        try:
            withdrawal_payout_execute(withdrawal_id=withdrawal_id)
            counts["payouts"] += 1
        except GatewayUnavailable as exc:
            logger.warning("reconcile: payout %s still inconclusive: %s", withdrawal_id, exc.message)
    return counts


# --------------------------------------------------------------------------------------------------
# Earnings lifecycle (called from payments.hooks inside the orders transition transaction)
# --------------------------------------------------------------------------------------------------

def earnings_on_order_transition(*, order: Order, previous_status: str, new_status: str, actor=None) -> None:
    if new_status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
        earnings_reverse_for_order(order=order, reason=new_status)
    # delivered: nothing now — release_matured_earnings moves the money after EARNINGS_RELEASE_DAYS.


def earnings_reverse_for_order(*, order: Order, reason: str) -> Transaction | None:
    """Cancel the order's earnings; if it was paid, reverse the payment journal and schedule the refund.

    Pending earnings leave ``pending_balance``; already-released earnings are debited from the available
    balance (only what is there — any shortfall is absorbed by platform revenue and logged).
    Must run inside the transaction holding the order's row lock.
    """
    now = timezone.now()
    Earnings.objects.filter(order=order).exclude(status=Earnings.Status.CANCELLED).update(
        status=Earnings.Status.CANCELLED, updated_at=now)
    if not ledger.journal_exists(ledger.payment_key(order)) or ledger.journal_exists(ledger.reversal_key(order)):
        return None
    order = Order.objects.select_related("entrepreneur", "supplier").get(pk=order.pk)
    split = ledger.order_split(order)
    entrepreneur_user = order.entrepreneur.user_id
    wallet = wallet_lock(user_id=entrepreneur_user)
    lines = [
        Line(A.GATEWAY_CLEARING, split.total),
        Line(A.SUPPLIER_PAYABLE, -split.supplier, order.supplier.user_id),
        Line(A.PLATFORM_REVENUE, -split.platform),
    ]
    if ledger.journal_exists(ledger.release_key(order)):
        debit = min(split.entrepreneur, wallet.balance)
        shortfall = split.entrepreneur - debit
        lines += [Line(A.ENTREPRENEUR_AVAILABLE, -debit, entrepreneur_user), Line(A.PLATFORM_REVENUE, -shortfall)]
        _wallet_add(wallet, balance=-debit, total_earned=-debit)
        EntrepreneurProfile.objects.filter(pk=order.entrepreneur_id).update(
            total_sales=F("total_sales") - order.total_amount, total_earnings=F("total_earnings") - split.entrepreneur)
        if shortfall:
            logger.error("order %s %s after release: entrepreneur balance short by %s (absorbed by platform)",
                         order.order_id, reason, shortfall)
    else:
        lines.append(Line(A.ENTREPRENEUR_PENDING, -split.entrepreneur, entrepreneur_user))
        _wallet_add(wallet, pending_balance=-split.entrepreneur)
    ledger.ledger_post(entry_type=J.REVERSAL, idempotency_key=ledger.reversal_key(order), lines=lines, order=order,
                       description=f"Order {order.order_id} {reason}: earnings reversed, refund due")

    payment = (Transaction.objects.filter(order=order, transaction_type=TxType.PAYMENT, status=TxStatus.COMPLETED)
               .order_by("-completed_at", "-pk").first())
    if payment is None:  # paid journal without a completed payment cannot happen; be loud if it does
        logger.error("order %s has a payment journal but no completed payment transaction", order.order_id)
        return None
    refund = Transaction.objects.create(
        transaction_id=f"RF-{order.order_id}-{secrets.token_hex(4).upper()}", order=order, user_id=order.customer_id,
        transaction_type=TxType.REFUND, amount=split.total, currency=CURRENCY,
        provider=payment.provider, status=TxStatus.PENDING,
        metadata={"payment_reference": payment.transaction_id, "reason": reason},
    )
    from .tasks import refund_payment

    transaction.on_commit(lambda: refund_payment.delay(refund.pk))
    return refund


def payment_refund_process(*, refund_id: int) -> Transaction:
    """Ask the gateway to refund (background task; retried by reconciliation while the gateway is down)."""
    refund = Transaction.objects.get(pk=refund_id, transaction_type=TxType.REFUND)
    if refund.status != TxStatus.PENDING:
        return refund
    payment = Transaction.objects.get(transaction_id=refund.metadata["payment_reference"])
    try:
        result = gateway_for(refund.provider).refund(reference=payment.transaction_id, amount=refund.amount,
                                                     provider_reference=payment.provider_reference)
    except GatewayUnavailable as exc:
        logger.warning("refund %s: gateway unavailable, will retry: %s", refund.transaction_id, exc.message)
        Transaction.objects.filter(pk=refund.pk).update(metadata={**refund.metadata, "last_error": exc.message})
        return refund
    except GatewayError as exc:
        logger.error("refund %s refused by %s: %s", refund.transaction_id, refund.provider, exc.message)
        Transaction.objects.filter(pk=refund.pk, status=TxStatus.PENDING).update(
            status=TxStatus.FAILED, flagged=True, flag_reason=f"Refund refused: {exc.message}", updated_at=timezone.now())
        refund.refresh_from_db()
        return refund
    with transaction.atomic():
        refund = Transaction.objects.select_for_update().get(pk=refund.pk)
        if refund.status != TxStatus.PENDING:
            return refund
        refund.status = TxStatus.COMPLETED
        refund.completed_at = timezone.now()
        refund.provider_reference = result.provider_reference
        refund.metadata = {**refund.metadata, "gateway": result.raw}
        refund.save(update_fields=["status", "completed_at", "provider_reference", "metadata", "updated_at"])
        Transaction.objects.filter(pk=payment.pk).update(status=TxStatus.REVERSED, updated_at=timezone.now())
        Order.objects.filter(pk=refund.order_id).update(payment_status=PaymentStatus.REFUNDED, updated_at=timezone.now())
    return refund


def earnings_release_matured(*, now=None) -> int:
    """Periodic: orders delivered more than EARNINGS_RELEASE_DAYS ago move their entrepreneur share
    from pending to available. Returns how many orders were released."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EARNINGS_RELEASE_DAYS)
    journals = JournalEntry.objects.filter(order=OuterRef("pk"))
    candidates = (
        Order.objects.filter(status=OrderStatus.DELIVERED, delivered_at__lte=cutoff)
        .filter(Exists(journals.filter(entry_type=J.PAYMENT)))
        .exclude(Exists(journals.filter(entry_type__in=[J.RELEASE, J.REVERSAL])))
        .order_by("delivered_at", "pk").values_list("pk", flat=True)
    )
    released = 0
    for order_pk in list(candidates[:500]):
        if earnings_release_order(order_pk=order_pk, now=now):
            released += 1
    return released


def earnings_release_order(*, order_pk: int, now=None) -> bool:
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EARNINGS_RELEASE_DAYS)
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("entrepreneur", "supplier").get(pk=order_pk)
        if order.status != OrderStatus.DELIVERED or order.delivered_at is None or order.delivered_at > cutoff:
            return False
        if (not ledger.journal_exists(ledger.payment_key(order)) or ledger.journal_exists(ledger.release_key(order))
                or ledger.journal_exists(ledger.reversal_key(order))):
            return False
        split = ledger.order_split(order)
        user_id = order.entrepreneur.user_id
        wallet = wallet_lock(user_id=user_id)
        # With a zero share the journal has no lines: it still marks the order as released.
        ledger.ledger_post(
            entry_type=J.RELEASE, idempotency_key=ledger.release_key(order), order=order,
            lines=[Line(A.ENTREPRENEUR_PENDING, -split.entrepreneur, user_id),
                   Line(A.ENTREPRENEUR_AVAILABLE, split.entrepreneur, user_id)],
            description=f"Return window over for {order.order_id}",
        )
        _wallet_add(wallet, pending_balance=-split.entrepreneur, balance=split.entrepreneur,
                    total_earned=split.entrepreneur)
        Earnings.objects.filter(order=order, status=Earnings.Status.PENDING).update(
            status=Earnings.Status.PAID, payout_date=now, updated_at=now)
        EntrepreneurProfile.objects.filter(pk=order.entrepreneur_id).update(
            total_sales=F("total_sales") + order.total_amount, total_earnings=F("total_earnings") + split.entrepreneur)
    return True


# --------------------------------------------------------------------------------------------------
# Withdrawals and payouts
# --------------------------------------------------------------------------------------------------

def withdrawal_fee(amount: Decimal) -> Decimal:
    """max(2 % of the amount, ₦50), half-up to the kobo."""
    return max(percent_of(amount, WITHDRAWAL_FEE_RATE), MIN_WITHDRAWAL_FEE)


def _withdrawal_set_status(withdrawal: WithdrawalRequest, status: str, *, by=None, notes: str = "",
                           extra_fields: tuple[str, ...] = ()) -> None:
    previous = withdrawal.status
    withdrawal.status = status
    withdrawal.save(update_fields=["status", "updated_at", *extra_fields])
    WithdrawalStatusHistory.objects.create(withdrawal=withdrawal, status=status, previous_status=previous,
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
            withdrawal_method=method.method_type, status=WStatus.PENDING,
            reference_id=f"wd_{uuid.uuid4().hex}",  # Paystack transfer reference: lowercase, ≥ 16 chars
            destination_details={key: details.get(key, "") for key in
                                 ("account_number", "bank_code", "account_name", "bank_name")},
        )
        ledger.ledger_post(
            entry_type=J.WITHDRAWAL_HOLD, idempotency_key=f"withdrawal_hold:{withdrawal.reference_id}",
            withdrawal=withdrawal, description=f"Withdrawal {withdrawal.reference_id} requested",
            lines=[Line(A.ENTREPRENEUR_AVAILABLE, -amount, user.pk), Line(A.PAYOUTS_IN_FLIGHT, amount, user.pk)],
        )
        _wallet_add(wallet, balance=-amount)
        WithdrawalStatusHistory.objects.create(withdrawal=withdrawal, status=WStatus.PENDING, created_by=user,
                                               notes="Requested")
    return withdrawal


def _lock_withdrawal(withdrawal_id) -> WithdrawalRequest:
    withdrawal = (WithdrawalRequest.objects.select_for_update(of=("self",)).select_related("entrepreneur")
                  .filter(pk=withdrawal_id).first())
    if withdrawal is None:
        raise NotFound("Withdrawal not found.")
    return withdrawal


def withdrawal_approve(*, withdrawal_id, admin, notes: str = "") -> WithdrawalRequest:
    with transaction.atomic():
        withdrawal = _lock_withdrawal(withdrawal_id)
        if withdrawal.status != WStatus.PENDING:
            raise InvalidTransition(f"Only pending withdrawals can be approved (this one is {withdrawal.status}).")
        withdrawal.processed_by = admin
        withdrawal.processed_at = timezone.now()
        if notes:
            withdrawal.admin_notes = notes
        _withdrawal_set_status(withdrawal, WStatus.APPROVED, by=admin, notes=notes or "Approved",
                               extra_fields=("processed_by", "processed_at", "admin_notes"))
        from .tasks import process_withdrawal_payout

        pk = withdrawal.pk
        transaction.on_commit(lambda: process_withdrawal_payout.delay(pk))
    return withdrawal


def _return_withdrawal_funds(withdrawal: WithdrawalRequest, *, entry_type: str, key: str, description: str) -> None:
    user_id = withdrawal.entrepreneur.user_id
    wallet = wallet_lock(user_id=user_id)
    journal = ledger.ledger_post(
        entry_type=entry_type, idempotency_key=key, withdrawal=withdrawal, description=description,
        lines=[Line(A.PAYOUTS_IN_FLIGHT, -withdrawal.amount, user_id),
               Line(A.ENTREPRENEUR_AVAILABLE, withdrawal.amount, user_id)],
    )
    if journal is not None:
        _wallet_add(wallet, balance=withdrawal.amount)


def withdrawal_reject(*, withdrawal_id, admin, notes: str = "") -> WithdrawalRequest:
    with transaction.atomic():
        withdrawal = _lock_withdrawal(withdrawal_id)
        if withdrawal.status not in (WStatus.PENDING, WStatus.APPROVED) or withdrawal.recipient_code:
            raise InvalidTransition(f"This withdrawal is {withdrawal.status} and can no longer be rejected.")
        withdrawal.processed_by = admin
        withdrawal.processed_at = timezone.now()
        withdrawal.admin_notes = notes
        _withdrawal_set_status(withdrawal, WStatus.REJECTED, by=admin, notes=notes or "Rejected",
                               extra_fields=("processed_by", "processed_at", "admin_notes"))
        _return_withdrawal_funds(withdrawal, entry_type=J.WITHDRAWAL_RELEASE,
                                 key=f"withdrawal_release:{withdrawal.reference_id}",
                                 description=f"Withdrawal {withdrawal.reference_id} rejected")
        notify("withdrawal_failed", withdrawal_id=withdrawal.pk)
    return withdrawal


def _normalise_name(name: str) -> str:
    return " ".join(str(name or "").split()).casefold()


def withdrawal_fail(*, withdrawal_id, reason: str, reversed_by_gateway: bool = False) -> WithdrawalRequest:
    """The payout did not happen (or was reversed): status failed, the full amount back to the balance."""
    with transaction.atomic():
        withdrawal = _lock_withdrawal(withdrawal_id)
        if withdrawal.status in (WStatus.FAILED, WStatus.REJECTED):
            return withdrawal
        user_id = withdrawal.entrepreneur.user_id
        if withdrawal.status == WStatus.COMPLETED:
            if not reversed_by_gateway:
                logger.error("withdrawal %s: failure reported after completion: %s", withdrawal.reference_id, reason)
                return withdrawal
            # Money came back after a completed payout: undo the completion, then return the funds.
            wallet = wallet_lock(user_id=user_id)
            ledger.ledger_post(
                entry_type=J.PAYOUT_COMPLETED, idempotency_key=f"payout_reversed:{withdrawal.reference_id}",
                withdrawal=withdrawal, description=f"Payout {withdrawal.reference_id} reversed by the bank",
                lines=[Line(A.PAYOUTS_IN_FLIGHT, withdrawal.amount, user_id),
                       Line(A.GATEWAY_CLEARING, -withdrawal.net_amount),
                       Line(A.PLATFORM_REVENUE, -withdrawal.processing_fee)],
            )
            _wallet_add(wallet, total_withdrawn=-withdrawal.amount)
        withdrawal.failure_reason = reason[:2000]
        withdrawal.processed_at = timezone.now()
        _withdrawal_set_status(withdrawal, WStatus.FAILED, notes=reason, extra_fields=("failure_reason", "processed_at"))
        _return_withdrawal_funds(withdrawal, entry_type=J.PAYOUT_FAILED, key=f"payout_failed:{withdrawal.reference_id}",
                                 description=f"Payout {withdrawal.reference_id} failed: {reason}")
        Transaction.objects.filter(withdrawal=withdrawal, transaction_type=TxType.PAYOUT).exclude(
            status=TxStatus.FAILED).update(status=TxStatus.FAILED, updated_at=timezone.now())
        notify("withdrawal_failed", withdrawal_id=withdrawal.pk)
    logger.warning("withdrawal %s failed: %s", withdrawal.reference_id, reason)
    return withdrawal


def withdrawal_complete(*, withdrawal_id, transfer_code: str = "") -> WithdrawalRequest:
    """``transfer.success``: the money reached the bank. Idempotent."""
    with transaction.atomic():
        withdrawal = _lock_withdrawal(withdrawal_id)
        if withdrawal.status == WStatus.COMPLETED:
            return withdrawal
        if withdrawal.status not in (WStatus.APPROVED, WStatus.PROCESSING):
            logger.error("withdrawal %s: transfer.success while %s — needs an admin", withdrawal.reference_id,
                         withdrawal.status)
            return withdrawal
        user_id = withdrawal.entrepreneur.user_id
        wallet = wallet_lock(user_id=user_id)
        ledger.ledger_post(
            entry_type=J.PAYOUT_COMPLETED, idempotency_key=f"payout_completed:{withdrawal.reference_id}",
            withdrawal=withdrawal, description=f"Payout {withdrawal.reference_id} completed",
            lines=[Line(A.PAYOUTS_IN_FLIGHT, -withdrawal.amount, user_id),
                   Line(A.GATEWAY_CLEARING, withdrawal.net_amount),
                   Line(A.PLATFORM_REVENUE, withdrawal.processing_fee)],
        )
        _wallet_add(wallet, total_withdrawn=withdrawal.amount)
        if transfer_code and not withdrawal.transfer_code:
            withdrawal.transfer_code = transfer_code
        withdrawal.processed_at = timezone.now()
        _withdrawal_set_status(withdrawal, WStatus.COMPLETED, notes="Transfer succeeded",
                               extra_fields=("transfer_code", "processed_at"))
        Transaction.objects.filter(withdrawal=withdrawal, transaction_type=TxType.PAYOUT).update(
            status=TxStatus.COMPLETED, completed_at=timezone.now(), updated_at=timezone.now())
        notify("withdrawal_completed", withdrawal_id=withdrawal.pk)
    return withdrawal


def withdrawal_payout_execute(*, withdrawal_id) -> WithdrawalRequest:
    """Background payout of an approved withdrawal through Paystack Transfers.

    resolve account (name must match the payment method's) → recipient → processing → transfer.
    A conclusive refusal fails the withdrawal and returns the funds. An inconclusive answer (timeout,
    5xx) is retried with the SAME reference — Paystack never pays one reference twice — and the
    withdrawal stays processing until a retry or the transfer webhook settles it.
    """
    withdrawal = WithdrawalRequest.objects.select_related("entrepreneur__user").get(pk=withdrawal_id)
    if withdrawal.status not in (WStatus.APPROVED, WStatus.PROCESSING) or withdrawal.transfer_code:
        return withdrawal
    client = PaystackClient()
    dest = withdrawal.destination_details or {}
    may_have_sent = withdrawal.status == WStatus.PROCESSING  # an earlier attempt may have reached Paystack

    if not withdrawal.recipient_code:
        try:
            resolved = client.resolve_account(account_number=dest.get("account_number", ""),
                                              bank_code=dest.get("bank_code", ""))
        except GatewayUnavailable:
            raise
        except GatewayError as exc:
            return withdrawal_fail(withdrawal_id=withdrawal.pk, reason=f"Bank account could not be verified: {exc.message}")
        if _normalise_name(resolved) != _normalise_name(dest.get("account_name", "")):
            return withdrawal_fail(withdrawal_id=withdrawal.pk,
                                   reason=f"Account name mismatch: the bank has {resolved!r}, "
                                          f"the payment method says {dest.get('account_name', '')!r}.")
        try:
            recipient = client.create_recipient(name=resolved, account_number=dest.get("account_number", ""),
                                                bank_code=dest.get("bank_code", ""))
        except GatewayUnavailable:
            raise
        except GatewayError as exc:
            return withdrawal_fail(withdrawal_id=withdrawal.pk, reason=f"Transfer recipient refused: {exc.message}")
        WithdrawalRequest.objects.filter(pk=withdrawal.pk).update(recipient_code=recipient, updated_at=timezone.now())
        withdrawal.recipient_code = recipient

    with transaction.atomic():
        locked = _lock_withdrawal(withdrawal.pk)
        if locked.status not in (WStatus.APPROVED, WStatus.PROCESSING) or locked.transfer_code:
            return locked
        if locked.status == WStatus.APPROVED:
            _withdrawal_set_status(locked, WStatus.PROCESSING, notes="Transfer initiated")
            Transaction.objects.get_or_create(
                transaction_id=locked.reference_id,
                defaults={"user_id": locked.entrepreneur.user_id, "transaction_type": TxType.PAYOUT,
                          "amount": locked.net_amount, "currency": CURRENCY, "provider": Provider.PAYSTACK,
                          "withdrawal": locked, "status": TxStatus.PENDING},
            )

    result = None
    last_error = None
    for _attempt in range(3):
        try:
            result = client.transfer(amount=withdrawal.net_amount, recipient_code=withdrawal.recipient_code,
                                     reference=withdrawal.reference_id, reason=f"Payjaro payout {withdrawal.reference_id}")
            break
        except GatewayUnavailable as exc:
            may_have_sent = True
            last_error = exc
        except GatewayError as exc:
            if may_have_sent:  # e.g. "duplicate reference" after a timeout: the webhook will tell us
                logger.warning("payout %s: %s after an inconclusive attempt; waiting for the webhook",
                               withdrawal.reference_id, exc.message)
                return withdrawal
            return withdrawal_fail(withdrawal_id=withdrawal.pk, reason=f"Transfer refused: {exc.message}")
    if result is None:
        logger.warning("payout %s inconclusive after retries: %s", withdrawal.reference_id, last_error)
        return WithdrawalRequest.objects.get(pk=withdrawal.pk)

    WithdrawalRequest.objects.filter(pk=withdrawal.pk).update(transfer_code=result["transfer_code"],
                                                              updated_at=timezone.now())
    Transaction.objects.filter(transaction_id=withdrawal.reference_id).update(
        provider_reference=result["transfer_code"], updated_at=timezone.now())
    if result["status"] == "success":
        return withdrawal_complete(withdrawal_id=withdrawal.pk, transfer_code=result["transfer_code"])
    if result["status"] in ("failed", "reversed", "abandoned"):
        return withdrawal_fail(withdrawal_id=withdrawal.pk, reason=f"Transfer {result['status']}")
    return WithdrawalRequest.objects.get(pk=withdrawal.pk)


# --------------------------------------------------------------------------------------------------
# Payment methods
# --------------------------------------------------------------------------------------------------

def _unset_other_defaults(*, user, keep_pk: int | None) -> None:
    list(PaymentMethod.objects.select_for_update().filter(user=user).order_by("pk").values_list("pk", flat=True))
    PaymentMethod.objects.filter(user=user, is_default=True).exclude(pk=keep_pk).update(
        is_default=False, updated_at=timezone.now())


def payment_method_create(*, user, method_type: str, details: dict, provider: str = "",
                          is_default: bool = False) -> PaymentMethod:
    with transaction.atomic():
        if is_default:
            _unset_other_defaults(user=user, keep_pk=None)
        return PaymentMethod.objects.create(user=user, method_type=method_type, details=details, provider=provider,
                                            is_default=is_default)


def payment_method_update(*, method: PaymentMethod, **changes) -> PaymentMethod:
    with transaction.atomic():
        if changes.get("is_default"):
            _unset_other_defaults(user=method.user, keep_pk=method.pk)
        for name, value in changes.items():
            setattr(method, name, value)
        method.save(update_fields=[*changes.keys(), "updated_at"])
    return method


def payment_method_deactivate(*, method: PaymentMethod) -> None:
    """Soft delete: withdrawals keep pointing at the method they were paid to."""
    method.is_active = False
    method.is_default = False
    method.save(update_fields=["is_active", "is_default", "updated_at"])

