"""core.money: Decimal only, half-up to the kobo, exact kobo integers at the gateway boundary."""
from decimal import Decimal

import pytest

from core.money import KOBO, ZERO, from_kobo, money_str, percent_of, quantize, to_decimal, to_kobo


@pytest.mark.parametrize(
    "amount,expected",
    [
        ("0.005", "0.01"),      # half-up, not banker's rounding
        ("0.015", "0.02"),
        ("0.025", "0.03"),      # banker's would give 0.02
        ("2.675", "2.68"),      # the classic float trap: 2.675 is 2.67499… as a float
        ("0.0049", "0.00"),
        ("1.004999", "1.00"),
        ("-0.005", "-0.01"),    # half away from zero
        ("1000", "1000.00"),
        (1500, "1500.00"),
        (Decimal("99.995"), "100.00"),
    ],
)
def test_quantize_half_up_to_kobo(amount, expected):
    result = quantize(amount)
    assert isinstance(result, Decimal)
    assert result == Decimal(expected)
    assert str(result) == expected
    assert result.as_tuple().exponent == -2


def test_quantize_refuses_float():
    with pytest.raises(TypeError):
        quantize(0.1)


def test_to_decimal():
    assert to_decimal("12.50") == Decimal("12.50")
    assert to_decimal(7) == Decimal(7)
    d = Decimal("1.234")
    assert to_decimal(d) is d
    with pytest.raises(TypeError):
        to_decimal(1.5)
    with pytest.raises(ValueError):
        to_decimal("twelve naira")


@pytest.mark.parametrize(
    "amount,rate,expected",
    [
        ("1000.00", "5", "50.00"),
        ("1000.00", "5.00", "50.00"),
        ("1234.50", "5", "61.73"),      # 61.725 → 61.73 (half-up)
        ("999.99", "2.5", "25.00"),     # 24.99975 → 25.00
        ("100.10", "10", "10.01"),
        ("0.10", "5", "0.01"),          # 0.005 → 0.01
        ("0.09", "5", "0.00"),          # 0.0045 → 0.00
        ("12345.67", "0", "0.00"),
        ("200", "50", "100.00"),
    ],
)
def test_percent_of(amount, rate, expected):
    result = percent_of(Decimal(amount), Decimal(rate))
    assert result == Decimal(expected)
    assert str(result) == expected


def test_percent_of_refuses_float():
    with pytest.raises(TypeError):
        percent_of(100.0, Decimal("5"))
    with pytest.raises(TypeError):
        percent_of(Decimal("100"), 5.0)


@pytest.mark.parametrize(
    "amount,kobo",
    [
        ("0.01", 1),
        ("1", 100),
        ("1500.00", 150000),
        ("12345.67", 1234567),
        (Decimal("19.99"), 1999),
        (250, 25000),
        ("0", 0),
    ],
)
def test_to_kobo(amount, kobo):
    result = to_kobo(amount)
    assert result == kobo
    assert type(result) is int


def test_to_kobo_refuses_float():
    with pytest.raises(TypeError):
        to_kobo(19.99)


@pytest.mark.parametrize("amount", ["0.001", "10.005", "1.999", Decimal("0.0001")])
def test_to_kobo_refuses_sub_kobo(amount):
    with pytest.raises(ValueError):
        to_kobo(amount)


def test_to_kobo_accepts_trailing_zeros():
    assert to_kobo("10.500") == 1050


@pytest.mark.parametrize(
    "kobo,naira",
    [(1, "0.01"), (100, "1.00"), (150000, "1500.00"), (1234567, "12345.67"), (0, "0.00")],
)
def test_from_kobo(kobo, naira):
    result = from_kobo(kobo)
    assert isinstance(result, Decimal)
    assert str(result) == naira


def test_from_kobo_round_trip():
    for amount in ("0.01", "1.10", "999999.99", "500.00"):
        assert from_kobo(to_kobo(amount)) == Decimal(amount)


def test_from_kobo_accepts_numeric_string():
    assert from_kobo("2500") == Decimal("25.00")


def test_money_str_and_constants():
    assert money_str("5") == "5.00"
    assert money_str(Decimal("0.005")) == "0.01"
    assert KOBO == Decimal("0.01")
    assert ZERO == Decimal("0.00")
