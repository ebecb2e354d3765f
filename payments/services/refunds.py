"""Refunds of paid orders that were cancelled or returned, and of payments that arrived for an order no
longer payable (SPEC §6.9: every refund reaches a final state).

``refund_schedule`` creates the pending refund inside the transaction that reversed the earnings and
enqueues the gateway call after commit. ``payment_refund_process`` makes that call with no lock held —
or, once the gateway holds the refund, asks it for the refund's status (reconciliation runs it for every
pending refund, and the ``refund.*`` webhooks do). A refund stays ``pending`` until the gateway says it is
done; only then is it booked (``refund`` journal: refunds_due → gateway clearing), the payment reversed
and the order marked refunded through ``orders.services.order_mark_refunded``. A refused or failed refund
is flagged and books nothing; ``refund_retry`` (Django admin) first asks the gateway which refunds it
already holds for the payment, so a retry never refunds twice.
"""
import logging
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import GatewayError, GatewayUnavailable, InvalidTransition
from core.models import save_fields
from core.money import CURRENCY, quantize
from orders.models import Order
from orders.services import order_mark_refunded

from .. import ledger
from ..gateways import FAILED, SUCCESS, RefundResult, gateway_for, unanswered_call_window
from ..ledger import Line
from ..models import JournalEntry, LedgerAccount, Transaction
from ..tasks import refund_payment

logger = logging.getLogger(__name__)

LATE_PAYMENT = "late_payment"  # refund reason for a payment that arrived for an order no longer payable

TxStatus = Transaction.Status
TxType = Transaction.TransactionType


def _order_payment(order: Order) -> Transaction | None:
    """The completed payment that paid this order: its own, or its checkout's (one charge for several orders)."""
    paid_by = Q(order=order)
    if order.checkout_id:
        paid_by |= Q(checkout_id=order.checkout_id, order__isnull=True)
    # A flagged late payment is refunded on its own (refund_schedule_late_payment), never again here.
    return (Transaction.objects.filter(paid_by, transaction_type=TxType.PAYMENT, status=TxStatus.COMPLETED,
                                       flagged=False)
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
    transaction.on_commit(lambda: refund_payment.delay(refund.pk), robust=True)  # broker down: reconciliation sends it
    return refund


def refund_schedule_late_payment(*, payment: Transaction) -> Transaction:
    """A pending refund of a whole payment that arrived for an order no longer payable (sent after commit)."""
    refund = Transaction.objects.create(
        transaction_id=f"RF-{payment.transaction_id[:48]}-{secrets.token_hex(3).upper()}", order_id=payment.order_id,
        checkout_id=payment.checkout_id, user_id=payment.user_id, transaction_type=TxType.REFUND,
        amount=payment.amount, currency=payment.currency,
        provider=payment.provider, status=TxStatus.PENDING,
        metadata={"payment_reference": payment.transaction_id, "reason": LATE_PAYMENT},
    )
    transaction.on_commit(lambda: refund_payment.delay(refund.pk), robust=True)  # broker down: reconciliation sends it
    return refund


def _payment_of(refund: Transaction) -> Transaction:
    return Transaction.objects.get(transaction_id=refund.metadata["payment_reference"])


def _resend_window(refund: Transaction) -> timedelta:
    """How long after an unanswered call the refund may be sent again. A whole charge's refund: once the call is over
    (``unanswered_call_window``) — a second copy of it is refused by the gateway ("fully reversed") and the first is
    then adopted. A partial refund (one order of a checkout's charge): a second copy is *paid* while the charge has
    that much left, so it waits at least REFUND_PARTIAL_RESEND_MINUTES, long enough for the gateway's list of the
    charge's refunds — looked at just before sending — to show a refund the first call did create."""
    window = unanswered_call_window()
    if refund.metadata.get("partial"):
        window = max(window, timedelta(minutes=settings.REFUND_PARTIAL_RESEND_MINUTES))
    return window


def _resend_due(refund: Transaction, sent_at: str, now) -> bool:
    """An earlier call sent at ``sent_at`` is over — answered, or timed out — by now, and the refund's resend window
    (``_resend_window``) has gone by: it may be sent again (once the gateway is seen not to hold it). Until then
    another run may still be waiting for its answer."""
    try:
        sent = datetime.fromisoformat(sent_at)
    except (TypeError, ValueError):
        return True
    return now - sent >= _resend_window(refund)


def _claim_send(refund_id: int, seen_sent_at: str | None, now) -> Transaction | None:
    """Claim the gateway call for this run: ``sent_at`` moved from what this run read to now, under the refund's
    row lock. ``None`` when another run got there first (it sends, or has sent, the refund) or the refund moved on."""
    with transaction.atomic():
        refund = Transaction.objects.select_for_update().get(pk=refund_id)
        if (refund.status != TxStatus.PENDING or refund.provider_reference
                or refund.metadata.get("sent_at") != seen_sent_at):
            return None
        refund.metadata = {**refund.metadata, "sent_at": now.isoformat()}
        save_fields(refund, ["metadata", "updated_at"])
    return refund


def payment_refund_process(*, refund_id: int) -> Transaction:
    """Move a pending refund on: ask the gateway to refund (first time), or ask it how the refund it holds
    is doing. No lock is held during the call; the answer is applied under the refund's row lock.

    Two runs of one refund (a redelivered task, reconciliation, a webhook) never both send it: the call is claimed
    first (``_claim_send``), and a call whose answer is not in yet is not sent again until it is over
    (``_resend_due``) and the gateway is seen not to hold the refund — a partial refund sent twice would be paid
    twice."""
    refund = Transaction.objects.get(pk=refund_id, transaction_type=TxType.REFUND)
    if refund.status != TxStatus.PENDING:
        return refund
    client = gateway_for(refund.provider)
    payment = _payment_of(refund)
    sent_before = refund.metadata.get("sent_at")
    try:
        if refund.provider_reference:
            result = client.fetch_refund(refund.provider_reference)
        elif sent_before and (held := _held_by_gateway(refund, payment)):
            # An earlier call was inconclusive (timeout, 5xx) but may have created the refund: adopt it.
            logger.warning("refund %s: adopting refund %s the gateway already holds", refund.transaction_id,
                           held.provider_reference)
            result = held
        else:
            now = timezone.now()
            if sent_before and not _resend_due(refund, sent_before, now):
                logger.info("refund %s: sent at %s, its answer not in yet; looked at again on the next run",
                            refund.transaction_id, sent_before)
                _looked_at(refund.pk)
                return refund
            claimed = _claim_send(refund.pk, sent_before, now)
            if claimed is None:
                logger.info("refund %s: another run is sending it", refund.transaction_id)
                return Transaction.objects.get(pk=refund.pk)
            refund = claimed
            result = client.refund(reference=payment.transaction_id, amount=refund.amount,
                                   provider_reference=payment.provider_reference)
    except GatewayUnavailable as exc:
        logger.warning("refund %s: gateway unavailable, will retry: %s", refund.transaction_id, exc.message)
        _note_error(refund.pk, exc.message)
        return refund
    except GatewayError as exc:
        if refund.provider_reference:  # the status check failed, not the refund: try again next run
            logger.warning("refund %s: status check refused: %s", refund.transaction_id, exc.message)
            _looked_at(refund.pk)
            return refund
        if sent_before:  # a refusal of a second copy may mean the first one is there ("fully reversed")
            return _after_refused_resend(refund, payment, exc)
        return _refund_failed(refund.pk, reason=f"Refund refused: {exc.message}")
    return refund_apply_result(refund_id=refund.pk, result=result)


def _looked_at(refund_id: int) -> None:
    """A look at a pending refund that changed nothing (its answer not in yet, a refused status check, the gateway's
    list unreadable): stamped, so that reconciliation's next turn goes to the others (it takes the least recently
    looked at first) instead of this one holding the head run after run. ``updated_at`` only: no run's claim
    (``metadata.sent_at``) is touched."""
    Transaction.objects.filter(pk=refund_id, status=TxStatus.PENDING).update(updated_at=timezone.now())


def _note_error(refund_id: int, message: str) -> None:
    """``metadata["last_error"]``, written under the row lock on the metadata as it is now — never this run's
    earlier copy, which would put back an older ``sent_at`` while another run's claimed call is in flight (and let a
    third run send a second copy)."""
    with transaction.atomic():
        refund = Transaction.objects.select_for_update().get(pk=refund_id)
        refund.metadata = {**refund.metadata, "last_error": message[:500]}
        save_fields(refund, ["metadata", "updated_at"])  # looked at: reconciliation's next turn goes to the others


def _after_refused_resend(refund: Transaction, payment: Transaction, refusal: GatewayError) -> Transaction:
    """The gateway refused a refund sent again after an inconclusive call: the first call may have created it after
    all. Adopted if the gateway holds it; failed (flagged for an admin) only when it is seen not to."""
    try:
        held = _held_by_gateway(refund, payment)
    except GatewayError as exc:
        logger.warning("refund %s refused (%s) and the gateway's refunds unreadable (%s): left pending",
                       refund.transaction_id, refusal.message, exc.message)
        _looked_at(refund.pk)
        return Transaction.objects.get(pk=refund.pk)
    if held is not None:
        logger.warning("refund %s refused when sent again (%s): adopting refund %s the gateway holds",
                       refund.transaction_id, refusal.message, held.provider_reference)
        return refund_apply_result(refund_id=refund.pk, result=held)
    return _refund_failed(refund.pk, reason=f"Refund refused: {refusal.message}")


def refund_apply_result(*, refund_id: int, result: RefundResult) -> Transaction:
    """The gateway's word on a refund: done → booked; failed → flagged, nothing booked; else still pending."""
    if result.status == FAILED:
        return _refund_failed(refund_id, reason=f"Refund failed at the gateway ({result.raw.get('status')})",
                              provider_reference=result.provider_reference, raw=result.raw)
    with transaction.atomic():
        refund = Transaction.objects.select_for_update().get(pk=refund_id)
        if refund.status != TxStatus.PENDING:
            return refund
        refund.metadata = {**refund.metadata, "gateway": result.raw}
        if result.provider_reference and not refund.provider_reference:
            refund.provider_reference = result.provider_reference
        if result.status != SUCCESS:
            refund.save(update_fields=["metadata", "provider_reference", "updated_at"])
            logger.info("refund %s is %s at %s", refund.transaction_id, result.raw.get("status"), refund.provider)
            return refund
        refund.status = TxStatus.COMPLETED
        refund.completed_at = timezone.now()
        refund.save(update_fields=["status", "completed_at", "provider_reference", "metadata", "updated_at"])
        ledger.ledger_post(
            entry_type=JournalEntry.EntryType.REFUND, idempotency_key=f"refund:{refund.transaction_id}",
            order=refund.order, txn=refund,
            description=f"Refund {refund.transaction_id} returned to the customer",
            lines=[Line(LedgerAccount.REFUNDS_DUE, -refund.amount), Line(LedgerAccount.GATEWAY_CLEARING, refund.amount)],
        )
        payment = Transaction.objects.select_for_update().get(transaction_id=refund.metadata["payment_reference"])
        # The charge is reversed once everything it took has been given back (a checkout's charge is
        # refunded order by order; until then it stays completed).
        refunded = sum(_refunds_of(payment).filter(status=TxStatus.COMPLETED).values_list("amount", flat=True),
                       quantize(0))
        if quantize(refunded) >= quantize(payment.amount):
            Transaction.objects.filter(pk=payment.pk).update(status=TxStatus.REVERSED, updated_at=timezone.now())
        if refund.metadata.get("reason") != LATE_PAYMENT and refund.order_id:
            order_mark_refunded(order_id=refund.order_id,
                                notes=f"Refunded via {refund.provider} ({refund.transaction_id})")
        logger.info("refund %s completed: %s returned", refund.transaction_id, refund.amount)
    return refund


def _refund_failed(refund_id: int, *, reason: str, provider_reference: str = "", raw: dict | None = None) -> Transaction:
    with transaction.atomic():
        refund = Transaction.objects.select_for_update().get(pk=refund_id)
        if refund.status != TxStatus.PENDING:
            return refund
        refund.status = TxStatus.FAILED
        refund.flagged = True
        refund.flag_reason = reason[:255]
        if provider_reference and not refund.provider_reference:
            refund.provider_reference = provider_reference
        if raw:
            refund.metadata = {**refund.metadata, "gateway": raw}
        refund.save(update_fields=["status", "flagged", "flag_reason", "provider_reference", "metadata", "updated_at"])
    logger.error("refund %s of %s flagged for an admin: %s", refund.transaction_id, refund.amount, reason)
    return refund


def _same_amount(result: RefundResult, refund: Transaction) -> bool:
    """The gateway's refund gives back this refund's amount (to the kobo); one whose amount the gateway does not
    say is taken as possibly this one (adopting it at worst leaves a refund to an admin; a second copy sent would
    be paid)."""
    return result.amount is None or quantize(result.amount) == quantize(refund.amount)


def _held_by_gateway(refund: Transaction, payment: Transaction) -> RefundResult | None:
    """A live (not failed) refund the gateway holds for the payment, of this refund's amount, that is neither this
    refund's failed one nor owned by another of our refunds — what a retry adopts instead of refunding twice. A
    checkout's charge may carry several partial refunds: another amount is another refund's (two calls that both
    went unanswered must not adopt each other's)."""
    held = gateway_for(refund.provider).list_refunds(transaction=payment.provider_reference or payment.transaction_id)
    owned = set(Transaction.objects.filter(transaction_type=TxType.REFUND, provider=refund.provider)
                .exclude(pk=refund.pk).exclude(provider_reference="").values_list("provider_reference", flat=True))
    return next((r for r in held if r.status != FAILED and r.provider_reference != refund.provider_reference
                 and r.provider_reference not in owned and _same_amount(r, refund)), None)


def refund_retry(*, refund_id: int, admin=None) -> Transaction:
    """Django admin "Retry refund" for a failed (flagged) refund. Never refunds twice: the gateway's own
    list of refunds for the payment is checked first — one that is pending or processed there is adopted
    (and settled by its status) instead of asking for a new one."""
    refund = Transaction.objects.get(pk=refund_id, transaction_type=TxType.REFUND)
    if refund.status != TxStatus.FAILED:
        raise InvalidTransition(f"Refund {refund.transaction_id} is {refund.status}; only failed refunds are retried.")
    if ledger.journal_exists(f"refund:{refund.transaction_id}"):
        raise InvalidTransition(f"Refund {refund.transaction_id} is already booked as returned.")
    payment = _payment_of(refund)
    held = _held_by_gateway(refund, payment)
    with transaction.atomic():
        refund = Transaction.objects.select_for_update().get(pk=refund.pk)
        if refund.status != TxStatus.FAILED:
            return refund
        attempts = int(refund.metadata.get("attempts", 1)) + 1
        refund.status = TxStatus.PENDING
        refund.flagged = False
        refund.flag_reason = ""
        refund.provider_reference = held.provider_reference if held else ""
        # The gateway's refunds were just checked: the next call sends one (no second look first).
        refund.metadata = {**{k: v for k, v in refund.metadata.items() if k != "sent_at"}, "attempts": attempts,
                           "retried_by": getattr(admin, "pk", None), "retried_at": timezone.now().isoformat()}
        refund.save(update_fields=["status", "flagged", "flag_reason", "provider_reference", "metadata", "updated_at"])
    if held:
        logger.warning("refund %s: the gateway already holds refund %s for %s; adopted, not sent again",
                       refund.transaction_id, held.provider_reference, payment.transaction_id)
        return refund_apply_result(refund_id=refund.pk, result=held)
    return payment_refund_process(refund_id=refund.pk)


def refund_for_gateway_event(*, provider: str, refund_reference: str, payment_reference: str = "",
                             gateway_payment_id: str = "", amount: Decimal | None = None) -> Transaction | None:
    """The refund a ``refund.*`` webhook is about: by the gateway's refund id, else the oldest pending refund
    of the payment it names — by our reference (Paystack) or by the gateway's id for the charge (Flutterwave) —
    of the event's amount when it says one (a charge may carry partial refunds of other amounts)."""
    refunds = Transaction.objects.filter(transaction_type=TxType.REFUND, provider=provider)
    if refund_reference:
        found = refunds.filter(provider_reference=refund_reference).first()
        if found is not None:
            return found
    payments = [payment_reference] if payment_reference else list(
        Transaction.objects.filter(transaction_type=TxType.PAYMENT, provider=provider, provider_reference=gateway_payment_id)
        .values_list("transaction_id", flat=True)) if gateway_payment_id else []
    if not payments:
        return None
    pending = refunds.filter(metadata__payment_reference__in=payments, status=TxStatus.PENDING, provider_reference="")
    if amount is not None:
        pending = pending.filter(amount=quantize(amount))
    return pending.order_by("pk").first()
