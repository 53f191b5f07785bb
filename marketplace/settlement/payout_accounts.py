"""Where a merchant's payouts go, one account per currency, entered by an owner.

Everything typed is checked before anything is written: a bad field leaves the stored account
as it was, and every wrong field is named at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..errors import ValidationError
from ..extensions import db
from ..money import validate_currency
from .banks import (
    HOLDER,
    account_number_pattern,
    banks_for,
    normal_account_number,
    normal_holder,
)
from .models import PayoutAccount

FIELDS = ("currency", "bank_code", "bank_name", "account_number", "holder")


def accounts(merchant_id: int) -> list[PayoutAccount]:
    """The merchant's payout accounts, by currency."""
    return list(db.session.scalars(sa.select(PayoutAccount).where(
        PayoutAccount.merchant_id == merchant_id).order_by(PayoutAccount.currency)))


def account_for(merchant_id: int, currency: str) -> PayoutAccount | None:
    return db.session.scalars(sa.select(PayoutAccount).where(
        PayoutAccount.merchant_id == merchant_id, PayoutAccount.currency == currency)).first()


def clean(data: dict, *, default_currency: str) -> dict:
    """The account's fields as stored, or a ``ValidationError`` naming every wrong field."""
    currency = validate_currency(data.get("currency") or default_currency)
    errors: dict[str, list] = {}
    banks = banks_for(currency)
    if banks is not None:
        code = (data.get("bank_code") or "").strip()
        names = dict(banks)
        if code not in names:
            errors["bank_code"] = [_l("Choose the bank from the list.")]
        bank_code, bank_name = code, names.get(code, "")
    else:
        bank_code = None
        bank_name = " ".join((data.get("bank_name") or "").split())
        if not 2 <= len(bank_name) <= 120:
            errors["bank_name"] = [_l("Enter the bank's name or its SWIFT/BIC code.")]
    number = normal_account_number(data.get("account_number"))
    if not account_number_pattern(currency).fullmatch(number):
        errors["account_number"] = [
            _l("4 to 19 digits (capital letters too, for a virtual account).")
            if currency == "VND" else _l("4 to 34 letters and digits, such as an IBAN.")]
    holder = normal_holder(data.get("holder"))
    if not HOLDER.fullmatch(holder):
        errors["holder"] = [_l("2 to 50 letters, digits, spaces or . , & - as the bank prints "
                               "the name.")]
    if errors:
        raise ValidationError(_l("The payout account was not saved: check the fields."),
                              fields=errors)
    return {"currency": currency, "bank_code": bank_code, "bank_name": bank_name,
            "account_number": number, "holder": holder}


def save(merchant, data: dict) -> PayoutAccount:
    """Create or replace the merchant's account in ``data["currency"]`` (default: the
    merchant's currency). Payouts already made keep the account they were made with."""
    values = clean(data, default_currency=merchant.default_currency)
    account = account_for(merchant.id, values["currency"])
    if account is None:
        account = PayoutAccount(merchant_id=merchant.id, **values)
        db.session.add(account)
    else:
        for key, value in values.items():
            setattr(account, key, value)
    db.session.flush()
    return account
