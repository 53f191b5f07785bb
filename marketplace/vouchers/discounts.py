"""What a voucher takes off: pure functions of a campaign's terms and a bill or order lines.

No database and no clock here, so the counter's preview, the redemption, the checkout's
pricing hook and the tests all compute the same number. Amounts are integers in minor units;
a percentage is rounded down (a voucher never gives more than it says).

At a counter the bill is what staff enter: the amount the voucher applies to (for a campaign
limited to some items, the amount of those items). A free item is rung up like any other item
and its price comes off. Online, only the eligible lines count, for the minimum spend too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..errors import ValidationError
from ..money import format_money
from .states import DiscountKind


@dataclass(frozen=True)
class Terms:
    """A campaign's discount, as plain values (``terms_of`` builds it from a campaign)."""

    kind: DiscountKind
    currency: str
    percent: int | None = None
    amount: int | None = None
    max_discount: int | None = None
    free_variant_id: int | None = None
    free_item_price: int | None = None
    free_item_title: str | None = None
    min_spend: int = 0
    listing_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()


def terms_of(campaign) -> Terms:
    variant = campaign.free_variant
    return Terms(
        kind=DiscountKind(campaign.discount_kind), currency=campaign.currency,
        percent=campaign.percent, amount=campaign.amount, max_discount=campaign.max_discount,
        free_variant_id=campaign.free_variant_id,
        free_item_price=variant.price if variant is not None else None,
        free_item_title=_variant_title(variant) if variant is not None else None,
        min_spend=campaign.min_spend, listing_ids=frozenset(campaign.listing_ids or ()),
        category_ids=frozenset(campaign.category_ids or ()))


def _variant_title(variant) -> str:
    title = variant.listing.title
    return f"{title} ({variant.label})" if variant.options else title


@dataclass(frozen=True)
class Quote:
    """A discount worked out: on how much, how much off, and what is left to pay."""

    eligible: int
    discount: int
    line_key: str | None = None

    @property
    def to_pay(self) -> int:
        return self.eligible - self.discount


def _off(terms: Terms, eligible: int) -> int:
    if terms.kind == DiscountKind.PERCENT:
        off = eligible * terms.percent // 100
        if terms.max_discount is not None:
            off = min(off, terms.max_discount)
        return off
    if terms.kind == DiscountKind.AMOUNT:
        return min(terms.amount, eligible)
    return min(terms.free_item_price or 0, eligible)


def _short_of(terms: Terms, field: str):
    return ValidationError.field(field, _l(
        "This voucher needs a spend of at least %(amount)s.",
        amount=format_money(terms.min_spend, terms.currency)))


def on_bill(terms: Terms, bill: int, *, field: str = "amount") -> Quote:
    """The discount on a bill at a counter; ``ValidationError`` below the minimum spend."""
    if bill < terms.min_spend:
        raise _short_of(terms, field)
    return Quote(eligible=bill, discount=_off(terms, bill))


def is_eligible(terms: Terms, listing_id: int, category_id: int | None) -> bool:
    if not terms.listing_ids and not terms.category_ids:
        return True
    return listing_id in terms.listing_ids or (category_id is not None
                                               and category_id in terms.category_ids)


def on_lines(terms: Terms, lines: Iterable, *, field: str = "voucher_code") -> Quote:
    """The discount on an order's lines (``PricedLine``: ``key``, ``variant``, ``quantity``,
    ``unit_price``); ``ValidationError`` when no line is eligible, the eligible lines fall
    short of the minimum spend, or the free item is not among them."""
    lines = [line for line in lines if line.quantity > 0]
    eligible = [line for line in lines
                if is_eligible(terms, line.variant.listing_id, line.variant.listing.category_id)]
    if terms.kind == DiscountKind.FREE_ITEM:
        free = next((line for line in lines if line.variant.id == terms.free_variant_id), None)
        if free is None:
            raise ValidationError.field(field, _l(
                "Add “%(item)s” to your order to get it free.", item=terms.free_item_title))
        spent = sum(line.unit_price * line.quantity for line in eligible)
        if spent < terms.min_spend:
            raise _short_of(terms, field)
        # One unit is free, at the price it has on this order.
        return Quote(eligible=spent, discount=free.unit_price, line_key=free.key)
    if not eligible:
        raise ValidationError.field(field, _l("This voucher does not apply to these items."))
    spent = sum(line.unit_price * line.quantity for line in eligible)
    if spent < terms.min_spend:
        raise _short_of(terms, field)
    return Quote(eligible=spent, discount=_off(terms, spent))


def summary(terms: Terms) -> str:
    """"30% off (at most ₫50,000)", "₫100,000 off", "Free: Cà phê sữa"."""
    if terms.kind == DiscountKind.PERCENT:
        if terms.max_discount is not None:
            return str(_l("%(percent)d%% off (at most %(cap)s)", percent=terms.percent,
                          cap=format_money(terms.max_discount, terms.currency)))
        return str(_l("%(percent)d%% off", percent=terms.percent))
    if terms.kind == DiscountKind.AMOUNT:
        return str(_l("%(amount)s off", amount=format_money(terms.amount, terms.currency)))
    return str(_l("Free: %(item)s", item=terms.free_item_title))


def as_json(terms: Terms) -> dict:
    """The terms for a scanner or an app, which may work the discount out themselves."""
    return {"kind": str(terms.kind), "currency": terms.currency, "percent": terms.percent,
            "amount": terms.amount, "max_discount": terms.max_discount,
            "free_item": ({"variant_id": terms.free_variant_id, "title": terms.free_item_title,
                           "price": terms.free_item_price}
                          if terms.kind == DiscountKind.FREE_ITEM else None),
            "min_spend": terms.min_spend, "summary": summary(terms)}
