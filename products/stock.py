"""Every write to a stock quantity: reserve, release, set, adjust (after Saleor's ``warehouse/management.py``).

Nothing else writes ``Product.stock_quantity`` or ``ProductVariation.stock_quantity`` once a row
exists (a new product or variation starts with the quantity it is inserted with; the database's
``stock >= 0`` constraints hold from then on).

* ``stock_reserve`` / ``stock_release`` move units for orders with conditional ``UPDATE``s:
  ``SET stock = stock − q WHERE id = … AND stock >= q``. The database re-checks the condition on
  the newest row version after a concurrent writer commits, so stock never goes negative and is
  never sold twice, and no row is read first.
* ``stock_set`` (an absolute count: supplier inventory updates, product edits, admin) and
  ``stock_adjust`` (a relative correction: admin) lock the row, write it and record an
  ``InventoryAdjustment`` with the quantity they replaced.

Lock order, shared with every other writer so concurrent transactions never deadlock:
products by pk, then variations by pk (orders take their order row first, then these).
Every function here bumps the cached catalog and storefronts (they show stock): reserve and release
after commit, set and adjust through the rows' ``post_save`` signal, as every other product write.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.errors import InsufficientStock, NotFound, ValidationFailed
from core.prepared import PreparedUpdate
from products.caching import invalidate_products_on_commit

from .models import InventoryAdjustment, Product, ProductVariation


@dataclass(frozen=True)
class StockLine:
    """``quantity`` units of a product, or of one of its variations when ``variation_id`` is set."""

    product_id: int
    variation_id: int | None
    quantity: int
    label: str = ""  # how an error names the line ("Shirt — Size M")

    @property
    def ref(self) -> dict:
        return {"product_id": self.product_id, "variation_id": self.variation_id}


def _target(line: StockLine) -> tuple[type[Product] | type[ProductVariation], int]:
    return (ProductVariation, line.variation_id) if line.variation_id else (Product, line.product_id)


def _lock_rank(line: StockLine) -> tuple[int, int]:
    # Products before variations, each by pk: the global lock order.
    return (1, line.variation_id) if line.variation_id else (0, line.product_id)


def _in_lock_order(lines: Iterable[StockLine]) -> list[StockLine]:
    return sorted(lines, key=_lock_rank)


def stock_reserve(lines: Iterable[StockLine]) -> None:
    """Take the units of every line, or none of them: ``InsufficientStock`` (409) names the first short line.

    Call it inside the transaction that creates the order. It opens no savepoint (two queries fewer per
    order, the hot path): the lines are taken with conditional decrements, and when one is short the
    lines already taken are given back in the same transaction (their rows are locked by then) before the
    error is raised, so a caller that goes on after the refusal finds every quantity as it was.
    """
    lines = _in_lock_order(lines)
    now = timezone.now()
    short = None
    with transaction.atomic(savepoint=False):
        invalidate_products_on_commit({line.product_id for line in lines})
        taken: list[StockLine] = []
        for line in lines:
            model, pk = _target(line)
            if _TAKE[model](pk=pk, take=line.quantity, at_least=line.quantity, now=now) == 1:
                taken.append(line)
                continue
            short = line
            available = model.objects.filter(pk=pk).values_list("stock_quantity", flat=True).first() or 0
            _give_back(taken, now)
            break
    if short is not None:
        name = short.label or f"product {short.product_id}"
        raise InsufficientStock(
            f"Not enough stock for {name}: {available} available, {short.quantity} requested.",
            details={**short.ref, "requested": short.quantity, "available": available},
        )


def _give_back(lines: Iterable[StockLine], now) -> None:
    for line in lines:
        model, pk = _target(line)
        _GIVE[model](pk=pk, give=line.quantity, now=now)


# The conditional decrement and the increment of a product's or a variation's stock, compiled once per database
# connection (core.prepared): ``SET stock = stock − take WHERE id = pk AND stock >= at_least`` (take = at_least).
def _taking(model):
    return PreparedUpdate(lambda pk, take, at_least, now: (
        model.objects.filter(pk=pk, stock_quantity__gte=at_least),
        {"stock_quantity": F("stock_quantity") - take, "updated_at": now},
    ), pk=int, take=int, at_least=int, now=datetime)


def _giving(model):
    return PreparedUpdate(lambda pk, give, now: (
        model.objects.filter(pk=pk), {"stock_quantity": F("stock_quantity") + give, "updated_at": now},
    ), pk=int, give=int, now=datetime)


_TAKE = {model: _taking(model) for model in (Product, ProductVariation)}
_GIVE = {model: _giving(model) for model in (Product, ProductVariation)}


def stock_release(lines: Iterable[StockLine]) -> None:
    """Put units back on the shelf (a cancelled or returned order). The caller guarantees it happens once."""
    lines = _in_lock_order(lines)
    with transaction.atomic(savepoint=False):
        invalidate_products_on_commit({line.product_id for line in lines})
        _give_back(lines, timezone.now())


def _locked(product_id: int, variation_id: int | None) -> Product | ProductVariation:
    """Lock the product row, then the variation's (the global order); the variation must be the product's."""
    try:
        product = Product.objects.select_for_update().get(pk=product_id)
    except (Product.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound("Product not found.") from exc
    if variation_id is None:
        return product
    try:
        return ProductVariation.objects.select_for_update().get(pk=variation_id, product_id=product_id)
    except ProductVariation.DoesNotExist as exc:
        raise ValidationFailed("variation_id: Not a variation of this product.",
                               details={"variation_id": ["Not a variation of this product."]}) from exc


def _write(target: Product | ProductVariation, new_quantity: int, *, reason: str, actor) -> InventoryAdjustment:
    previous = target.stock_quantity
    target.stock_quantity = new_quantity
    target.save(update_fields=["stock_quantity", "updated_at"])  # its post_save signal bumps the cache
    is_variation = isinstance(target, ProductVariation)
    product_id = target.product_id if is_variation else target.pk
    return InventoryAdjustment.objects.create(
        product_id=product_id, variation=target if is_variation else None, previous_quantity=previous,
        new_quantity=new_quantity, reason=(reason or "")[:200], created_by=actor,
    )


def check_stock_quantity(value, *, field: str = "stock_quantity") -> int:
    """An absolute stock quantity: a whole number ≥ 0 (``True`` and ``1.5`` are not)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationFailed(f"{field}: Must be a whole number ≥ 0.", details={field: ["Must be a whole number ≥ 0."]})
    return value


@transaction.atomic
def stock_set(*, product_id: int, variation_id: int | None = None, quantity: int, reason: str = "",
              actor=None) -> InventoryAdjustment:
    """Set the absolute stock of a product (or one of its variations) under its row lock, and record it
    (setting the same quantity again is recorded too: it is a stock count).

    The lock serialises this with reservations, so a reservation is never lost between reading and
    writing the quantity.
    """
    quantity = check_stock_quantity(quantity)
    target = _locked(product_id, variation_id)
    return _write(target, quantity, reason=reason, actor=actor)


@transaction.atomic
def stock_adjust(*, product_id: int, variation_id: int | None = None, delta: int, reason: str = "",
                 actor=None) -> InventoryAdjustment:
    """Add (or, negative, remove) units under the row lock, and record it: a delivery counted in, breakage.

    Relative, so it composes with reservations made at the same time; removing more than is on the
    shelf is ``InsufficientStock``.
    """
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
        raise ValidationFailed("delta: Must be a whole number other than 0.",
                               details={"delta": ["Must be a whole number other than 0."]})
    target = _locked(product_id, variation_id)
    new_quantity = target.stock_quantity + delta
    if new_quantity < 0:
        raise InsufficientStock(
            f"Cannot remove {-delta}: only {target.stock_quantity} in stock.",
            details={"product_id": product_id, "variation_id": variation_id, "requested": -delta,
                     "available": target.stock_quantity},
        )
    return _write(target, new_quantity, reason=reason, actor=actor)
