"""Wallets: cached figures of the ledger (``audit_ledger`` proves they agree).

Every change is an ``F()`` update on a row the caller has locked with ``wallet_lock``, in the same
transaction as the journal that justifies it. ``wallet_journal_post`` does both from the journal's lines
(``ledger.wallet_deltas``), so the cache cannot drift from what was posted.

Lock order: wallets are locked in the order their users first appear in a journal's lines — entrepreneur
lines first, then the supplier's; a checkout's payment posts its orders in pk (= supplier) order. A journal's
wallets are locked one by one in that order (``wallets_lock``) and moved by one UPDATE (``wallets_add``).
"""
import functools
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import Case, DecimalField, F, Value, When
from django.utils import timezone

from core.prepared import PreparedRead, PreparedUpdate
from users.models import User

from .. import ledger
from ..ledger import Line
from ..models import JournalEntry, LedgerAccount, Wallet

SUPPLIER_ACCOUNTS = frozenset({LedgerAccount.SUPPLIER_PAYABLE, LedgerAccount.SUPPLIER_AVAILABLE})


def wallet_kind_for(user_id: int) -> str:
    user_type = User.objects.filter(pk=user_id).values_list("user_type", flat=True).first()
    return Wallet.Kind.SUPPLIER if user_type == User.UserType.SUPPLIER else Wallet.Kind.ENTREPRENEUR


def wallet_lock(*, user_id: int) -> Wallet:
    """The user's wallet, created if missing (a supplier user's is a supplier wallet), row-locked for the rest
    of the transaction. A missing wallet costs one read of the user's type and one ``INSERT … ON CONFLICT DO
    NOTHING`` (a wallet a concurrent transaction is creating: the INSERT waits for it, then skips) before the lock."""
    found = _LOCK_WALLET(user_id=user_id)
    if not found:
        Wallet.objects.bulk_create([Wallet(user_id=user_id, kind=wallet_kind_for(user_id))], ignore_conflicts=True)
        found = _LOCK_WALLET(user_id=user_id)
    return found[0]


# A user has one wallet (unique user_id): compiled once per connection (core.prepared).
_LOCK_WALLET = PreparedRead(lambda user_id: Wallet.objects.select_for_update().filter(user_id=user_id), user_id=int)


def wallets_lock(user_ids: Iterable[int]) -> dict[int, Wallet]:
    """``{user_id: wallet}`` for each user, each created if missing and row-locked one after the other in the order
    of ``user_ids`` (the lock order above). Not one ``SELECT … IN (…) FOR UPDATE``: with a wallet missing, that
    statement would lock the later wallets before the missing one is created, and a concurrent transaction
    creating the same wallet while holding one of those later wallets would deadlock with it."""
    return {user_id: wallet_lock(user_id=user_id) for user_id in dict.fromkeys(user_ids)}


def wallet_add(wallet: Wallet, **deltas: Decimal) -> None:
    """Add each delta to its field (``balance=-amount`` …) without a read-modify-write."""
    wallets_add({wallet.pk: deltas})


_MONEY = DecimalField(max_digits=14, decimal_places=2)


def wallets_add(deltas_by_wallet: dict[int, dict[str, Decimal]]) -> None:
    """``wallet_add`` for several locked wallets (``{wallet pk: {field: delta}}``) in one UPDATE: each field moves
    by its wallet's delta (``F(field) + CASE pk WHEN … END``), a wallet without a delta for a field by zero.
    Compiled once per connection and shape — which wallets move which fields (``core.prepared``): Django's compile
    of the CASE was 0.8 ms of a payment's two-wallet move."""
    deltas_by_wallet = {pk: changes for pk, changes in deltas_by_wallet.items() if changes}
    if not deltas_by_wallet:
        return
    structure = tuple(tuple(sorted(changes)) for changes in deltas_by_wallet.values())
    _adding(structure)(now=timezone.now(), **_move_arguments(deltas_by_wallet))


def _move_arguments(deltas_by_wallet: dict[int, dict[str, Decimal]]) -> dict[str, int | Decimal]:
    """The arguments of ``_adding``'s UPDATE for these moves (wallets numbered 0…n−1 in their order): ``w{i}``, the
    i-th wallet's pk (the filter), and per field it moves ``d{i}_{field}`` (its delta) and, with more than one
    wallet, ``w{i}_{field}`` (the same pk, in the field's CASE)."""
    several = len(deltas_by_wallet) > 1
    args: dict[str, int | Decimal] = {}
    for i, (pk, changes) in enumerate(deltas_by_wallet.items()):
        args[f"w{i}"] = pk
        for name, delta in changes.items():
            args[f"d{i}_{name}"] = delta
            if several:
                args[f"w{i}_{name}"] = pk
    return args


@functools.lru_cache(maxsize=64)
def _adding(structure: tuple[tuple[str, ...], ...]) -> PreparedUpdate:
    """The UPDATE of ``wallets_add`` for wallets 0…n−1 moving ``structure[i]``'s fields; its arguments are ``now``
    and ``_move_arguments``'."""
    fields = list(dict.fromkeys(name for moved in structure for name in moved))

    def build(now, **args):
        if len(structure) == 1:
            updates = {name: F(name) + args[f"d0_{name}"] for name in fields}
        else:
            updates = {name: F(name) + Case(*(When(pk=args[f"w{i}_{name}"],
                                                   then=Value(args[f"d{i}_{name}"], output_field=_MONEY))
                                              for i, moved in enumerate(structure) if name in moved),
                                            default=Value(Decimal("0.00"), output_field=_MONEY), output_field=_MONEY)
                       for name in fields}
        wallets = [args[f"w{i}"] for i in range(len(structure))]
        queryset = Wallet.objects.filter(pk=wallets[0]) if len(wallets) == 1 else Wallet.objects.filter(pk__in=wallets)
        return queryset, {"updated_at": now, **updates}

    # The arguments of a move of this shape (any pks and deltas): pks are ints, deltas amounts.
    sample = _move_arguments({i: dict.fromkeys(moved, Decimal(0)) for i, moved in enumerate(structure)})
    kinds = {name: Decimal if isinstance(value, Decimal) else int for name, value in sample.items()}
    return PreparedUpdate(build, now=datetime, **kinds)


def wallet_journal_post(*, entry_type: str, idempotency_key: str, lines: list[Line], description: str = "",
                        order=None, withdrawal=None, txn=None) -> JournalEntry | None:
    """Post one balanced journal (``ledger.ledger_post``) and move the cached figures of every wallet its lines
    touch by exactly what they post. Returns None, changing nothing, when the key was already posted.
    Runs inside the caller's transaction (which holds the row lock of what is being moved)."""
    deltas = ledger.wallet_deltas(entry_type, lines)
    wallets = wallets_lock(line.user_id for line in lines if line.user_id is not None)
    journal = ledger.ledger_post(entry_type=entry_type, idempotency_key=idempotency_key, lines=lines,
                                 description=description, order=order, withdrawal=withdrawal, txn=txn)
    if journal is not None:
        wallets_add({wallets[user_id].pk: changes for user_id, changes in deltas.items()})
    return journal


def supplier_wallet_post(*, supplier_user_id: int, entry_type: str, idempotency_key: str, lines: list[Line],
                         description: str = "", order=None, txn=None) -> JournalEntry | None:
    """The one entry point for money movements in a supplier's wallet outside the paid-order flow (e.g. pay on
    delivery, SPEC §10: the cash the supplier holds, and what it owes out of it).

    ``lines`` is one balanced journal (``payments.ledger.Line``); the supplier's lines go on
    ``LedgerAccount.SUPPLIER_PAYABLE`` (its pending share) or ``SUPPLIER_AVAILABLE`` (its balance, which may go
    negative — its withdrawals then wait until it is positive), with ``user_id=supplier_user_id``; the same
    journal may move the order's entrepreneur (``ENTREPRENEUR_PENDING``) and platform accounts. The supplier's
    wallet (kind ``supplier``) is created if missing and every touched wallet's cached figures move with the
    lines, so ``audit_ledger`` stays clean. ``idempotency_key`` makes a retry a no-op (returns None).
    Call it inside ``transaction.atomic()`` holding the order's row lock."""
    if not any(line.user_id == supplier_user_id and line.account in SUPPLIER_ACCOUNTS for line in lines):
        raise ValueError("supplier_wallet_post: no line moves the supplier's wallet")
    if any(line.account in SUPPLIER_ACCOUNTS and line.user_id != supplier_user_id for line in lines):
        raise ValueError("supplier_wallet_post: supplier lines must belong to supplier_user_id")
    kind = (Wallet.objects.filter(user_id=supplier_user_id).values_list("kind", flat=True).first()
            or wallet_kind_for(supplier_user_id))  # checked before any lock: the lock order stays the lines' order
    if kind != Wallet.Kind.SUPPLIER:
        raise ValueError(f"supplier_wallet_post: user {supplier_user_id} has a {kind} wallet, not a supplier's")
    return wallet_journal_post(entry_type=entry_type, idempotency_key=idempotency_key, lines=lines,
                               description=description, order=order, txn=txn)
