"""Charges: confirm a payment from the gateway's own answer (webhooks, verify endpoint, sandbox page;
reconciliation.py re-runs it). Initialization is ``initialize.py``.

Lock order (so concurrent writers never deadlock): payment Transaction → Order → Wallet.
Gateway HTTP calls always happen with no row lock held.
"""
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import NotFound, ValidationFailed
from core.models import save_fields
from core.money import CURRENCY, quantize
from core.notifications import notify
from core.permissions import is_admin
from core.prepared import PreparedRead
from orders.models import Order, OrderStatus, PaymentStatus
from orders.services import order_mark_paid

from .. import ledger
from ..gateways import FAILED, PENDING, SUCCESS, Verification, gateway_for
from ..ledger import Line
from ..models import JournalEntry, LedgerAccount, Provider, Transaction
from .earnings import earnings_record_payment
from .refunds import refund_schedule_late_payment

logger = logging.getLogger(__name__)

TxStatus = Transaction.Status
TxType = Transaction.TransactionType


# A payment in one of these states is settled: verifying it again reports it and changes nothing (SPEC §6.9).
FINAL_STATUSES = frozenset({TxStatus.COMPLETED, TxStatus.REVERSED})


# metadata["failed_as"] of an attempt we failed ourselves while the gateway had not said "failed" (still pending,
# or it could not tell us) because nothing it pays was payable any more: reconciliation keeps verifying it for
# PAYMENT_LATE_SUCCESS_HOURS, so that a success arriving late is applied (refunded as a late payment) even when
# its webhook is lost.
FAILED_AS_UNPAYABLE = "unpayable"


def _is_settled(txn: Transaction) -> bool:
    return txn.status in FINAL_STATUSES or txn.flagged


# The reads of every payment confirmation, compiled once per connection (core.prepared).
_PAYMENT_BY_REFERENCE = PreparedRead(
    lambda reference: Transaction.objects.filter(transaction_id=reference, transaction_type=TxType.PAYMENT)
    .order_by("pk")[:1],
    reference=str,
)
_LOCK_PAYMENT = PreparedRead(lambda pk: Transaction.objects.select_for_update().filter(pk=pk), pk=int)


def _orders_locked():
    return Order.objects.select_for_update(of=("self",)).select_related("supplier", "entrepreneur").order_by("pk")


_LOCK_ORDER = PreparedRead(lambda pk: _orders_locked().filter(pk=pk), pk=int)
_LOCK_CHECKOUT_ORDERS = PreparedRead(lambda checkout_id: _orders_locked().filter(checkout_id=checkout_id),
                                     checkout_id=int)


def payment_confirm(*, reference: str, provider: str | None = None, gateway_transaction_id: str = "") -> Transaction:
    """Idempotently settle one payment attempt from the gateway's own answer.

    1. Re-verify with the gateway (outside any DB transaction; the webhook body is never trusted).
    2. In one transaction with the Transaction row locked: completed already → no-op; failed at the
       gateway → transaction failed (order stays payable); success → amount (exact, to the kobo),
       currency and order state checked — a mismatch flags the transaction and pays nothing; otherwise
       transaction completed, order paid (``orders.services.order_mark_paid``), and the earnings
       recorded (``earnings_record_payment``: ledger 'payment' journal, Earnings rows, pending balance).
    """
    found = _PAYMENT_BY_REFERENCE(reference=reference)
    txn = found[0] if found else None
    if txn is None or (provider and txn.provider != provider):
        raise NotFound("Unknown payment reference.")
    if _is_settled(txn):
        return txn
    client = gateway_for(txn.provider)
    if gateway_transaction_id and txn.provider == Provider.FLUTTERWAVE:
        # Flutterwave: verify by its transaction id from the event; the answer must still carry our reference.
        verification = client.verify(reference, transaction_id=gateway_transaction_id)
    else:
        verification = client.verify(reference)
    return _apply_verification(txn_pk=txn.pk, verification=verification)


def _payment_problems(*, txn: Transaction, orders: list[Order], verification: Verification) -> list[str]:
    """Why this verified success must not pay the order(s) (empty when it may). A checkout's payment is
    checked against the sum of its orders' totals and pays all of them or none."""
    problems = []
    expected = quantize(sum((order.total_amount for order in orders), quantize(0)))
    if verification.currency != CURRENCY:
        problems.append(f"currency {verification.currency or '?'} instead of {CURRENCY}")
    if verification.amount is None or quantize(verification.amount) != expected:
        problems.append(f"amount {verification.amount} instead of {expected}")
    if quantize(txn.amount) != expected:
        problems.append(f"total changed from {txn.amount} to {expected}")
    if not orders:
        problems.append("no order to pay")
    for order in orders:
        if order.payment_status == PaymentStatus.PAID or order.status != OrderStatus.PENDING:
            problems.append(f"order {order.order_id} is not awaiting payment (status {order.status}, "
                            f"payment {order.payment_status}) — refund needed")
    return problems


def _lock_paid_orders(txn: Transaction) -> list[Order]:
    """The order(s) this payment pays, row-locked in pk order (the lock order every writer uses), with their
    supplier and entrepreneur (the payment's split needs both)."""
    if txn.checkout_id:
        return _LOCK_CHECKOUT_ORDERS(checkout_id=txn.checkout_id)
    return _LOCK_ORDER(pk=txn.order_id)


def _apply_verification(*, txn_pk: int, verification: Verification) -> Transaction:
    with transaction.atomic():
        (txn,) = _LOCK_PAYMENT(pk=txn_pk)
        if _is_settled(txn):
            return txn
        txn.metadata = {**txn.metadata, "verification": verification.raw,
                        "gateway_status": verification.gateway_status}
        fields = ["metadata", "updated_at"]
        if verification.status == PENDING and _abandoned_for_good(txn, verification):
            txn.status = TxStatus.FAILED
            txn.metadata["failed_as"] = FAILED_AS_UNPAYABLE
            save_fields(txn, [*fields, "status"])
            logger.info("payment %s still %r at %s and nothing it pays is payable: failed", txn.transaction_id,
                        verification.gateway_status, txn.provider)
            return txn
        if verification.status == PENDING:
            save_fields(txn, fields)
            return txn
        if verification.status == FAILED:
            txn.status = TxStatus.FAILED
            txn.metadata.pop("failed_as", None)  # the gateway's own word: final, no longer verified again
            save_fields(txn, [*fields, "status"])
            logger.info("payment %s failed at %s (%s)", txn.transaction_id, txn.provider, verification.gateway_status)
            return txn

        assert verification.status == SUCCESS
        orders = _lock_paid_orders(txn)
        problems = _payment_problems(txn=txn, orders=orders, verification=verification)
        if verification.provider_reference:
            txn.provider_reference = verification.provider_reference
            fields.append("provider_reference")
        paid_for = ", ".join(order.order_id for order in orders)
        if problems and _is_late_payment(txn=txn, orders=orders, verification=verification):
            return _refund_late_payment(txn=txn, orders=orders, problems=problems, fields=fields)
        if problems:
            txn.flagged = True
            txn.flag_reason = "; ".join(problems)
            txn.status = TxStatus.FAILED
            save_fields(txn, [*fields, "flagged", "flag_reason", "status"])
            logger.error("payment %s flagged, order(s) %s NOT paid: %s", txn.transaction_id, paid_for, txn.flag_reason)
            return txn

        txn.status = TxStatus.COMPLETED
        txn.completed_at = timezone.now()
        save_fields(txn, [*fields, "status", "completed_at"])
        for order in orders:
            order = order_mark_paid(locked_order=order, notes=f"Paid via {txn.provider} ({txn.transaction_id})",
                                    payment_method=txn.provider)
            earnings_record_payment(order=order, txn=txn)  # one 'payment' journal per order, with its own split
        logger.info("payment %s completed: order(s) %s paid", txn.transaction_id, paid_for)
    return txn


def _is_late_payment(*, txn: Transaction, orders: list[Order], verification: Verification) -> bool:
    """The customer really paid what we asked (currency and amount of this attempt), but the order — or one
    order of the checkout, which is paid all or none — is no longer payable: expired, cancelled, or already
    paid by another attempt (SPEC §6.9)."""
    return (bool(orders) and verification.currency == CURRENCY and verification.amount is not None
            and quantize(verification.amount) == quantize(txn.amount)
            and any(order.payment_status == PaymentStatus.PAID or order.status != OrderStatus.PENDING
                    for order in orders))


def _refund_late_payment(*, txn: Transaction, orders: list[Order], problems: list[str],
                         fields: list[str]) -> Transaction:
    """Money in, money out: the payment is recorded as received (``late_payment`` journal: gateway clearing →
    refunds_due), flagged for admins, and refunded through the gateway after commit; the customer is told.
    The order is left as it is. Runs under the payment's row lock (idempotent by the journal key)."""
    txn.status = TxStatus.COMPLETED
    txn.completed_at = timezone.now()
    txn.flagged = True
    txn.flag_reason = ("; ".join(problems) + " — refunded automatically")[:2000]
    save_fields(txn, [*fields, "status", "completed_at", "flagged", "flag_reason"])
    journal = ledger.ledger_post(
        entry_type=JournalEntry.EntryType.LATE_PAYMENT, idempotency_key=f"late_payment:{txn.transaction_id}",
        order=orders[0] if len(orders) == 1 else None, txn=txn,
        description=f"Payment {txn.transaction_id} for {', '.join(o.order_id for o in orders)}, no longer payable"[:255],
        lines=[Line(LedgerAccount.GATEWAY_CLEARING, -txn.amount), Line(LedgerAccount.REFUNDS_DUE, txn.amount)],
    )
    if journal is not None:
        refund_schedule_late_payment(payment=txn)
        notify("order_late_payment_refunded", order_id=orders[0].pk)
    logger.error("payment %s arrived for order(s) %s no longer payable: refunding %s automatically",
                 txn.transaction_id, ", ".join(o.order_id for o in orders), txn.amount)
    return txn


def _abandoned_for_good(txn: Transaction, verification: Verification) -> bool:
    """Still pending at the gateway (Paystack ``abandoned`` only means the shopper has not finished; a sandbox
    attempt nobody clicked; a gateway's in-between word): the attempt stays pending while what it pays can still be
    paid — the shopper may still pay on the same page — and fails once nothing it pays is payable any more. A
    success arriving after that is still applied (a failed attempt is not settled): refunded as a late payment —
    by its webhook, or by reconciliation, which verifies such attempts again for PAYMENT_LATE_SUCCESS_HOURS."""
    return _nothing_payable(txn)


def _nothing_payable(txn: Transaction) -> bool:
    """The order this attempt pays — or any order of its checkout, which is paid all or none — is no longer payable:
    not pending, already paid, or its reservation over."""
    if txn.checkout_id:
        orders = Order.objects.filter(checkout_id=txn.checkout_id)
    elif txn.order_id:
        orders = Order.objects.filter(pk=txn.order_id)
    else:
        return False
    now = timezone.now()
    rows = list(orders.values_list("status", "payment_status", "reserved_until"))
    return not rows or any(status != OrderStatus.PENDING or payment_status == PaymentStatus.PAID
                           or (reserved_until is not None and reserved_until <= now)
                           for status, payment_status, reserved_until in rows)


def payment_fail_if_unpayable(*, reference: str, reason: str) -> Transaction | None:
    """Reconciliation, when the gateway cannot tell us about an attempt (Flutterwave's "No transaction was found"
    for a payment page never opened, any refusal): once nothing it pays is payable the attempt fails, so it
    leaves the queue of pending attempts verified on every run (it is still verified now and then for
    PAYMENT_LATE_SUCCESS_HOURS). Returns the failed attempt, ``None`` when it was left as it was."""
    with transaction.atomic():
        txn = (Transaction.objects.select_for_update()
               .filter(transaction_id=reference, transaction_type=TxType.PAYMENT).first())
        if txn is None or txn.status != TxStatus.PENDING or txn.flagged or not _nothing_payable(txn):
            return None
        txn.status = TxStatus.FAILED
        txn.metadata = {**txn.metadata, "gateway_error": reason[:500], "failed_as": FAILED_AS_UNPAYABLE}
        save_fields(txn, ["status", "metadata", "updated_at"])
    logger.info("payment %s: the gateway cannot tell (%s) and nothing it pays is payable: failed", reference, reason)
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
            save_fields(txn, ["metadata", "updated_at"])
    return payment_confirm(reference=reference, provider=Provider.SANDBOX)
