"""Reading the dashboard's campaign form: money in major units, local dates and times, lists
of checked boxes. What people typed stays text until it goes to the service, so a form shown
again after an error keeps exactly what was typed.

Dates and times are typed in the platform's time zone (``DEFAULT_TIMEZONE``, as the
statement and payouts pages) and stored in UTC; daily hours stay local to each store.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l

from ...errors import ValidationError
from ...vouchers.states import CampaignState, Channel, DiscountKind
from .listing_forms import major, parse_price

TEXT = ("name", "description", "discount_kind", "percent", "amount", "max_discount",
        "free_variant_id", "min_spend", "currency", "starts_at", "ends_at", "daily_start",
        "daily_end", "quota", "per_customer_limit", "channel")
LISTS = ("listing_ids", "category_ids", "store_ids", "weekdays")
MONEY = ("amount", "max_discount", "min_spend")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


def read(form) -> dict:
    values = {name: (form.get(name) or "").strip() for name in TEXT}
    values.update({name: [v for v in form.getlist(name) if v.strip()] for name in LISTS})
    return values


def blank(merchant, now: datetime) -> dict:
    """A new campaign's form: a week from the next full hour, one voucher per person."""
    start = now.astimezone(zone()).replace(minute=0, second=0, microsecond=0) + \
        timedelta(hours=1)
    return {name: "" for name in TEXT} | {name: [] for name in LISTS} | {
        "discount_kind": DiscountKind.PERCENT, "channel": Channel.BOTH,
        "currency": merchant.default_currency, "per_customer_limit": "1", "min_spend": "0",
        "starts_at": start.strftime(LOCAL_FORMAT),
        "ends_at": (start + timedelta(days=7)).strftime(LOCAL_FORMAT)}


def values_of(campaign) -> dict:
    """A stored campaign as the text its form starts with."""
    local = zone()
    currency = campaign.currency
    optional = lambda value: "" if value is None else str(value)  # noqa: E731
    return {
        "name": campaign.name, "description": campaign.description,
        "discount_kind": campaign.discount_kind, "percent": optional(campaign.percent),
        "amount": major(campaign.amount, currency),
        "max_discount": major(campaign.max_discount, currency),
        "free_variant_id": optional(campaign.free_variant_id),
        "min_spend": major(campaign.min_spend, currency), "currency": currency,
        "starts_at": campaign.starts_at.astimezone(local).strftime(LOCAL_FORMAT),
        "ends_at": campaign.ends_at.astimezone(local).strftime(LOCAL_FORMAT),
        "daily_start": campaign.daily_start.strftime("%H:%M") if campaign.daily_start else "",
        "daily_end": campaign.daily_end.strftime("%H:%M") if campaign.daily_end else "",
        "quota": optional(campaign.quota),
        "per_customer_limit": str(campaign.per_customer_limit),
        "channel": campaign.channel,
        "listing_ids": [str(i) for i in campaign.listing_ids],
        "category_ids": [str(i) for i in campaign.category_ids],
        "store_ids": [str(i) for i in campaign.store_ids],
        "weekdays": [str(i) for i in campaign.weekdays],
    }


def _local(text: str, field: str) -> datetime:
    try:
        moment = datetime.strptime(text, LOCAL_FORMAT)
    except ValueError:
        raise ValidationError.field(field, _l("Enter a date and time.")) from None
    return moment.replace(tzinfo=zone())


def _ids(texts: list[str], field: str) -> list[int]:
    try:
        return [int(text) for text in texts]
    except ValueError:
        raise ValidationError.field(field, _l("Choose from the list.")) from None


def data(values: dict, *, campaign=None) -> dict:
    """Service input from the form; a started campaign sends only what may still change."""
    errors: dict = {}

    def collect(parse, *args, **kwargs):
        try:
            return parse(*args, **kwargs)
        except ValidationError as exc:
            errors.update(exc.fields)
            return None

    out = {"name": values["name"], "description": values["description"],
           "quota": values["quota"] or None,
           "per_customer_limit": values["per_customer_limit"]}
    if campaign is not None and campaign.state != CampaignState.DRAFT:
        return out
    currency = (campaign.currency if campaign is not None else values["currency"]) or ""
    if campaign is None:
        out["currency"] = currency
    out.update({name: values[name] for name in ("discount_kind", "percent",
                                                 "free_variant_id", "channel", "daily_start",
                                                 "daily_end")})
    out["percent"] = values["percent"] or None
    out["free_variant_id"] = values["free_variant_id"] or None
    for name in MONEY:
        if values[name]:
            out[name] = collect(parse_price, values[name], currency.upper() or "VND", name)
        else:
            out[name] = 0 if name == "min_spend" else None
    for name in ("starts_at", "ends_at"):
        out[name] = collect(_local, values[name], name)
    for name in LISTS:
        out[name] = collect(_ids, values[name], name) or []
    if errors:
        raise ValidationError(fields=errors)
    return out
