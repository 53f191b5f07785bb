"""Money: integer minor units and an ISO currency, parsed exactly, never through floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.errors import ValidationError
from marketplace.money import (
    MAX_AMOUNT,
    format_money,
    minor_units,
    parse_major,
    to_decimal,
    validate_amount,
    validate_currency,
)

CURRENCIES = ["VND", "USD", "JPY", "KWD", "EUR"]  # 0, 2, 0, 3 and 2 minor digits


def test_minor_units_per_currency():
    assert [minor_units(c) for c in CURRENCIES] == [0, 2, 0, 3, 2]


@pytest.mark.parametrize(("text", "currency", "expected"), [
    ("150000", "VND", 150000), ("150 000", "VND", 150000), ("1_000", "VND", 1000),
    ("19.99", "USD", 1999), ("19.9", "USD", 1990), ("0", "USD", 0), ("1.234", "KWD", 1234),
    ("  7 ", "JPY", 7),
])
def test_parse_major(text, currency, expected):
    assert parse_major(text, currency, "price") == expected


@pytest.mark.parametrize(("text", "currency"), [
    ("1.5", "VND"), ("19.999", "USD"), ("abc", "VND"), ("", "VND"), ("-1", "VND"),
    ("1e400", "USD"), ("NaN", "USD"), ("Infinity", "VND"), ("0.0001", "KWD"),
])
def test_parse_major_refuses(text, currency):
    with pytest.raises(ValidationError) as info:
        parse_major(text, currency, "price")
    assert set(info.value.fields) == {"price"}


@given(amount=st.integers(min_value=0, max_value=10**15), currency=st.sampled_from(CURRENCIES))
def test_parse_major_round_trips_exactly(amount, currency):
    major = to_decimal(amount, currency)
    assert isinstance(major, Decimal)
    assert parse_major(str(major), currency, "price") == amount
    assert parse_major(f"{major:f}", currency, "price") == amount


@given(amount=st.integers(min_value=0, max_value=10**12),
       extra=st.integers(min_value=1, max_value=9))
def test_one_digit_too_many_is_refused(amount, extra):
    text = f"{to_decimal(amount, 'USD'):f}" + ("" if "." in f"{to_decimal(amount, 'USD'):f}"
                                              else ".00") + str(extra)
    with pytest.raises(ValidationError):
        parse_major(text, "USD", "price")


@pytest.mark.parametrize("value", [-1, "abc", None, True, 1.5, "1.5", float("inf"), float("nan")])
def test_validate_amount_refuses(value):
    with pytest.raises(ValidationError):
        validate_amount(value, "price")


def test_validate_amount():
    assert validate_amount("150000", "price") == 150000
    assert validate_amount(2.0, "price") == 2
    assert validate_amount(0, "price") == 0
    with pytest.raises(ValidationError):
        validate_amount(0, "price", allow_zero=False)


@pytest.mark.parametrize("code", ["XYZ", "", None, "VNDX", "đ"])
def test_unknown_currencies(code):
    with pytest.raises(ValidationError) as info:
        validate_currency(code)
    assert "currency" in info.value.fields


def test_currency_is_normalized():
    assert validate_currency(" vnd ") == "VND"


def test_format_money_per_locale(app):
    with app.test_request_context():
        assert format_money(150000, "VND", locale="vi") == "150.000\xa0₫"
        assert format_money(150000, "VND", locale="en") == "₫150,000"
        assert format_money(1999, "USD", locale="en") == "$19.99"
        assert format_money(None, "VND") == ""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert format_money(5000, "VND") == "₫5,000"


@pytest.mark.parametrize("value", [MAX_AMOUNT + 1, 10**20, "1" + "0" * 30])
def test_amounts_beyond_the_maximum_are_refused(value):
    with pytest.raises(ValidationError):
        validate_amount(value, "price")
    assert validate_amount(MAX_AMOUNT, "price") == MAX_AMOUNT
