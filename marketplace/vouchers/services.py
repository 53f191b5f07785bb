"""Campaigns: the merchant writes the offer, starts, pauses and ends it.

A campaign's terms (the discount, where, when, on what) are fixed once it has started:
customers claimed vouchers under them, and each voucher's code carries the campaign's dates
signed into it. Later only the name, the description, the quota (never below what was
claimed) and the per-customer limit change. State changes go through
``CAMPAIGN_TRANSITIONS`` under the campaign's row lock, with an audit row.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..catalog.models import Category, Listing, Variant
from ..database import get_scoped, scoped, utcnow
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..merchants.models import Merchant
from ..money import validate_amount, validate_currency
from ..orders.audit import Actor, record
from ..states import next_state
from ..stores.hours import parse_time
from ..stores.models import Store
from ..validation import optional_text, required_text, valid_int
from .models import Campaign, Voucher
from .states import (
    CAMPAIGN_TRANSITIONS,
    CampaignEvent,
    CampaignState,
    Channel,
    DiscountKind,
    VoucherEvent,
    VoucherState,
)

KIND = "voucher"  # the kind of the vouchers' redeemable codes
MAX_IDS = 200
MAX_QUOTA = 10_000_000
MAX_PER_CUSTOMER = 100
# What may still change once a campaign has started.
LIVE_FIELDS = frozenset({"name", "description", "quota", "per_customer_limit"})
FIELDS = LIVE_FIELDS | {"discount_kind", "percent", "amount", "max_discount",
                        "free_variant_id", "min_spend", "currency", "listing_ids",
                        "category_ids", "store_ids", "starts_at", "ends_at", "daily_start",
                        "daily_end", "weekdays", "channel"}


# --- reading ---------------------------------------------------------------------------------

def get_campaign(merchant_id: int, campaign_id) -> Campaign:
    return get_scoped(Campaign, merchant_id, campaign_id)


def campaigns_of(merchant_id: int) -> sa.Select:
    """The merchant's campaigns, newest first."""
    return scoped(Campaign, merchant_id).order_by(Campaign.id.desc())


def vouchers_of(campaign: Campaign) -> sa.Select:
    """A campaign's vouchers, newest first (scoped by the campaign's merchant too)."""
    return (scoped(Voucher, campaign.merchant_id).where(Voucher.campaign_id == campaign.id)
            .order_by(Voucher.id.desc()))


def figures(merchant_id: int, campaign_ids) -> dict[int, dict[str, int]]:
    """Campaign id → vouchers per state (``available``, ``redeemed``, ``applied``,
    ``cancelled``) and ``used`` (redeemed in store plus applied online), in one query."""
    ids = list(campaign_ids)
    found = {cid: {str(s): 0 for s in VoucherState} | {"used": 0} for cid in ids}
    if not ids:
        return found
    rows = db.session.execute(
        sa.select(Voucher.campaign_id, Voucher.state, sa.func.count())
        .where(Voucher.merchant_id == merchant_id, Voucher.campaign_id.in_(ids))
        .group_by(Voucher.campaign_id, Voucher.state))
    for campaign_id, state, count in rows:
        found[campaign_id][state] = count
        if state in (VoucherState.REDEEMED, VoucherState.APPLIED):
            found[campaign_id]["used"] += count
    return found


def claim_sources(campaign: Campaign) -> list[tuple[str, str | None, int]]:
    """Where the campaign's claims came from: ``(source, poster store name, count)``, most
    first (the online-to-offline funnel: which poster, in which store, brought claims)."""
    rows = db.session.execute(
        sa.select(Voucher.source, Store.name, sa.func.count())
        .select_from(Voucher).outerjoin(Store, Store.id == Voucher.source_store_id)
        .where(Voucher.merchant_id == campaign.merchant_id,
               Voucher.campaign_id == campaign.id)
        .group_by(Voucher.source, Store.name))
    return sorted(((source, name, count) for source, name, count in rows),
                  key=lambda row: (-row[2], row[0], row[1] or ""))


def claim_problem(campaign: Campaign, now: datetime, *, quota: bool = True):
    """Why nobody may claim this campaign now (a translated message), or ``None``;
    ``quota=False`` leaves the quota out (a claim judges it apart, as a conflict)."""
    if campaign.state != CampaignState.ACTIVE or not campaign.merchant.is_public:
        return _l("This campaign is not open for claims.")
    if now < campaign.starts_at:
        return _l("Claims for this campaign have not opened yet.")
    if now >= campaign.ends_at:
        return _l("This campaign is over.")
    if quota and campaign.quota is not None and campaign.claimed_count >= campaign.quota:
        return _l("All vouchers of this campaign have been claimed.")
    return None


def public_campaigns(merchant: Merchant, now: datetime | None = None) -> list[Campaign]:
    """What the merchant's page offers: active campaigns within their dates, ending first."""
    now = now or utcnow()
    if not merchant.is_public:
        return []
    return list(db.session.scalars(
        scoped(Campaign, merchant.id).where(Campaign.state == CampaignState.ACTIVE,
                                            Campaign.starts_at <= now, Campaign.ends_at > now)
        .order_by(Campaign.ends_at, Campaign.id)))


def public_campaign(token: str) -> Campaign:
    """The campaign behind a public link; drafts and hidden merchants are ``NotFound``."""
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.token == (token or "")[:16]))
    if campaign is None or campaign.state == CampaignState.DRAFT or \
            not campaign.merchant.is_public:
        raise NotFound("campaign")
    return campaign


# --- input -----------------------------------------------------------------------------------

def _collect(errors: dict, check, *args, **kwargs):
    """Run one check, keeping its field errors, so every bad field is reported at once."""
    try:
        return check(*args, **kwargs)
    except ValidationError as exc:
        errors.update(exc.fields)
        return None


def _moment(value, field: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError.field(field, _l("Enter a date and time.")) from None
    if not isinstance(value, datetime):
        raise ValidationError.field(field, _l("Enter a date and time."))
    if value.tzinfo is None:
        raise ValidationError.field(field, _l("Give the time with its UTC offset."))
    return value.replace(second=0, microsecond=0)


def _id_list(value, field: str) -> list[int]:
    if value is None or value == "":
        return []
    if not isinstance(value, list | tuple | set):
        raise ValidationError.field(field, _l("Give a list of ids."))
    if len(value) > MAX_IDS:
        raise ValidationError.field(field, _l("At most %(n)d.", n=MAX_IDS))
    return sorted({valid_int(item, field, minimum=1, maximum=2**31 - 1) for item in value})


def _owned(model, merchant_id: int, ids: list[int], field: str, message) -> list[int]:
    if not ids:
        return []
    found = set(db.session.scalars(sa.select(model.id).where(
        model.merchant_id == merchant_id, model.id.in_(ids))))
    if found != set(ids):
        raise ValidationError.field(field, message)
    return ids


def _categories(ids: list[int]) -> list[int]:
    found = set(db.session.scalars(sa.select(Category.id).where(Category.id.in_(ids)))) \
        if ids else set()
    if found != set(ids):
        raise ValidationError.field("category_ids", _l("Choose categories that exist."))
    return ids


def _weekdays(value) -> list[int]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple | set):
        raise ValidationError.field("weekdays", _l("Give a list of days."))
    try:
        days = sorted({valid_int(day, "weekdays", minimum=0, maximum=6) for day in value})
    except ValidationError:
        raise ValidationError.field("weekdays", _l("Days are 0 (Monday) to 6 (Sunday).")) \
            from None
    return [] if len(days) == 7 else days  # every day is the same as no restriction


def _free_variant(merchant_id: int, value, currency: str | None) -> int:
    variant_id = valid_int(value, "free_variant_id", minimum=1, maximum=2**31 - 1)
    variant = db.session.scalar(scoped(Variant, merchant_id).where(Variant.id == variant_id))
    if variant is None or not variant.is_active:
        raise ValidationError.field("free_variant_id", _l("Choose one of your items."))
    if currency and variant.listing.currency != currency:
        raise ValidationError.field("free_variant_id",
                                    _l("The free item must be priced in the campaign's "
                                       "currency."))
    return variant.id


def _discount(merchant_id: int, data: dict, current: dict, errors: dict) -> dict:
    """The discount fields, consistent with the kind (the others are cleared)."""
    raw_kind = data.get("discount_kind", current.get("discount_kind"))
    try:
        kind = DiscountKind(raw_kind or "")
    except ValueError:
        errors["discount_kind"] = [_l("Choose a percentage, an amount or a free item.")]
        return {}
    clean = {"discount_kind": kind, "percent": None, "amount": None, "max_discount": None,
             "free_variant_id": None}
    pick = lambda name: data.get(name, current.get(name))  # noqa: E731
    if kind == DiscountKind.PERCENT:
        clean["percent"] = _collect(errors, valid_int, pick("percent"), "percent", minimum=1,
                                    maximum=100)
        cap = pick("max_discount")
        if cap not in (None, ""):
            clean["max_discount"] = _collect(errors, validate_amount, cap, "max_discount",
                                             allow_zero=False)
    elif kind == DiscountKind.AMOUNT:
        clean["amount"] = _collect(errors, validate_amount, pick("amount"), "amount",
                                   allow_zero=False)
    else:
        clean["free_variant_id"] = _collect(errors, _free_variant, merchant_id,
                                            pick("free_variant_id"), current.get("currency"))
    return clean


def clean_terms(merchant: Merchant, data: dict, current: dict | None = None) -> dict:
    """Check a campaign's fields: ``data`` as sent, ``current`` the stored values it changes
    (``None`` for a new campaign). Raises one ``ValidationError`` naming every bad field."""
    current = current or {}
    unknown = set(data) - FIELDS
    if unknown:
        raise ValidationError(fields={name: [_l("Unknown field.")] for name in sorted(unknown)})
    errors: dict = {}
    clean: dict = {}
    pick = lambda name, default=None: data.get(name, current.get(name, default))  # noqa: E731
    clean["name"] = _collect(errors, required_text, pick("name"), "name", max_length=120)
    clean["description"] = _collect(errors, optional_text, pick("description"), "description",
                                    max_length=2000) or ""
    clean["currency"] = _collect(errors, validate_currency,
                                 pick("currency") or merchant.default_currency)
    current = current | {"currency": clean["currency"]}
    clean.update(_discount(merchant.id, data, current, errors))
    spend = pick("min_spend", 0)
    clean["min_spend"] = _collect(errors, validate_amount, 0 if spend in (None, "") else spend,
                                  "min_spend")
    clean["listing_ids"] = _collect(errors, lambda: _owned(
        Listing, merchant.id, _id_list(pick("listing_ids"), "listing_ids"), "listing_ids",
        _l("Choose among your own listings."))) or []
    clean["category_ids"] = _collect(
        errors, lambda: _categories(_id_list(pick("category_ids"), "category_ids"))) or []
    clean["store_ids"] = _collect(errors, lambda: _owned(
        Store, merchant.id, _id_list(pick("store_ids"), "store_ids"), "store_ids",
        _l("Choose among your own stores."))) or []
    clean["starts_at"] = _collect(errors, _moment, pick("starts_at"), "starts_at")
    clean["ends_at"] = _collect(errors, _moment, pick("ends_at"), "ends_at")
    if clean["starts_at"] and clean["ends_at"] and clean["ends_at"] <= clean["starts_at"]:
        errors["ends_at"] = [_l("The end must come after the start.")]
    clean.update(_hours(pick("daily_start"), pick("daily_end"), errors))
    clean["weekdays"] = _collect(errors, _weekdays, pick("weekdays")) or []
    clean.update(_limits(pick("quota"), pick("per_customer_limit", 1), errors))
    try:
        clean["channel"] = Channel(pick("channel") or Channel.BOTH)
    except ValueError:
        errors["channel"] = [_l("Choose online, in store, or both.")]
    if errors:
        raise ValidationError(fields=errors)
    return clean


def _hours(start, end, errors: dict) -> dict:
    if start in (None, "") and end in (None, ""):
        return {"daily_start": None, "daily_end": None}
    if start in (None, "") or end in (None, ""):
        errors["daily_end" if start not in (None, "") else "daily_start"] = [
            _l("Give both the start and the end of the hours, or neither.")]
        return {}
    opens = _collect(errors, parse_time, start, "daily_start")
    closes = _collect(errors, parse_time, end, "daily_end")
    if opens is not None and closes is not None and closes <= opens:
        errors["daily_end"] = [_l("The hours must end after they start, on the same day.")]
    return {"daily_start": opens, "daily_end": closes}


def _limits(quota, per_customer, errors: dict) -> dict:
    clean = {"quota": None}
    if quota not in (None, ""):
        clean["quota"] = _collect(errors, valid_int, quota, "quota", minimum=1,
                                  maximum=MAX_QUOTA)
    clean["per_customer_limit"] = _collect(errors, valid_int, per_customer,
                                           "per_customer_limit", minimum=1,
                                           maximum=MAX_PER_CUSTOMER)
    return clean


def _clean_live(data: dict, campaign: Campaign) -> dict:
    """The fields a started campaign may still change, checked alone: its terms were checked
    when it was written (a free item deactivated since must not block renaming it)."""
    errors: dict = {}
    clean: dict = {}
    if "name" in data:
        clean["name"] = _collect(errors, required_text, data["name"], "name", max_length=120)
    if "description" in data:
        clean["description"] = _collect(errors, optional_text, data["description"],
                                        "description", max_length=2000) or ""
    if "quota" in data or "per_customer_limit" in data:
        clean.update(_limits(data.get("quota", campaign.quota),
                             data.get("per_customer_limit", campaign.per_customer_limit),
                             errors))
    if errors:
        raise ValidationError(fields=errors)
    return clean


def _stored(campaign: Campaign) -> dict:
    return {name: getattr(campaign, name) for name in FIELDS}


# --- writing ---------------------------------------------------------------------------------

def create_campaign(merchant: Merchant, data: dict, *, actor: Actor) -> Campaign:
    """A new campaign, in draft. Flushes."""
    clean = clean_terms(merchant, data)
    campaign = Campaign(merchant_id=merchant.id, merchant=merchant,
                        state=CampaignState.DRAFT, token=secrets.token_urlsafe(9), **clean)
    db.session.add(campaign)
    db.session.flush()
    record(merchant_id=merchant.id, order_id=None, entity="campaign", entity_id=campaign.id,
           event="create", from_state=None, to_state=campaign.state, actor=actor)
    db.session.flush()
    return campaign


def lock(campaign: Campaign) -> Campaign:
    """The campaign's row, locked until commit (SQLite: the transaction's write lock)."""
    return db.session.scalars(
        sa.select(Campaign).where(Campaign.id == campaign.id).with_for_update()
        .execution_options(populate_existing=True)).one()


def update_campaign(campaign: Campaign, data: dict, *, actor: Actor) -> Campaign:
    """Change what was sent. A started campaign keeps its terms (``LIVE_FIELDS`` only)."""
    campaign = lock(campaign)
    if campaign.state == CampaignState.ENDED:
        raise ValidationError(_l("An ended campaign can no longer change."))
    if campaign.state != CampaignState.DRAFT:
        fixed = sorted(set(data) - LIVE_FIELDS)
        if fixed:
            message = _l("This campaign has started: its terms can no longer change.")
            raise ValidationError(message, fields={name: [message] for name in fixed})
    if campaign.state == CampaignState.DRAFT:
        clean = clean_terms(campaign.merchant, data, _stored(campaign))
    else:
        clean = _clean_live(data, campaign)
    if clean.get("quota") is not None and clean["quota"] < campaign.claimed_count:
        raise ValidationError.field("quota", _l(
            "%(n)d vouchers were claimed already: the quota cannot be lower.",
            n=campaign.claimed_count))
    for name, value in clean.items():
        setattr(campaign, name, value)
    record(merchant_id=campaign.merchant_id, order_id=None, entity="campaign",
           entity_id=campaign.id, event="update", from_state=campaign.state,
           to_state=campaign.state, actor=actor)
    db.session.flush()
    return campaign


def change_state(campaign: Campaign, event: str, *, actor: Actor,
                 now: datetime | None = None) -> Campaign:
    """Start, pause, resume or end a campaign. Ending cancels the vouchers nobody used and
    revokes their codes; vouchers already on an order stay with it."""
    now = now or utcnow()
    try:
        event = CampaignEvent(event)
    except ValueError:
        raise ValidationError.field("event", _l("Choose activate, pause, resume or end.")) \
            from None
    campaign = lock(campaign)
    old = CampaignState(campaign.state)
    new = next_state(CAMPAIGN_TRANSITIONS, old, event)
    if event in (CampaignEvent.ACTIVATE, CampaignEvent.RESUME) and campaign.ends_at <= now:
        raise ValidationError.field("ends_at", _l("This campaign's end has passed."))
    campaign.state = new
    if event == CampaignEvent.ACTIVATE:
        campaign.activated_at = now
    if new == CampaignState.ENDED:
        campaign.ended_at = now
        _cancel_unused(campaign, actor=actor, now=now)
    record(merchant_id=campaign.merchant_id, order_id=None, entity="campaign",
           entity_id=campaign.id, event=event, from_state=old, to_state=new, actor=actor)
    db.session.flush()
    return campaign


def _cancel_unused(campaign: Campaign, *, actor: Actor, now: datetime) -> None:
    from .claims import cancel_locked

    unused = db.session.scalars(
        sa.select(Voucher).where(Voucher.campaign_id == campaign.id,
                                 Voucher.state == VoucherState.AVAILABLE)
        .order_by(Voucher.id).with_for_update().execution_options(populate_existing=True))
    for voucher in unused:
        # No reason of its own: the wallet says the campaign ended.
        cancel_locked(voucher, VoucherEvent.CANCEL, actor=actor, reason=None, now=now)

