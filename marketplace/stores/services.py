"""Stores: create and edit, weekly hours, dated exceptions, pickup settings."""

from __future__ import annotations

import math
from datetime import date
from functools import cache
from zoneinfo import available_timezones

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..database import get_scoped, scoped
from ..errors import Conflict, NotFound, ValidationError
from ..extensions import db
from ..plugins.events import emit
from ..validation import optional_text, required_text, slugify, valid_int, valid_phone, valid_slug
from . import hours as h
from .models import OpeningInterval, Store, StoreException

TEXT_FIELDS = {"address_line": 255, "city": 80}
OPTIONAL_TEXT = {"ward": 80, "district": 80}
PICKUP_LIMITS = {"pickup_lead_minutes": (0, 60 * 24 * 30), "pickup_slot_minutes": (5, 24 * 60),
                 "pickup_orders_per_slot": (1, 10_000), "pickup_grace_minutes": (0, 60 * 24 * 7),
                 "reserve_hold_hours": (1, 24 * 30)}


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_coordinate(value, field: str, limit: float) -> float:
    try:
        number = float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        raise ValidationError.field(field, _l("Enter a number in decimal degrees.")) from None
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise ValidationError.field(field, _l("Must be between -%(l)d and %(l)d.", l=limit))
    return round(number, 7)


def _clean(data: dict, *, store: Store | None, merchant_id: int) -> dict:
    clean: dict = {}
    creating = store is None
    if creating or "name" in data:
        clean["name"] = required_text(data.get("name"), "name", max_length=120)
    if creating or data.get("slug"):
        slug = valid_slug(data.get("slug") or slugify(clean.get("name", "")))
        clash = db.session.scalars(scoped(Store, merchant_id).where(Store.slug == slug)).first()
        if clash is not None and clash is not store:
            raise Conflict(_l("Another store uses this address."),
                           fields={"slug": [_l("Already taken.")]})
        clean["slug"] = slug
    for name, limit in TEXT_FIELDS.items():
        if creating or name in data:
            clean[name] = required_text(data.get(name), name, max_length=limit)
    for name, limit in OPTIONAL_TEXT.items():
        if name in data:
            clean[name] = optional_text(data.get(name), name, max_length=limit)
    if "country_code" in data:
        code = (data.get("country_code") or "").strip().upper()
        if len(code) != 2 or not code.isalpha():
            raise ValidationError.field("country_code", _l("Use a two-letter country code."))
        clean["country_code"] = code
    if creating or "latitude" in data:
        clean["latitude"] = valid_coordinate(data.get("latitude"), "latitude", 90)
    if creating or "longitude" in data:
        clean["longitude"] = valid_coordinate(data.get("longitude"), "longitude", 180)
    if "phone" in data:
        clean["phone"] = valid_phone(data.get("phone"))
    if "timezone" in data and data.get("timezone"):
        if data["timezone"] not in _timezones():
            raise ValidationError.field("timezone", _l("Unknown time zone."))
        clean["timezone"] = data["timezone"]
    for name in ("is_active", "pickup_enabled", "reserve_enabled"):
        if name in data:
            clean[name] = bool(data[name])
    for name, (low, high) in PICKUP_LIMITS.items():
        if name in data:
            clean[name] = valid_int(data[name], name, minimum=low, maximum=high)
    return clean


def create_store(merchant, data: dict, *, default_timezone: str) -> Store:
    clean = _clean(data, store=None, merchant_id=merchant.id)
    clean.setdefault("timezone", default_timezone)
    store = Store(merchant_id=merchant.id, **clean)
    db.session.add(store)
    db.session.flush()
    _changed(store, "created")
    return store


def _changed(store: Store, change: str) -> None:
    emit("marketplace_store_changed", store.merchant, store_id=store.id, change=change)


def update_store(store: Store, data: dict) -> Store:
    for key, value in _clean(data, store=store, merchant_id=store.merchant_id).items():
        setattr(store, key, value)
    db.session.flush()
    _changed(store, "updated")
    return store


def get_store(merchant_id: int, store_id) -> Store:
    return get_scoped(Store, merchant_id, store_id)


def parse_weekly(rows) -> list[tuple[int, h.Interval]]:
    """``[{"weekday": 0, "opens": "08:00", "closes": "22:00", "overnight": false}, …]``."""
    parsed = []
    for index, row in enumerate(rows or []):
        name = f"hours[{index}]"
        weekday = valid_int(row.get("weekday"), f"{name}.weekday", minimum=0, maximum=6)
        interval = h.Interval(h.parse_time(row.get("opens"), f"{name}.opens"),
                              h.parse_time(row.get("closes"), f"{name}.closes"),
                              bool(row.get("overnight", False)))
        parsed.append((weekday, interval))
    return h.validate_weekly(parsed)


def set_opening_hours(store: Store, rows) -> Store:
    """Replace the weekly hours as a whole (an empty list means closed every day)."""
    intervals = parse_weekly(rows)
    store.hours = [OpeningInterval(merchant_id=store.merchant_id, weekday=weekday,
                                   opens=i.opens, closes=i.closes, overnight=i.overnight)
                   for weekday, i in intervals]
    db.session.flush()
    _changed(store, "hours")
    return store


def _parse_date(value, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError.field(field, _l("Enter a date as YYYY-MM-DD.")) from None


def set_exception(store: Store, data: dict) -> StoreException:
    """Create or replace the exception for one date: closed, or open with other intervals."""
    day = _parse_date(data.get("date"), "date")
    closed = bool(data.get("closed", True))
    intervals: list[h.Interval] = []
    if not closed:
        rows = data.get("intervals") or []
        if not rows:
            raise ValidationError.field("intervals",
                                        _l("Give the special hours, or mark the day closed."))
        intervals = h.validate_day(
            [h.Interval(h.parse_time(r.get("opens"), f"intervals[{i}].opens"),
                        h.parse_time(r.get("closes"), f"intervals[{i}].closes"),
                        bool(r.get("overnight", False))) for i, r in enumerate(rows)],
            "intervals")
    note = optional_text(data.get("note"), "note", max_length=200)
    exception = db.session.scalars(sa.select(StoreException).where(
        StoreException.store_id == store.id, StoreException.date == day)).first()
    if exception is None:
        exception = StoreException(merchant_id=store.merchant_id, store_id=store.id, date=day)
        db.session.add(exception)
    exception.closed = closed
    exception.intervals = [h.interval_to_json(i) for i in intervals]
    exception.note = note
    db.session.flush()
    db.session.refresh(store, ["exceptions"])
    _changed(store, "hours")
    return exception


def delete_exception(store: Store, exception_id) -> None:
    exception = get_scoped(StoreException, store.merchant_id, exception_id)
    if exception.store_id != store.id:  # another store's day, reached through this store's URL
        raise NotFound("exception")
    db.session.delete(exception)
    _changed(store, "hours")
    db.session.flush()
    db.session.refresh(store, ["exceptions"])


def get_accessible_store(membership, store_id) -> Store:
    """A store of the member's merchant that this member may see; others are 404.

    Staff limited to some stores do not learn that the other stores' ids exist."""
    store = get_scoped(Store, membership.merchant_id, store_id)
    if not membership.can_access_store(store.id):
        raise NotFound("store")
    return store


def accessible_stores(membership) -> list[Store]:
    stmt = scoped(Store, membership.merchant_id).order_by(Store.name)
    if not membership.all_stores:
        stmt = stmt.where(Store.id.in_(membership.store_ids or {-1}))
    return list(db.session.scalars(stmt))
