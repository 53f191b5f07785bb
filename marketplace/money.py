"""Money is an integer in the currency's minor unit plus an ISO 4217 code; no floats.

VND has no minor unit, so 150000 means ₫150,000; USD has two, so 1999 means $19.99.
"""

from __future__ import annotations

import re
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision, list_currencies
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .errors import ValidationError

_CURRENCIES = frozenset(list_currencies())
# Far above any real price, fits a BIGINT column and stays exact as a JSON number (< 2**53).
MAX_AMOUNT = 10**15


def validate_currency(code: str | None, field: str = "currency") -> str:
    code = (code or "").strip().upper()
    if code not in _CURRENCIES:
        raise ValidationError.field(field, _l("Unknown currency code “%(code)s”.", code=code))
    return code


def minor_units(currency: str) -> int:
    return get_currency_precision(currency)


def validate_amount(value, field: str, *, allow_zero: bool = True) -> int:
    """An amount in minor units: a whole number, never negative (zero only if allowed)."""
    if isinstance(value, bool) or value is None:
        raise ValidationError.field(field, _l("Enter an amount."))
    try:
        amount = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError.field(field, _l("Enter a whole number.")) from None
    if isinstance(value, float) and value != amount:
        raise ValidationError.field(field, _l("Enter a whole number."))
    if amount > MAX_AMOUNT:
        raise ValidationError.field(field, _l("The amount is too large."))
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError.field(field, _l("The amount must be greater than zero.")
                                    if not allow_zero else _l("The amount cannot be negative."))
    return amount


def to_decimal(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-minor_units(currency))


def parse_major(text: str, currency: str, field: str) -> int:
    """Parse what a person types ("150000", "19.99") into minor units, exactly."""
    try:
        value = Decimal(str(text).replace(" ", "").replace("_", ""))
    except ArithmeticError:
        raise ValidationError.field(field, _l("Enter a number.")) from None
    if not value.is_finite():
        raise ValidationError.field(field, _l("Enter a number."))
    scaled = value.scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValidationError.field(field, _l("Too many decimal places for %(c)s.", c=currency))
    return validate_amount(int(scaled), field)


# Thousands grouped with dots or commas ("150.000", "1,250,000").
GROUPED = re.compile(r"^\d{1,3}(?P<sep>[.,])\d{3}(?:(?P=sep)\d{3})*$")


def parse_typed(text, currency: str, field: str) -> int | None:
    """What a person typed ("150000", "150.000", "19.99") → minor units, exactly; blank is
    None. A currency without a minor unit has no fractions, so a separator there can only
    group thousands: "150.000" (Vietnamese) and "150,000" (English) both mean ₫150,000."""
    text = (text or "").strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if minor_units(currency) == 0 and GROUPED.match(text):
        text = text.replace(".", "").replace(",", "")
    return parse_major(text, currency, field)


def format_money(amount: int | None, currency: str, locale=None) -> str:
    """``150000, "VND"`` → ``150.000 ₫`` in Vietnamese, ``₫150,000`` in English."""
    if amount is None:
        return ""
    return format_currency(to_decimal(amount, currency), currency, locale=locale or get_locale())
