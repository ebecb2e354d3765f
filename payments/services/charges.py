"""Charges: initialize a payment, confirm it from the gateway's own answer, reconcile what webhooks missed.

Lock order (so concurrent writers never deadlock): payment Transaction → Order → Wallet.
Gateway HTTP calls always happen with no row lock held.
"""
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import Conflict, GatewayError, GatewayUnavailable, NotFound, ValidationFailed
from core.money import CURRENCY, quantize
from core.permissions import is_admin
from orders.models import Order, OrderStatus, PaymentStatus
from orders.selectors import order_ref_filter
from orders.services import order_mark_paid

from ..gateways import FAILED, PENDING, SUCCESS, Verification, gateway_for
from ..models import Provider, Transaction, WithdrawalRequest
from .earnings import earnings_record_payment
from .payouts import withdrawal_payout_execute
from .refunds import payment_refund_process

logger = logging.getLogger(__name__)

TxStatus = Transaction.Status
TxType = Transaction.TransactionType
WithdrawalStatus = WithdrawalRequest.Status


# --- initialize ---

def _customer_order(*, user, order_ref) -> Order:
    if not str(order_ref or "").strip():
        raise ValidationFailed("order_id: This field is required.", details={"order_id": ["This field is required."]})
    order = Order.objects.filter(order_ref_filter(order_ref), customer=user).select_related("customer").first()
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


# --- confirm (webhooks, verify endpoint, sandbox, reconciliation) ---

def payment_confirm(*, reference: str, provider: str | None = None) -> Transaction:
    """Idempotently settle one payment attempt from the gateway's own answer.

    1. Re-verify with the gateway (outside any DB transaction; the webhook body is never trusted).
    2. In one transaction with the Transaction row locked: completed already → no-op; failed at the
       gateway → transaction failed (order stays payable); success → amount (exact, to the kobo),
       currency and order state checked — a mismatch flags the transaction and pays nothing; otherwise
       transaction completed, order paid (``orders.services.order_mark_paid``), and the earnings
       recorded (``earnings_record_payment``: ledger 'payment' journal, Earnings rows, pending balance).
    """
    txn = Transaction.objects.filter(transaction_id=reference, transaction_type=TxType.PAYMENT).first()
    if txn is None or (provider and txn.provider != provider):
        raise NotFound("Unknown payment reference.")
    if txn.status == TxStatus.COMPLETED or txn.flagged:
        return txn
    verification = gateway_for(txn.provider).verify(reference)
    return _apply_verification(txn_pk=txn.pk, verification=verification)


def _payment_problems(*, txn: Transaction, order: Order, verification: Verification) -> list[str]:
    """Why this verified success must not pay the order (empty when it may)."""
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
    return problems


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
        problems = _payment_problems(txn=txn, order=order, verification=verification)
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
        order = order_mark_paid(order_id=order.pk, notes=f"Paid via {txn.provider} ({txn.transaction_id})",
                                payment_method=txn.provider)
        earnings_record_payment(order=order, txn=txn)
        logger.info("payment %s completed: order %s paid", txn.transaction_id, order.order_id)
    return txn


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


# --- reconcile ---

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
