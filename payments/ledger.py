"""The append-only double-entry ledger (SPEC §6.5).

Sign convention: every account is a balance the platform holds for someone. A positive line increases it,
a negative line decreases it, and every journal's lines sum to zero. ``gateway_clearing`` is the cash side:
money in from a gateway is negative there (it is owed onwards), money out (refunds, payouts) positive.

Accounts and the wallet figures they back (per user; ``WALLET_FIELD``, ``wallet_deltas``):
- entrepreneur_pending, supplier_payable      = Wallet.pending_balance (paid orders not yet past the return
                                                window; supplier_payable is the supplier's pending share)
- entrepreneur_available, supplier_available  = Wallet.balance (released, withdrawable; negative when a share
                                                released is taken back, SPEC §6.3, or a supplier owes COD cash, §10)
- payouts_in_flight      = withdrawals taken from the balance and not yet paid or returned
- Wallet.total_earned    = Σ available lines in release, supplier_release and reversal journals
- Wallet.total_withdrawn = −Σ payouts_in_flight lines in payout_completed and payout_reversed journals
                           (gross amounts; a reversal gives back what its completion counted)
An entrepreneur user's lines are on entrepreneur_* accounts, a supplier user's on supplier_* ones (the
wallet's ``kind``); platform revenue, gateway clearing and refunds due have no user.

Per paid order (the shares are defined once, in ``orders.pricing``): entrepreneur = markup + commission;
supplier = subtotal − subtotal × the supplier commission rate the order was priced with / 100 (half-up);
platform = total − the two (so the shipping fee is platform revenue, which also funds the entrepreneur's commission).
"""
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum

from core.models import insert_rows, insert_unless_exists
from core.money import ZERO, quantize
from orders.models import COD, Order
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
    """Who gets what of a paid order's total, at the supplier commission rate the order was priced with (not the
    supplier's rate of today). The three shares sum to ``total_amount`` exactly."""
    total = quantize(order.total_amount)
    entrepreneur = entrepreneur_share(markup_amount=order.markup_amount, commission_amount=order.commission_amount)
    supplier = supplier_share(subtotal=order.subtotal, supplier_commission_rate=order.platform_rate)
    return OrderSplit(entrepreneur=entrepreneur, supplier=supplier, platform=total - entrepreneur - supplier, total=total)


def booked_split(order) -> OrderSplit | None:
    """The shares the order's sale journal (paid online or cash on delivery) booked, ``None`` before its sale.
    Releasing or reversing a sold order moves these amounts — not ``order_split`` again: the supplier's share is
    priced from its commission rate, which an admin may change between the sale and the release (moving more or
    less than the sale booked would break a wallet's pending balance, or strand the difference in it)."""
    amounts = dict.fromkeys(SHARE_ACCOUNTS, ZERO)
    found = False
    for account, amount in LedgerEntry.objects.filter(journal__idempotency_key=payment_key(order),
                                                      account__in=SHARE_ACCOUNTS).values_list("account", "amount"):
        amounts[account] += amount
        found = True
    if not found and not journal_exists(payment_key(order)):
        return None
    entrepreneur = quantize(amounts[LedgerAccount.ENTREPRENEUR_PENDING])
    supplier = quantize(amounts[LedgerAccount.SUPPLIER_PAYABLE])
    platform = quantize(amounts[LedgerAccount.PLATFORM_REVENUE])
    return OrderSplit(entrepreneur=entrepreneur, supplier=supplier, platform=platform,
                      total=entrepreneur + supplier + platform)


def journal_exists(idempotency_key: str) -> bool:
    return JournalEntry.objects.filter(idempotency_key=idempotency_key).exists()


def ledger_post(*, entry_type: str, idempotency_key: str, lines: list[Line], description: str = "",
                order=None, withdrawal=None, txn=None) -> JournalEntry | None:
    """Post one balanced journal. Returns None (posting nothing) when the key was already posted.
    A journal whose lines are all zero is kept as a marker (e.g. a release of a zero share).

    The journal row is one ``INSERT … ON CONFLICT (idempotency_key) DO NOTHING`` (``core.models``): a key already
    posted inserts nothing and the lines are not written. Callers hold the row lock of the thing being moved
    (order, withdrawal) as well.
    """
    lines = [line for line in lines if quantize(line.amount) != ZERO]
    total = sum((quantize(line.amount) for line in lines), ZERO)
    if total != ZERO:
        raise UnbalancedEntry(f"Journal {idempotency_key} does not balance: {total}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_post must run inside transaction.atomic()")
    journal = JournalEntry(entry_type=entry_type, idempotency_key=idempotency_key, description=description[:255],
                           order=order, withdrawal=withdrawal, transaction=txn)
    if not insert_unless_exists(journal, unique_field="idempotency_key"):
        return None
    insert_rows([LedgerEntry(journal=journal, account=line.account, user_id=line.user_id, amount=quantize(line.amount))
                 for line in lines])
    return journal


# --- the journals the app posts (keys make each one happen at most once) ---

def payment_lines(order, split: OrderSplit) -> list[Line]:
    return [
        Line(LedgerAccount.GATEWAY_CLEARING, -split.total),
        Line(LedgerAccount.ENTREPRENEUR_PENDING, split.entrepreneur, order.entrepreneur.user_id),
        Line(LedgerAccount.SUPPLIER_PAYABLE, split.supplier, order.supplier.user_id),
        Line(LedgerAccount.PLATFORM_REVENUE, split.platform),
    ]


def supplier_release_key(order) -> str:
    return f"supplier_release:{order.order_id}"


def cod_collected_lines(order, split: OrderSplit) -> list[Line]:
    """Pay on delivery (SPEC §10), once the supplier records the cash: the sale's shares as for a paid order, but
    the money came in as cash the supplier holds (``supplier_cash``, not the gateway); the supplier keeps that
    cash, so it is netted against the supplier's available balance at once. The supplier's wallet therefore
    moves by −total (available) and +its share (pending, released on the usual clock): it owes what it holds
    beyond its share, and a negative balance waits for its next sales' shares (its withdrawals wait too).
    Entrepreneur lines come first: wallets are locked in line order (``wallets``)."""
    supplier = order.supplier.user_id
    return [
        Line(LedgerAccount.ENTREPRENEUR_PENDING, split.entrepreneur, order.entrepreneur.user_id),
        Line(LedgerAccount.SUPPLIER_CASH, -split.total, supplier),
        Line(LedgerAccount.SUPPLIER_PAYABLE, split.supplier, supplier),
        Line(LedgerAccount.PLATFORM_REVENUE, split.platform),
        Line(LedgerAccount.SUPPLIER_CASH, split.total, supplier),
        Line(LedgerAccount.SUPPLIER_AVAILABLE, -split.total, supplier),
    ]


def payment_key(order) -> str:
    return f"payment:{order.order_id}"


def release_key(order) -> str:
    return f"release:{order.order_id}"


def reversal_key(order) -> str:
    return f"reversal:{order.order_id}"


# --- wallets: which figure each line moves (the one mapping; the audit's sums use the same constants) ---

WALLET_FIELD = {
    LedgerAccount.ENTREPRENEUR_PENDING: "pending_balance",
    LedgerAccount.SUPPLIER_PAYABLE: "pending_balance",
    LedgerAccount.ENTREPRENEUR_AVAILABLE: "balance",
    LedgerAccount.SUPPLIER_AVAILABLE: "balance",
}
PENDING_ACCOUNTS = (LedgerAccount.ENTREPRENEUR_PENDING, LedgerAccount.SUPPLIER_PAYABLE)
AVAILABLE_ACCOUNTS = (LedgerAccount.ENTREPRENEUR_AVAILABLE, LedgerAccount.SUPPLIER_AVAILABLE)
WALLET_ACCOUNTS = (*PENDING_ACCOUNTS, *AVAILABLE_ACCOUNTS, LedgerAccount.PAYOUTS_IN_FLIGHT)
EARNED_ENTRY_TYPES = (EntryType.RELEASE, EntryType.SUPPLIER_RELEASE, EntryType.REVERSAL)
WITHDRAWN_ENTRY_TYPES = (EntryType.PAYOUT_COMPLETED, EntryType.PAYOUT_REVERSED)
WALLET_FIGURES = ("balance", "pending_balance", "total_earned", "total_withdrawn")

# Journals that sell an order: their share lines (entrepreneur pending, supplier payable, platform revenue)
# sum to the order's total (audit). Pay on delivery adds its cash-collected journal type here.
SALE_ENTRY_TYPES = (EntryType.PAYMENT, EntryType.COD_COLLECTED)
SHARE_ACCOUNTS = (LedgerAccount.ENTREPRENEUR_PENDING, LedgerAccount.SUPPLIER_PAYABLE, LedgerAccount.PLATFORM_REVENUE)


def supplier_revenue(*, user_id: int) -> Decimal:
    """A supplier's revenue (SPEC §6.8): its share of its sold orders as posted by their sale journals, less
    what cancel/return reversals took back — one aggregate over its ledger lines."""
    sold = Q(account=LedgerAccount.SUPPLIER_PAYABLE, journal__entry_type__in=SALE_ENTRY_TYPES)
    reversed_ = Q(account__in=(LedgerAccount.SUPPLIER_PAYABLE, LedgerAccount.SUPPLIER_AVAILABLE),
                  journal__entry_type=EntryType.REVERSAL)
    total = LedgerEntry.objects.filter(sold | reversed_, user_id=user_id).aggregate(total=Sum("amount"))["total"]
    return quantize(total or ZERO)


def available_account(kind: str) -> str:
    """The withdrawable account of a wallet of this kind."""
    return LedgerAccount.SUPPLIER_AVAILABLE if kind == Wallet.Kind.SUPPLIER else LedgerAccount.ENTREPRENEUR_AVAILABLE


def wallet_deltas(entry_type: str, lines: list[Line]) -> dict[int, dict[str, Decimal]]:
    """{user_id: {wallet field: change}} that posting ``lines`` in a journal of ``entry_type`` makes — the
    same rules ``wallet_figures_from_ledger`` sums, so a wallet updated with these stays equal to its ledger."""
    deltas: dict[int, dict[str, Decimal]] = {}
    for line in lines:
        amount = quantize(line.amount)
        if line.user_id is None or amount == ZERO:
            continue
        changes = deltas.setdefault(line.user_id, {})
        if line.account in WALLET_FIELD:
            field = WALLET_FIELD[line.account]
            changes[field] = changes.get(field, ZERO) + amount
        if line.account in AVAILABLE_ACCOUNTS and entry_type in EARNED_ENTRY_TYPES:
            changes["total_earned"] = changes.get("total_earned", ZERO) + amount
        if line.account == LedgerAccount.PAYOUTS_IN_FLIGHT and entry_type in WITHDRAWN_ENTRY_TYPES:
            changes["total_withdrawn"] = changes.get("total_withdrawn", ZERO) - amount
    return {user_id: {k: v for k, v in changes.items() if v != ZERO} for user_id, changes in deltas.items()}


# --- audit ---

def wallet_figures_from_ledger() -> dict[int, dict[str, Decimal]]:
    """{user_id: {balance, pending_balance, total_earned, total_withdrawn}} computed from the entries alone."""
    rows = (
        LedgerEntry.objects.filter(account__in=WALLET_ACCOUNTS, user__isnull=False)
        .values("user_id")
        .annotate(
            balance=Sum("amount", filter=Q(account__in=AVAILABLE_ACCOUNTS)),
            pending_balance=Sum("amount", filter=Q(account__in=PENDING_ACCOUNTS)),
            total_earned=Sum("amount", filter=Q(account__in=AVAILABLE_ACCOUNTS,
                                                journal__entry_type__in=EARNED_ENTRY_TYPES)),
            withdrawn=Sum("amount", filter=Q(account=LedgerAccount.PAYOUTS_IN_FLIGHT,
                                             journal__entry_type__in=WITHDRAWN_ENTRY_TYPES)),
        )
    )
    figures: dict[int, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(WALLET_FIGURES, ZERO))
    for row in rows:
        figures[row["user_id"]] = {
            "balance": quantize(row["balance"] or ZERO),
            "pending_balance": quantize(row["pending_balance"] or ZERO),
            "total_earned": quantize(row["total_earned"] or ZERO),
            "total_withdrawn": quantize(-(row["withdrawn"] or ZERO)),
        }
    return figures


def wallet_kind_mismatches() -> list[str]:
    """A wallet's lines must be on its own kind's accounts (an entrepreneur's never on supplier_*, …)."""
    foreign = {Wallet.Kind.ENTREPRENEUR: (LedgerAccount.SUPPLIER_PAYABLE, LedgerAccount.SUPPLIER_AVAILABLE),
               Wallet.Kind.SUPPLIER: (LedgerAccount.ENTREPRENEUR_PENDING, LedgerAccount.ENTREPRENEUR_AVAILABLE)}
    problems = []
    for kind, accounts in foreign.items():
        rows = (LedgerEntry.objects.filter(account__in=accounts, user__wallet__kind=kind)
                .values_list("user_id", "account").distinct().order_by("user_id", "account"))
        problems += [f"{kind} wallet of user {user_id} has lines on {account}" for user_id, account in rows]
    return problems


def share_mismatches() -> tuple[list[str], dict[str, Decimal]]:
    """Per sold order, entrepreneur + supplier + platform shares of its sale journal = the order's total; with the
    grand totals (SPEC §6.5: Σ shares = Σ paid order totals) over the orders checked. A journal that does not
    balance is reported by ``ledger_audit`` already and left out here."""
    rows = list(
        LedgerEntry.objects.filter(journal__entry_type__in=SALE_ENTRY_TYPES, journal__order__isnull=False)
        .values("journal_id", "journal__order__order_id", "journal__order__total_amount")
        .annotate(shares=Sum("amount", filter=Q(account__in=SHARE_ACCOUNTS)), balance=Sum("amount"))
        .order_by("journal__order__order_id", "journal_id")
    )
    problems, shares, totals, orders = [], ZERO, ZERO, 0
    for row in rows:
        if quantize(row["balance"]) != ZERO:
            continue
        share, total = quantize(row["shares"] or ZERO), quantize(row["journal__order__total_amount"])
        shares, totals, orders = shares + share, totals + total, orders + 1
        if share != total:
            problems.append(f"order {row['journal__order__order_id']}: shares sum to {share}, its total is {total}")
    return problems, {"orders": Decimal(orders), "shares": shares, "totals": totals}


def negative_platform_shares() -> list[str]:
    """Orders whose payment journal gives the platform less than nothing (SPEC §5: the commission cap)."""
    rows = (
        LedgerEntry.objects.filter(journal__entry_type__in=SALE_ENTRY_TYPES, journal__order__isnull=False)
        .values("journal__order__order_id")
        .annotate(platform=Sum("amount", filter=Q(account=LedgerAccount.PLATFORM_REVENUE)))
        .filter(platform__lt=0)
        .order_by("journal__order__order_id")
    )
    return [f"order {row['journal__order__order_id']}: platform share {quantize(row['platform'])} is negative"
            for row in rows]


def cod_cash_mismatches() -> list[str]:
    """Pay on delivery: every COD order whose cash was recorded has one cod_collected journal taking in exactly that
    cash (``supplier_cash`` −cash_collected) and netting it (the account sums to zero), and no other order has one."""
    rows = (
        LedgerEntry.objects.filter(journal__entry_type=EntryType.COD_COLLECTED, account=LedgerAccount.SUPPLIER_CASH)
        .values("journal__order_id", "journal__order__order_id", "journal__order__cash_collected")
        .annotate(net=Sum("amount"), cash_in=Sum("amount", filter=Q(amount__lt=0)))
        .order_by("journal__order_id")
    )
    problems, booked = [], set()
    for row in rows:
        booked.add(row["journal__order_id"])
        cash = row["journal__order__cash_collected"]
        if quantize(row["net"] or ZERO) != ZERO:
            problems.append(f"order {row['journal__order__order_id']}: cash held by the supplier not netted "
                            f"({quantize(row['net'])})")
        if cash is None or quantize(-(row["cash_in"] or ZERO)) != quantize(cash):
            problems.append(f"order {row['journal__order__order_id']}: cash booked {quantize(-(row['cash_in'] or ZERO))}, "
                            f"cash collected {cash}")
    unbooked = (Order.objects.filter(payment_method=COD, cash_collected__isnull=False).exclude(pk__in=booked)
                .values_list("order_id", flat=True))
    problems += [f"order {order_id}: cash collected on delivery but not in the ledger" for order_id in unbooked]
    return problems


def ledger_audit() -> list[str]:
    """Every problem found: unbalanced journals, a negative platform share, sold orders whose shares do not
    sum to their total, wallet lines on another kind's accounts, and wallets (entrepreneurs' and suppliers')
    that differ from their entries."""
    problems: list[str] = []
    journals = JournalEntry.objects.annotate(total=Sum("lines__amount")).values_list("id", "idempotency_key", "total")
    for journal_id, key, total in journals.iterator():
        if total is not None and quantize(total) != ZERO:
            problems.append(f"journal {journal_id} ({key}) does not balance: sum {quantize(total)}")

    problems += negative_platform_shares()
    problems += cod_cash_mismatches()

    problems += share_mismatches()[0]
    problems += wallet_kind_mismatches()

    expected = wallet_figures_from_ledger()
    seen: set[int] = set()
    for wallet in Wallet.objects.only("user_id", "kind", *WALLET_FIGURES).iterator():
        seen.add(wallet.user_id)
        want = expected.get(wallet.user_id) or dict.fromkeys(WALLET_FIGURES, ZERO)
        for name in WALLET_FIGURES:
            if quantize(getattr(wallet, name)) != want[name]:
                problems.append(f"wallet of user {wallet.user_id}: {name} is {getattr(wallet, name)}, "
                                f"ledger says {want[name]}")
    for user_id, want in expected.items():
        if user_id not in seen and any(value != ZERO for value in want.values()):
            problems.append(f"user {user_id} has ledger balances but no wallet: {want}")
    return problems
