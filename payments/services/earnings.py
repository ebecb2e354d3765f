"""Earnings (SPEC §6.3): recorded when a payment is confirmed, released after delivery + the return
window, reversed on cancel/return. The shares come from ``ledger.order_split`` (``orders.pricing``) at the sale;
releasing and reversing move what the sale booked (``ledger.booked_split``).

Callers hold the order's row lock (payment confirmation, the orders transition hook, the release task),
so the ledger's idempotency keys make each step happen once.
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from core.models import insert_rows
from entrepreneurs.models import EntrepreneurProfile
from orders.models import Order, OrderStatus

from .. import ledger
from ..ledger import Line
from ..models import Earnings, JournalEntry, LedgerAccount, Transaction
from .refunds import refund_schedule
from .wallets import wallet_journal_post

logger = logging.getLogger(__name__)

EntryType = JournalEntry.EntryType


def earnings_record_payment(*, order: Order, txn: Transaction) -> None:
    """The order's payment is confirmed: post the 'payment' journal, create its pending Earnings rows
    (markup and commission, both even when zero, so an order's earnings always have the same shape) and add
    the entrepreneur's share to its ``pending_balance`` and the supplier's share to the supplier wallet's
    (SPEC §6.8). A second call for the same order does nothing."""
    if not (Order.entrepreneur.is_cached(order) and Order.supplier.is_cached(order)):
        order = Order.objects.select_related("entrepreneur", "supplier").get(pk=order.pk)
    split = ledger.order_split(order)
    journal = wallet_journal_post(
        entry_type=EntryType.PAYMENT, idempotency_key=ledger.payment_key(order),
        lines=ledger.payment_lines(order, split), order=order, txn=txn,
        description=f"Payment {txn.transaction_id} for {order.order_id}",
    )
    if journal is None:
        return
    insert_rows([
        Earnings(entrepreneur=order.entrepreneur, order=order, earning_type=Earnings.EarningType.MARKUP,
                 amount=order.markup_amount, status=Earnings.Status.PENDING),
        Earnings(entrepreneur=order.entrepreneur, order=order, earning_type=Earnings.EarningType.COMMISSION,
                 amount=order.commission_amount, status=Earnings.Status.PENDING),
    ])


def earnings_reverse_for_order(*, order: Order, reason: str) -> Transaction | None:
    """Cancel the order's earnings; if it was paid, reverse the payment journal and schedule the refund.

    Pending shares leave ``pending_balance``; already-released ones are debited from the available balance in
    full (SPEC §6.3), the entrepreneur's as the supplier's: a wallet may go negative this way — the share may sit
    in a withdrawal still held in flight, which comes back whole if it is rejected or fails — and its withdrawals
    wait until it is positive again. Must run inside the transaction holding the order's row lock.
    """
    Earnings.objects.filter(order=order).exclude(status=Earnings.Status.CANCELLED).update(
        status=Earnings.Status.CANCELLED, updated_at=timezone.now())
    if not ledger.journal_exists(ledger.payment_key(order)) or ledger.journal_exists(ledger.reversal_key(order)):
        return None
    order = Order.objects.select_related("entrepreneur", "supplier").get(pk=order.pk)
    split = ledger.booked_split(order)  # what the sale booked (the supplier's rate may have changed since)
    entrepreneur_user, supplier_user = order.entrepreneur.user_id, order.supplier.user_id
    lines = [Line(LedgerAccount.REFUNDS_DUE, split.total)]  # owed back to the customer until the refund is done
    entrepreneur_released = ledger.journal_exists(ledger.release_key(order))
    if entrepreneur_released:
        lines.append(Line(LedgerAccount.ENTREPRENEUR_AVAILABLE, -split.entrepreneur, entrepreneur_user))
        EntrepreneurProfile.objects.filter(pk=order.entrepreneur_id).update(
            total_sales=F("total_sales") - order.total_amount, total_earnings=F("total_earnings") - split.entrepreneur)
    else:
        lines.append(Line(LedgerAccount.ENTREPRENEUR_PENDING, -split.entrepreneur, entrepreneur_user))
    supplier_released = ledger.journal_exists(ledger.supplier_release_key(order))
    lines += [Line(LedgerAccount.SUPPLIER_AVAILABLE if supplier_released else LedgerAccount.SUPPLIER_PAYABLE,
                   -split.supplier, supplier_user),
              Line(LedgerAccount.PLATFORM_REVENUE, -split.platform)]
    wallet_journal_post(entry_type=EntryType.REVERSAL, idempotency_key=ledger.reversal_key(order), lines=lines,
                        order=order, description=f"Order {order.order_id} {reason}: earnings reversed, refund due")
    if entrepreneur_released:
        logger.warning("order %s %s after release: %s debited from entrepreneur %s's available balance",
                       order.order_id, reason, split.entrepreneur, order.entrepreneur_id)
    if supplier_released:
        logger.warning("order %s %s after release: %s debited from supplier %s's available balance",
                       order.order_id, reason, split.supplier, order.supplier_id)
    return refund_schedule(order=order, amount=split.total, reason=reason)


# A release run: at most this many orders released, and at most this many looked at (orders that raise are passed).
RELEASE_PER_RUN = 500
RELEASE_SCAN_PER_RUN = 5000


def earnings_release_matured(*, now=None) -> int:
    """Periodic: orders delivered more than EARNINGS_RELEASE_DAYS ago move their entrepreneur and supplier
    shares from pending to available. Returns how many orders were released."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EARNINGS_RELEASE_DAYS)
    journals = JournalEntry.objects.filter(order=OuterRef("pk"))
    candidates = (
        Order.objects.filter(status=OrderStatus.DELIVERED, delivered_at__lte=cutoff)
        .filter(Exists(journals.filter(entry_type__in=ledger.SALE_ENTRY_TYPES)))  # paid online or cash on delivery
        .exclude(Exists(journals.filter(entry_type=EntryType.REVERSAL)))
        # Both shares released: done. (An order released before suppliers had wallets gets its supplier share.)
        .exclude(Exists(journals.filter(entry_type=EntryType.RELEASE)),
                 Exists(journals.filter(entry_type=EntryType.SUPPLIER_RELEASE)))
        .order_by("delivered_at", "pk").values_list("delivered_at", "pk")
    )
    released = raised = 0
    after = None
    # Pages in (delivered_at, pk) order until RELEASE_PER_RUN orders are released: orders that raise never fill a
    # run (they stay first in this order run after run), at most RELEASE_SCAN_PER_RUN looked at.
    for _page in range(RELEASE_SCAN_PER_RUN // RELEASE_PER_RUN):
        page_query = candidates
        if after is not None:
            page_query = candidates.filter(Q(delivered_at__gt=after[0]) | Q(delivered_at=after[0], pk__gt=after[1]))
        page = list(page_query[:RELEASE_PER_RUN])
        for delivered_at, order_pk in page:
            after = (delivered_at, order_pk)
            # Each order on its own: one that raises is logged with its traceback and the run goes on (the others'
            # shares must not wait for it); it is tried again on the next run.
            try:
                if earnings_release_order(order_pk=order_pk, now=now):
                    released += 1
            except Exception:
                raised += 1
                logger.exception("earnings release: order %s raised; skipped, the run goes on", order_pk)
            if released >= RELEASE_PER_RUN:
                break
        if released >= RELEASE_PER_RUN or len(page) < RELEASE_PER_RUN:
            break
    if raised:
        logger.error("earnings release: %d order(s) raised and wait for an admin; %d released", raised, released)
    return released


def earnings_release_order(*, order_pk: int, now=None) -> bool:
    """Release one delivered order's shares once its return window is over: the entrepreneur's ('release'
    journal; Earnings paid, profile totals) and the supplier's ('supplier_release'). Each at most once."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EARNINGS_RELEASE_DAYS)
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("entrepreneur", "supplier").get(pk=order_pk)
        if order.status != OrderStatus.DELIVERED or order.delivered_at is None or order.delivered_at > cutoff:
            return False
        if not ledger.journal_exists(ledger.payment_key(order)) or ledger.journal_exists(ledger.reversal_key(order)):
            return False
        entrepreneur_done = ledger.journal_exists(ledger.release_key(order))
        supplier_done = ledger.journal_exists(ledger.supplier_release_key(order))
        if entrepreneur_done and supplier_done:
            return False
        split = ledger.booked_split(order)  # what the sale booked (the supplier's rate may have changed since)
        # With a zero share a journal has no lines: it still marks the share as released.
        if not entrepreneur_done:
            user_id = order.entrepreneur.user_id
            wallet_journal_post(
                entry_type=EntryType.RELEASE, idempotency_key=ledger.release_key(order), order=order,
                lines=[Line(LedgerAccount.ENTREPRENEUR_PENDING, -split.entrepreneur, user_id),
                       Line(LedgerAccount.ENTREPRENEUR_AVAILABLE, split.entrepreneur, user_id)],
                description=f"Return window over for {order.order_id}",
            )
            Earnings.objects.filter(order=order, status=Earnings.Status.PENDING).update(
                status=Earnings.Status.PAID, payout_date=now, updated_at=now)
            EntrepreneurProfile.objects.filter(pk=order.entrepreneur_id).update(
                total_sales=F("total_sales") + order.total_amount,
                total_earnings=F("total_earnings") + split.entrepreneur)
        if not supplier_done:
            user_id = order.supplier.user_id
            wallet_journal_post(
                entry_type=EntryType.SUPPLIER_RELEASE, idempotency_key=ledger.supplier_release_key(order),
                order=order, lines=[Line(LedgerAccount.SUPPLIER_PAYABLE, -split.supplier, user_id),
                                    Line(LedgerAccount.SUPPLIER_AVAILABLE, split.supplier, user_id)],
                description=f"Return window over for {order.order_id}: supplier share released",
            )
    return True
