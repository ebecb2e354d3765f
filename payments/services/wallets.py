"""Wallets: cached figures of the ledger (``audit_ledger`` proves they agree).

Every change is an ``F()`` update on a row the caller has locked with ``wallet_lock``, in the same
transaction as the journal that justifies it.
"""
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from ..models import Wallet


def wallet_lock(*, user_id: int) -> Wallet:
    """The user's wallet, created if missing, row-locked for the rest of the transaction."""
    Wallet.objects.get_or_create(user_id=user_id)
    return Wallet.objects.select_for_update().get(user_id=user_id)


def wallet_add(wallet: Wallet, **deltas: Decimal) -> None:
    """Add each delta to its field (``balance=-amount`` …) without a read-modify-write."""
    Wallet.objects.filter(pk=wallet.pk).update(updated_at=timezone.now(),
                                               **{name: F(name) + delta for name, delta in deltas.items()})
