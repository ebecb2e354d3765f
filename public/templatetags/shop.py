"""Template filters of the shopper's pages. Amounts are formatted here and nowhere else."""
from django import template

from core.money import quantize

register = template.Library()


@register.filter
def naira(amount) -> str:
    """``Decimal("16300")`` → ``₦16,300.00`` (half-up to the kobo, as ``core.money`` rounds)."""
    if amount is None or amount == "":
        return ""
    value = quantize(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}₦{abs(value):,.2f}"
