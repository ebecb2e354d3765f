"""The append-only double-entry ledger (SPEC §6.5).

Sign convention: every account is a balance the platform holds for someone. A positive line increases it,
a negative line decreases it, and every journal's lines sum to zero. ``gateway_clearing`` is the cash side:
money in from a gateway is negative there (it is owed onwards), money out (refunds, payouts) positive.

Accounts and the wallet figures they back (per entrepreneur user):
- entrepreneur_pending   = Wallet.pending_balance (paid orders not yet past the return window)
- entrepreneur_available = Wallet.balance (released, withdrawable)
- payouts_in_flight      = withdrawals taken from the balance and not yet paid or returned
- Wallet.total_earned    = Σ entrepreneur_available lines in release and reversal journals
- Wallet.total_withdrawn = −Σ payouts_in_flight lines in payout_completed and payout_reversed journals
                           (gross amounts; a reversal gives back what its completion counted)
Supplier payables are per supplier user; platform revenue and gateway clearing have no user.

Per paid order (the shares are defined once, in ``orders.pricing``): entrepreneur = markup + commission;
supplier = subtotal − subtotal × supplier commission_rate / 100 (half-up); platform = total − the two
(so the shipping fee is platform revenue, which also funds the entrepreneur's commission).
"""
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum

from core.money import ZERO, quantize
from orders.pricing import entrepreneur_share, supplier_share

from .models import JournalEntry, LedgerAccount, LedgerEntry, Wallet

EntryType = JournalEntry.EntryType


class UnbalancedEntry(ValueError):
    pass


@dataclass(frozen=True)
class Line:
    account: str
    amount: Decimal
    user_id: int | None = None


@dataclass(frozen=True)
class OrderSplit:
    entrepreneur: Decimal
    supplier: Decimal
    platform: Decimal
    total: Decimal


def order_split(order) -> OrderSplit:
    """Who gets what of a paid order's total. The three shares sum to ``total_amount`` exactly."""
    total = quantize(order.total_amount)
    entrepreneur = entrepreneur_share(markup_amount=order.markup_amount, commission_amount=order.commission_amount)
    supplier = supplier_share(subtotal=order.subtotal, supplier_commission_rate=order.supplier.commission_rate)
    return OrderSplit(entrepreneur=entrepreneur, supplier=supplier, platform=total - entrepreneur - supplier, total=total)


def journal_exists(idempotency_key: str) -> bool:
    return JournalEntry.objects.filter(idempotency_key=idempotency_key).exists()


def ledger_post(*, entry_type: str, idempotency_key: str, lines: list[Line], description: str = "",
                order=None, withdrawal=None, txn=None) -> JournalEntry | None:
    """Post one balanced journal. Returns None (posting nothing) when the key was already posted.
    A journal whose lines are all zero is kept as a marker (e.g. a release of a zero share).

    Callers hold the row lock of the thing being moved (order, withdrawal), so the existence check is
    race-free; the unique ``idempotency_key`` is the database's backstop.
    """
    lines = [line for line in lines if quantize(line.amount) != ZERO]
    total = sum((quantize(line.amount) for line in lines), ZERO)
    if total != ZERO:
        raise UnbalancedEntry(f"Journal {idempotency_key} does not balance: {total}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_post must run inside transaction.atomic()")
    if journal_exists(idempotency_key):
        return None
    journal = JournalEntry.objects.create(entry_type=entry_type, idempotency_key=idempotency_key,
                                          description=description[:255], order=order, withdrawal=withdrawal,
                                          transaction=txn)
    LedgerEntry.objects.bulk_create(
        [LedgerEntry(journal=journal, account=line.account, user_id=line.user_id, amount=quantize(line.amount))
         for line in lines]
    )
    return journal


# --- the journals the app posts (keys make each one happen at most once) ---

def payment_lines(order, split: OrderSplit) -> list[Line]:
    return [
        Line(LedgerAccount.GATEWAY_CLEARING, -split.total),
        Line(LedgerAccount.ENTREPRENEUR_PENDING, split.entrepreneur, order.entrepreneur.user_id),
        Line(LedgerAccount.SUPPLIER_PAYABLE, split.supplier, order.supplier.user_id),
        Line(LedgerAccount.PLATFORM_REVENUE, split.platform),
    ]


def payment_key(order) -> str:
    return f"payment:{order.order_id}"


def release_key(order) -> str:
    return f"release:{order.order_id}"


def reversal_key(order) -> str:
    return f"reversal:{order.order_id}"


# --- audit ---

WALLET_ACCOUNTS = (LedgerAccount.ENTREPRENEUR_PENDING, LedgerAccount.ENTREPRENEUR_AVAILABLE,
                   LedgerAccount.PAYOUTS_IN_FLIGHT)

def wallet_figures_from_ledger() -> dict[int, dict[str, Decimal]]:
    """{user_id: {balance, pending_balance, total_earned, total_withdrawn}} computed from the entries alone."""
    rows = (
        LedgerEntry.objects.filter(account__in=WALLET_ACCOUNTS, user__isnull=False)
        .values("user_id")
        .annotate(
            balance=Sum("amount", filter=Q(account=LedgerAccount.ENTREPRENEUR_AVAILABLE)),
            pending_balance=Sum("amount", filter=Q(account=LedgerAccount.ENTREPRENEUR_PENDING)),
            total_earned=Sum("amount", filter=Q(account=LedgerAccount.ENTREPRENEUR_AVAILABLE,
                                                journal__entry_type__in=[EntryType.RELEASE, EntryType.REVERSAL])),
            withdrawn=Sum("amount", filter=Q(account=LedgerAccount.PAYOUTS_IN_FLIGHT, journal__entry_type__in=[
                EntryType.PAYOUT_COMPLETED, EntryType.PAYOUT_REVERSED])),
        )
    )
    figures: dict[int, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(
        ("balance", "pending_balance", "total_earned", "total_withdrawn"), ZERO))
    for row in rows:
        figures[row["user_id"]] = {
            "balance": quantize(row["balance"] or ZERO),
            "pending_balance": quantize(row["pending_balance"] or ZERO),
            "total_earned": quantize(row["total_earned"] or ZERO),
            "total_withdrawn": quantize(-(row["withdrawn"] or ZERO)),
        }
    return figures


def negative_platform_shares() -> list[str]:
    """Orders whose payment journal gives the platform less than nothing (SPEC §5: the commission cap)."""
    rows = (
        LedgerEntry.objects.filter(journal__entry_type=EntryType.PAYMENT, journal__order__isnull=False)
        .values("journal__order__order_id")
        .annotate(platform=Sum("amount", filter=Q(account=LedgerAccount.PLATFORM_REVENUE)))
        .filter(platform__lt=0)
        .order_by("journal__order__order_id")
    )
    return [f"order {row['journal__order__order_id']}: platform share {quantize(row['platform'])} is negative"
            for row in rows]


def ledger_audit() -> list[str]:
    """Every problem found: unbalanced journals, and wallets that differ from their entries."""
    problems: list[str] = []
    journals = JournalEntry.objects.annotate(total=Sum("lines__amount")).values_list("id", "idempotency_key", "total")
    for journal_id, key, total in journals.iterator():
        if total is not None and quantize(total) != ZERO:
            problems.append(f"journal {journal_id} ({key}) does not balance: sum {quantize(total)}")

    problems += negative_platform_shares()

    expected = wallet_figures_from_ledger()
    fields = ("balance", "pending_balance", "total_earned", "total_withdrawn")
    seen: set[int] = set()
    for wallet in Wallet.objects.only("user_id", *fields).iterator():
        seen.add(wallet.user_id)
        want = expected.get(wallet.user_id) or dict.fromkeys(fields, ZERO)
        for name in fields:
            if quantize(getattr(wallet, name)) != want[name]:
                problems.append(f"wallet of user {wallet.user_id}: {name} is {getattr(wallet, name)}, "
                                f"ledger says {want[name]}")
    for user_id, want in expected.items():
        if user_id not in seen and any(value != ZERO for value in want.values()):
            problems.append(f"user {user_id} has ledger balances but no wallet: {want}")
    return problems
