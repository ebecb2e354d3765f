"""The money math of SPEC §5, pinned to exact Decimals (no database)."""
from decimal import Decimal as D

import pytest

from core.money import percent_of
from orders.pricing import LineInput, commission_cap, price_line, price_order_lines, unit_prices


def test_simple_line_and_totals():
    pricing = price_order_lines([LineInput(D("1000.00"), D("1200.00"), 2)], commission_rate=D("5.00"), platform_rate=D("50"),
                                shipping_fee=D("500"))
    line = pricing.lines[0]
    assert (line.base_price, line.unit_price) == (D("1000.00"), D("1200.00"))
    assert line.markup_amount == D("400.00")
    assert line.commission_amount == D("120.00")  # 2400 × 5%
    assert line.subtotal == D("2000.00")
    assert line.total_price == D("2400.00")
    assert pricing.subtotal == D("2000.00")
    assert pricing.markup_amount == D("400.00")
    assert pricing.commission_amount == D("120.00")
    assert pricing.shipping_fee == D("500.00")
    assert pricing.total_amount == D("2900.00")  # subtotal + markup + shipping; commission not added


def test_variation_modifier_moves_base_and_unit_price_alike():
    line = price_line(LineInput(D("1000.00"), D("1200.00"), 2, price_modifier=D("150.00")),
                      commission_rate=D("5"), platform_rate=D("50"))
    assert line.base_price == D("1150.00")
    assert line.unit_price == D("1350.00")
    assert line.markup_amount == D("400.00")  # the modifier does not change the markup
    assert line.commission_amount == D("135.00")  # 2700 × 5%
    assert line.subtotal == D("2300.00")


def test_negative_variation_modifier():
    line = price_line(LineInput(D("1000.00"), D("1100.00"), 1, price_modifier=D("-250.50")),
                      commission_rate=D("5"), platform_rate=D("50"))
    assert (line.base_price, line.unit_price) == (D("749.50"), D("849.50"))
    assert line.markup_amount == D("100.00")
    assert line.commission_amount == D("42.48")  # 42.475 → half-up


def test_three_times_333_33_at_7_5_percent():
    pricing = price_order_lines([LineInput(D("300.00"), D("333.33"), 3)], commission_rate=D("7.5"), platform_rate=D("50"),
                                shipping_fee=D("500"))
    line = pricing.lines[0]
    assert line.total_price == D("999.99")
    assert line.markup_amount == D("99.99")
    assert line.commission_amount == D("75.00")  # 74.99925 → 75.00
    assert pricing.subtotal == D("900.00")
    assert pricing.total_amount == D("1499.99")


@pytest.mark.parametrize(
    ("unit", "rate", "expected"),
    [
        (D("100.10"), D("5"), D("5.01")),   # 5.005 → 5.01 (banker's rounding would give 5.00)
        (D("2.50"), D("5"), D("0.13")),     # 0.125 → 0.13 (banker's: 0.12)
        (D("2.30"), D("5"), D("0.12")),     # 0.115 → 0.12
        (D("100.09"), D("5"), D("5.00")),   # 5.0045 → 5.00
    ],
)
def test_commission_rounds_half_up_at_half_a_kobo(unit, rate, expected):
    line = price_line(LineInput(unit, unit, 1), commission_rate=rate, platform_rate=D("50"))
    assert line.commission_amount == expected


def test_commission_is_rounded_per_line_not_on_the_sum():
    lines = [LineInput(D("2.00"), D("2.50"), 1), LineInput(D("2.00"), D("2.50"), 1, price_modifier=D("0.00"))]
    pricing = price_order_lines(lines, commission_rate=D("5"), platform_rate=D("50"), shipping_fee=D("0"))
    assert [p.commission_amount for p in pricing.lines] == [D("0.13"), D("0.13")]
    assert pricing.commission_amount == D("0.26")  # rounding the sum (0.25) would differ


def test_zero_markup_and_zero_commission_rate():
    pricing = price_order_lines([LineInput(D("1000.00"), D("1000.00"), 1)], commission_rate=D("0"), platform_rate=D("50"),
                                shipping_fee=D("500"))
    assert pricing.markup_amount == D("0.00")
    assert pricing.commission_amount == D("0.00")
    assert pricing.total_amount == D("1500.00")


def test_multi_line_totals():
    pricing = price_order_lines(
        [LineInput(D("1000.00"), D("1200.00"), 1), LineInput(D("450.00"), D("500.00"), 3, price_modifier=D("25.00"))],
        commission_rate=D("5"), platform_rate=D("50"), shipping_fee=D("500"),
    )
    assert pricing.subtotal == D("2425.00")  # 1000 + 3 × 475
    assert pricing.markup_amount == D("350.00")  # 200 + 3 × 50
    assert pricing.commission_amount == D("138.75")  # 60 + 78.75
    assert pricing.total_amount == D("3275.00")  # = 1200 + 3 × 525 + 500


def test_unit_prices_helper():
    assert unit_prices(product_base_price=D("10"), selling_price=D("12.5"), price_modifier=D("1.25")) == (
        D("11.25"), D("13.75"))


@pytest.mark.parametrize("quantity", [0, -1, True, 1.5])
def test_bad_quantity_refused(quantity):
    with pytest.raises(ValueError):
        price_line(LineInput(D("1"), D("1"), quantity),
                      commission_rate=D("5"), platform_rate=D("50"))


def test_selling_below_base_refused():
    with pytest.raises(ValueError):
        price_line(LineInput(D("100"), D("99.99"), 1),
                      commission_rate=D("5"), platform_rate=D("50"))


def test_empty_order_refused():
    with pytest.raises(ValueError):
        price_order_lines([], commission_rate=D("5"), platform_rate=D("50"), shipping_fee=D("500"))


def test_float_money_refused():
    with pytest.raises(TypeError):
        price_line(LineInput(100.0, D("120"), 1),
                      commission_rate=D("5"), platform_rate=D("50"))


# --- commission cap (SPEC §5): never more than the platform's take on the line ----------------------

def test_commission_is_capped_at_the_platforms_take_on_the_line():
    # ₦10,000 sold at 10× (₦100,000): 5% commission would be ₦5,000, the platform takes 10% of base = ₦1,000.
    line = price_line(LineInput(D("10000.00"), D("100000.00"), 1), commission_rate=D("5"), platform_rate=D("10"))
    assert line.commission_amount == D("1000.00")
    assert line.markup_amount == D("90000.00")


def test_commission_below_the_cap_is_untouched():
    line = price_line(LineInput(D("10000.00"), D("12000.00"), 2), commission_rate=D("5"), platform_rate=D("10"))
    assert line.commission_amount == D("1200.00")  # 24,000 × 5%; cap 2,000


def test_cap_rounds_down_to_the_kobo():
    # base 333.33 × 1 × 7.5% = 24.99975 → cap 24.99 (half-up would give 25.00 and could cost the platform a kobo)
    assert commission_cap(base_total=D("333.33"), platform_rate=D("7.5")) == D("24.99")
    line = price_line(LineInput(D("333.33"), D("3333.30"), 1), commission_rate=D("50"), platform_rate=D("7.5"))
    assert line.commission_amount == D("24.99")


def test_zero_platform_rate_means_zero_commission():
    line = price_line(LineInput(D("1000.00"), D("1500.00"), 3), commission_rate=D("5"), platform_rate=D("0"))
    assert line.commission_amount == D("0.00")
    assert line.markup_amount == D("1500.00")


@pytest.mark.parametrize("platform_rate", ["0", "0.01", "7.5", "10", "33.33", "50"])
@pytest.mark.parametrize("bases", [["333.33"], ["0.01", "0.01", "0.01"], ["999.99", "1.03", "57.77"]])
def test_platform_share_never_negative_even_without_shipping(platform_rate, bases):
    lines = [LineInput(D(b), D(b) * 10, q) for q, b in enumerate(bases, start=1)]
    pricing = price_order_lines(lines, commission_rate=D("100"), platform_rate=D(platform_rate), shipping_fee=D("0"))
    # the ledger's split (payments.ledger.order_split): supplier = subtotal − percent_of(subtotal, rate)
    supplier = pricing.subtotal - percent_of(pricing.subtotal, D(platform_rate))
    platform = pricing.total_amount - (pricing.markup_amount + pricing.commission_amount) - supplier
    assert platform >= D("0.00")
