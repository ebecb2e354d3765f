"""The one place for money arithmetic: Decimal only, half-up to the kobo, kobo integers at gateways."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import ValidationFailed

CURRENCY = "NGN"  # the one currency Payjaro sells, pays and books in
KOBO = Decimal("0.01")
# The largest amount a money column (max_digits=14, decimal_places=2) holds.
MAX_STORABLE = Decimal("999999999999.99")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def to_decimal(value) -> Decimal:
    """A Decimal from a str/int/Decimal. Floats are refused: they cannot hold naira exactly."""
    if isinstance(value, float):
        raise TypeError("Money must never be a float; pass a str, int or Decimal.")
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"Not a money amount: {value!r}") from exc


def quantize(amount) -> Decimal:
    """Round to the kobo, half up (₦0.005 → ₦0.01)."""
    return to_decimal(amount).quantize(KOBO, rounding=ROUND_HALF_UP)


def percent_of(amount, rate) -> Decimal:
    """``amount × rate / 100`` rounded half-up to the kobo."""
    return quantize(to_decimal(amount) * to_decimal(rate) / HUNDRED)


def to_kobo(amount) -> int:
    """Naira → integer kobo, for gateways (Paystack). Exact: refuses sub-kobo amounts."""
    value = to_decimal(amount)
    kobo = value * 100
    if kobo != kobo.to_integral_value():
        raise ValueError(f"{value} has more precision than a kobo")
    return int(kobo)


def from_kobo(kobo: int) -> Decimal:
    """Integer kobo → naira Decimal with two places."""
    if isinstance(kobo, bool) or not isinstance(kobo, int):
        kobo = int(to_decimal(kobo))
    return (Decimal(kobo) / 100).quantize(KOBO)


def money_str(amount) -> str:
    return str(quantize(amount))


def check_storable(**amounts) -> None:
    """Refuse (400) amounts a money column cannot hold, before anything is saved: a high price × 10,000 units
    would otherwise fail at INSERT (PostgreSQL "numeric field overflow", a 500)."""
    too_large = {name: [f"{name} would exceed the largest amount we can record (₦{MAX_STORABLE:,})."]
                 for name, amount in amounts.items() if abs(to_decimal(amount)) > MAX_STORABLE}
    if too_large:
        raise ValidationFailed("The order total is too large; order fewer units.", details=too_large,
                               code="amount_too_large")
