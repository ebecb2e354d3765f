"""Order pricing (SPEC §5) in one pure function: no database, no settings, Decimal only.

    base       = product.base_price + variation.price_modifier
    unit_price = store selling_price + variation.price_modifier
    markup     = (unit_price − base) × qty
    commission = unit_price × qty × commission_rate / 100, rounded half-up to the kobo per line,
                 capped at the platform's take on the line: base × qty × platform_rate / 100 rounded
                 *down* to the kobo (platform_rate = the supplier's commission_rate)
    subtotal   = Σ base × qty
    total      = subtotal + Σ markup + shipping_fee      (= Σ unit_price × qty + shipping_fee)

The commission is what the platform pays the entrepreneur out of its own share; it is not added
to what the customer pays. The cap keeps that share ≥ 0 however high the markup: the ledger's
platform share of an order is shipping + percent_of(subtotal, platform_rate) − Σ commission, and
rounding each line's cap down makes Σ cap ≤ subtotal × rate / 100 ≤ percent_of(subtotal, rate).

Who gets what of a paid order (the ledger posts these, dashboards report them):

    entrepreneur share = markup + commission
    supplier share     = subtotal − subtotal × supplier.commission_rate / 100   (half-up)
    platform share     = total − the two
"""
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from core.money import HUNDRED, KOBO, ZERO, percent_of, quantize, to_decimal


@dataclass(frozen=True)
class LineInput:
    product_base_price: Decimal
    selling_price: Decimal
    quantity: int
    price_modifier: Decimal = ZERO


@dataclass(frozen=True)
class PricedLine:
    quantity: int
    base_price: Decimal        # per unit
    unit_price: Decimal        # per unit, what the customer pays
    markup_amount: Decimal     # whole line
    commission_amount: Decimal  # whole line
    subtotal: Decimal          # base_price × quantity
    total_price: Decimal       # unit_price × quantity


@dataclass(frozen=True)
class OrderPricing:
    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    markup_amount: Decimal
    commission_amount: Decimal
    shipping_fee: Decimal
    total_amount: Decimal


def unit_prices(*, product_base_price, selling_price, price_modifier=ZERO) -> tuple[Decimal, Decimal]:
    """``(base, unit_price)`` for one unit, both to the kobo."""
    modifier = to_decimal(price_modifier or ZERO)
    return quantize(to_decimal(product_base_price) + modifier), quantize(to_decimal(selling_price) + modifier)


def commission_cap(*, base_total, platform_rate) -> Decimal:
    """The platform's take on a line, rounded down to the kobo: the most its commission may be."""
    return (to_decimal(base_total) * to_decimal(platform_rate) / HUNDRED).quantize(KOBO, rounding=ROUND_DOWN)


def price_line(line: LineInput, *, commission_rate, platform_rate) -> PricedLine:
    if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) or line.quantity < 1:
        raise ValueError(f"quantity must be a positive integer, not {line.quantity!r}")
    base, unit = unit_prices(product_base_price=line.product_base_price, selling_price=line.selling_price,
                             price_modifier=line.price_modifier)
    if base <= ZERO or unit <= ZERO:
        raise ValueError("prices must be positive")
    if unit < base:
        raise ValueError("the selling price is below the supplier's base price")
    qty = Decimal(line.quantity)
    total = quantize(unit * qty)
    subtotal = quantize(base * qty)
    commission = min(percent_of(total, commission_rate), commission_cap(base_total=subtotal, platform_rate=platform_rate))
    return PricedLine(
        quantity=line.quantity,
        base_price=base,
        unit_price=unit,
        markup_amount=quantize((unit - base) * qty),
        commission_amount=commission,
        subtotal=subtotal,
        total_price=total,
    )


def price_order_lines(lines: Iterable[LineInput], *, commission_rate, platform_rate, shipping_fee) -> OrderPricing:
    """``commission_rate``: the entrepreneur's; ``platform_rate``: the supplier's (the platform's take)."""
    priced = tuple(price_line(line, commission_rate=commission_rate, platform_rate=platform_rate) for line in lines)
    if not priced:
        raise ValueError("an order needs at least one line")
    subtotal = sum((p.subtotal for p in priced), ZERO)
    markup = sum((p.markup_amount for p in priced), ZERO)
    commission = sum((p.commission_amount for p in priced), ZERO)
    shipping = quantize(shipping_fee)
    return OrderPricing(
        lines=priced,
        subtotal=subtotal,
        markup_amount=markup,
        commission_amount=commission,
        shipping_fee=shipping,
        total_amount=subtotal + markup + shipping,
    )


def entrepreneur_share(*, markup_amount, commission_amount) -> Decimal:
    """What the entrepreneur earns on a paid order."""
    return quantize(to_decimal(markup_amount) + to_decimal(commission_amount))


def supplier_share(*, subtotal, supplier_commission_rate) -> Decimal:
    """A supplier's revenue on a paid order: its base-price subtotal less the platform's commission."""
    return quantize(to_decimal(subtotal) - percent_of(subtotal, supplier_commission_rate))
