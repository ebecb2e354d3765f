"""Refunds of paid orders that were cancelled or returned.

``refund_schedule`` creates the pending refund inside the transaction that reversed the earnings and
enqueues the gateway call after commit; ``payment_refund_process`` makes that call with no lock held
(retried by reconciliation while the gateway is down) and, once the gateway agrees, marks the payment
reversed and the order refunded through ``orders.services.order_mark_refunded``.
"""
import logging
import secrets
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import GatewayError, GatewayUnavailable
from core.money import CURRENCY, quantize
from orders.models import Order
from orders.services import order_mark_refunded

from ..gateways import gateway_for
from ..models import Transaction
from ..tasks import refund_payment

logger = logging.getLogger(__name__)

TxStatus = Transaction.Status
TxType = Transaction.TransactionType


def _order_payment(order: Order) -> Transaction | None:
    """The completed payment that paid this order: its own, or its checkout's (one charge for several orders)."""
    paid_by = Q(order=order)
    if order.checkout_id:
        paid_by |= Q(checkout_id=order.checkout_id, order__isnull=True)
    return (Transaction.objects.filter(paid_by, transaction_type=TxType.PAYMENT, status=TxStatus.COMPLETED)
            .order_by("-completed_at", "-pk").first())


def _refunds_of(payment: Transaction):
    """Refunds asked for against ``payment`` that may still move money (failed ones moved none)."""
    return (Transaction.objects.filter(transaction_type=TxType.REFUND,
                                       metadata__payment_reference=payment.transaction_id)
            .exclude(status=TxStatus.FAILED))


def refund_schedule(*, order: Order, amount: Decimal, reason: str) -> Transaction | None:
    """A pending refund of ``amount`` against the order's completed payment, sent to the gateway after commit.

    For an order paid as part of a checkout this is a *partial* refund of the checkout's charge (that
    order's total; the other orders stay paid). The payment row is locked while the refunds already asked
    for are summed, so the refunds of one charge never add up to more than it: anything beyond what is
    left is refused and logged.
    """
    payment = _order_payment(order)
    if payment is None:  # paid journal without a completed payment cannot happen; be loud if it does
        logger.error("order %s has a payment journal but no completed payment transaction", order.order_id)
        return None
    payment = Transaction.objects.select_for_update().get(pk=payment.pk)
    already = quantize(sum(_refunds_of(payment).values_list("amount", flat=True), quantize(0)))
    left = quantize(payment.amount) - already
    if quantize(amount) > left:
        logger.error("refund of %s for order %s refused: only %s of payment %s is left to refund",
                     amount, order.order_id, left, payment.transaction_id)
        return None
    refund = Transaction.objects.create(
        transaction_id=f"RF-{order.order_id}-{secrets.token_hex(4).upper()}", order=order,
        checkout_id=payment.checkout_id, user_id=order.customer_id,
        transaction_type=TxType.REFUND, amount=amount, currency=CURRENCY,
        provider=payment.provider, status=TxStatus.PENDING,
        metadata={"payment_reference": payment.transaction_id, "reason": reason,
                  "partial": quantize(amount) != quantize(payment.amount)},
    )
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
        # The charge is reversed once everything it took has been given back (a checkout's charge is
        # refunded order by order; until then it stays completed).
        refunded = sum(_refunds_of(payment).filter(status=TxStatus.COMPLETED).values_list("amount", flat=True),
                       quantize(0))
        if quantize(refunded) >= quantize(payment.amount):
            Transaction.objects.filter(pk=payment.pk).update(status=TxStatus.REVERSED, updated_at=timezone.now())
        order_mark_refunded(order_id=refund.order_id, notes=f"Refunded via {refund.provider} ({refund.transaction_id})")
    return refund
