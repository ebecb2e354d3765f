"""Supplier rules (SPEC §5), checked on every order and on every parcel of a checkout.

- ``minimum_order_value``: the parcel's subtotal at *base* prices must reach it;
- ``delivery_areas``: when the list is not empty, the shipping state must be in it.

A refusal names the affected items and the rule, never the supplier: a customer does not learn who
supplies a store, not even from an error. The base subtotal is not shown either (it would reveal the
supplier's prices); the customer learns the minimum and which items it applies to.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.errors import ValidationFailed
from core.money import quantize
from core.nigeria import normalize_states


@dataclass(frozen=True)
class RuleItem:
    product_id: int
    variation_id: int | None
    name: str

    def as_dict(self) -> dict:
        return {"product_id": self.product_id, "variation_id": self.variation_id, "name": self.name}


def parcel_rule_violations(*, supplier, items: Sequence[RuleItem], base_subtotal: Decimal, state: str) -> list[dict]:
    """The rules one supplier's parcel breaks (empty when it may be placed)."""
    problems: list[dict] = []
    listed = [item.as_dict() for item in items]
    minimum = quantize(supplier.minimum_order_value or 0)
    if minimum > 0 and quantize(base_subtotal) < minimum:
        problems.append({"rule": "minimum_order_value", "minimum_order_value": str(minimum), "items": listed})
    areas, _unknown = normalize_states(supplier.delivery_areas or [])
    if (supplier.delivery_areas or []) and state not in areas:
        problems.append({"rule": "delivery_areas", "state": state, "delivery_areas": areas, "items": listed})
    return problems


def _names(items: list[dict]) -> str:
    return ", ".join(item["name"] for item in items)


def _message(problem: dict) -> str:
    if problem["rule"] == "minimum_order_value":
        return (f"{_names(problem['items'])}: these items have a minimum order value of "
                f"₦{problem['minimum_order_value']}; add more of them to your cart.")
    areas = ", ".join(problem["delivery_areas"]) or "no state"
    return f"{_names(problem['items'])}: these items cannot be delivered to {problem['state']} (only to {areas})."


def raise_rule_violations(problems: list[dict]) -> None:
    """One 400 for every rule broken anywhere in the cart; ``details.rules`` lists them all."""
    if problems:
        raise ValidationFailed(" ".join(_message(p) for p in problems), details={"rules": problems},
                               code="supplier_rule")
