"""Earnings (SPEC §6.3): recorded when a payment is confirmed, released after delivery + the return
window, reversed on cancel/return. The shares come from ``ledger.order_split`` (``orders.pricing``).

Callers hold the order's row lock (payment confirmation, the orders transition hook, the release task),
so the ledger's idempotency keys make each step happen once.
"""
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from entrepreneurs.models import EntrepreneurProfile
from orders.models import Order, OrderStatus

from .. import ledger
from ..ledger import Line
from ..models import Earnings, JournalEntry, LedgerAccount, Transaction
from .refunds import refund_schedule
from .wallets import wallet_add, wallet_lock

logger = logging.getLogger(__name__)

EntryType = JournalEntry.EntryType


def earnings_record_payment(*, order: Order, txn: Transaction) -> None:
    """The order's payment is confirmed: post the 'payment' journal, create its pending Earnings rows
    (markup and commission, both even when zero, so an order's earnings always have the same shape) and
    add the entrepreneur's share to ``pending_balance``. A second call for the same order does nothing."""
    order = Order.objects.select_related("entrepreneur", "supplier").get(pk=order.pk)
    split = ledger.order_split(order)
    journal = ledger.ledger_post(
        entry_type=EntryType.PAYMENT, idempotency_key=ledger.payment_key(order),
        lines=ledger.payment_lines(order, split), order=order, txn=txn,
        description=f"Payment {txn.transaction_id} for {order.order_id}",
    )
    if journal is None:
        return
    Earnings.objects.bulk_create([
        Earnings(entrepreneur=order.entrepreneur, order=order, earning_type=Earnings.EarningType.MARKUP,
                 amount=order.markup_amount, status=Earnings.Status.PENDING),
        Earnings(entrepreneur=order.entrepreneur, order=order, earning_type=Earnings.EarningType.COMMISSION,
                 amount=order.commission_amount, status=Earnings.Status.PENDING),
    ])
    wallet = wallet_lock(user_id=order.entrepreneur.user_id)
    if split.entrepreneur:
        wallet_add(wallet, pending_balance=split.entrepreneur)


def earnings_reverse_for_order(*, order: Order, reason: str) -> Transaction | None:
    """Cancel the order's earnings; if it was paid, reverse the payment journal and schedule the refund.

    Pending earnings leave ``pending_balance``; already-released earnings are debited from the available
    balance (only what is there — any shortfall is absorbed by platform revenue and logged).
    Must run inside the transaction holding the order's row lock.
    """
    Earnings.objects.filter(order=order).exclude(status=Earnings.Status.CANCELLED).update(
        status=Earnings.Status.CANCELLED, updated_at=timezone.now())
    if not ledger.journal_exists(ledger.payment_key(order)) or ledger.journal_exists(ledger.reversal_key(order)):
        return None
    order = Order.objects.select_related("entrepreneur", "supplier").get(pk=order.pk)
    split = ledger.order_split(order)
    entrepreneur_user = order.entrepreneur.user_id
    wallet = wallet_lock(user_id=entrepreneur_user)
    lines = [
        Line(LedgerAccount.REFUNDS_DUE, split.total),  # owed back to the customer until the refund is done
        Line(LedgerAccount.SUPPLIER_PAYABLE, -split.supplier, order.supplier.user_id),
        Line(LedgerAccount.PLATFORM_REVENUE, -split.platform),
    ]
    if ledger.journal_exists(ledger.release_key(order)):
        debit = min(split.entrepreneur, wallet.balance)
        shortfall = split.entrepreneur - debit
        lines += [Line(LedgerAccount.ENTREPRENEUR_AVAILABLE, -debit, entrepreneur_user),
                  Line(LedgerAccount.PLATFORM_REVENUE, -shortfall)]
        wallet_add(wallet, balance=-debit, total_earned=-debit)
        EntrepreneurProfile.objects.filter(pk=order.entrepreneur_id).update(
            total_sales=F("total_sales") - order.total_amount, total_earnings=F("total_earnings") - split.entrepreneur)
        if shortfall:
            logger.error("order %s %s after release: entrepreneur balance short by %s (absorbed by platform)",
                         order.order_id, reason, shortfall)
    else:
        lines.append(Line(LedgerAccount.ENTREPRENEUR_PENDING, -split.entrepreneur, entrepreneur_user))
        wallet_add(wallet, pending_balance=-split.entrepreneur)
    ledger.ledger_post(entry_type=EntryType.REVERSAL, idempotency_key=ledger.reversal_key(order), lines=lines,
                       order=order, description=f"Order {order.order_id} {reason}: earnings reversed, refund due")
    return refund_schedule(order=order, amount=split.total, reason=reason)


def earnings_release_matured(*, now=None) -> int:
    """Periodic: orders delivered more than EARNINGS_RELEASE_DAYS ago move their entrepreneur share
    from pending to available. Returns how many orders were released."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EARNINGS_RELEASE_DAYS)
    journals = JournalEntry.objects.filter(order=OuterRef("pk"))
    candidates = (
        Order.objects.filter(status=OrderStatus.DELIVERED, delivered_at__lte=cutoff)
        .filter(Exists(journals.filter(entry_type=EntryType.PAYMENT)))
        .exclude(Exists(journals.filter(entry_type__in=[EntryType.RELEASE, EntryType.REVERSAL])))
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
            entry_type=EntryType.RELEASE, idempotency_key=ledger.release_key(order), order=order,
            lines=[Line(LedgerAccount.ENTREPRENEUR_PENDING, -split.entrepreneur, user_id),
                   Line(LedgerAccount.ENTREPRENEUR_AVAILABLE, split.entrepreneur, user_id)],
            description=f"Return window over for {order.order_id}",
        )
        wallet_add(wallet, pending_balance=-split.entrepreneur, balance=split.entrepreneur,
                   total_earned=split.entrepreneur)
        Earnings.objects.filter(order=order, status=Earnings.Status.PENDING).update(
            status=Earnings.Status.PAID, payout_date=now, updated_at=now)
        EntrepreneurProfile.objects.filter(pk=order.entrepreneur_id).update(
            total_sales=F("total_sales") + order.total_amount, total_earnings=F("total_earnings") + split.entrepreneur)
    return True
