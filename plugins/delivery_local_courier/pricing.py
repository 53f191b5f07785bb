"""The local courier's prices and promises (the merchant's own riders): pure, no database.

The ``delivery_local_courier`` plugin's ``LocalCourier.quote`` (``carrier.py``) calls
``quote`` with the merchant's settings (``settings.py`` reads its form into
``parse_settings``). The module imports nothing of the plugin and needs no app, so its unit
tests load it from its file.

The rules:

- Amounts are whole minor units of the merchant's currency (đồng for VND), so every fee is a
  sum of configured amounts and needs no rounding.
- Distance is the great circle from the store to the address (``geo.haversine_m``, the sphere
  search uses), rounded to the nearest metre. Riders follow streets, so merchants price their
  tiers with that in mind; a metre is far below the accuracy of a pin.
- The fee is that of the first tier whose limit is at or beyond the distance: limits are
  inclusive, exactly 3 km is "up to 3 km". Beyond the last limit each *started* kilometre
  costs ``per_km_beyond`` on top of the last tier's fee (0.2 km past it is one kilometre);
  without ``per_km_beyond`` there is no delivery beyond (``too_far``). Tiers must grow and a
  farther tier may not cost less, so the fee never falls as the distance grows.
- A basket of at least ``free_above`` travels free; the express surcharge is still due.
- The address must lie in at least one zone: within ``km`` of the store (inclusive), or in one
  of the listed districts. District names match ignoring case, runs of spaces and diacritics
  (đ as d): "Quận Bình Thạnh" is "quan binh thanh". Nothing more: "Q1" is not "Quận 1".
- Same day: ordered before the cut-off (store-local), delivered by the store's last closing
  that day; at or after it, or when the store does not open today, by the closing of the next
  day it opens (holidays and other dated exceptions count). The window opens at that day's
  first opening, or now if later.
- Express: while the store is open, within ``hours`` from now, and only when that is no later
  than the closing (back-to-back openings count as one). Hours are added in absolute time, so
  a daylight-saving night cannot stretch or shrink the promise.
- Cash on delivery when the merchant allows it and the basket is at most ``cod_max_basket``.

Refusals are ``DeliveryRefused`` errors with a stable ``code``; the checks run in this order:
``no_position``, ``outside_zone``, ``too_far``, ``no_cod``, ``no_window``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l

from marketplace.errors import ValidationError
from marketplace.money import validate_amount
from marketplace.search.folding import fold
from marketplace.search.geo import haversine_m
from marketplace.stores.hours import SEARCH_DAYS, Schedule, parse_time
from marketplace.validation import valid_int

Position = tuple[float, float]  # (latitude, longitude) in decimal degrees
MAX_KM = 1000  # far beyond any rider's round; a larger number is a typo
MAX_EXPRESS_HOURS = 24
MAX_ATTEMPTS = 10
KEYS = frozenset({"tiers", "per_km_beyond", "free_above", "zones", "same_day", "express",
                  "cod", "cod_max_basket", "inspect_before_accept", "attempts",
                  "redelivery_fee"})


class DeliveryRefused(ValidationError):
    """The courier cannot take this order; ``code`` says why, for API clients."""

    code = "delivery_refused"
    title = _l("We cannot deliver this order.")


class NoPosition(DeliveryRefused):
    code = "no_position"


class OutsideZone(DeliveryRefused):
    code = "outside_zone"


class TooFar(DeliveryRefused):
    code = "too_far"


class NoCod(DeliveryRefused):
    code = "no_cod"


class NoWindow(DeliveryRefused):
    code = "no_window"


class Service(StrEnum):
    SAME_DAY = "same_day"
    EXPRESS = "express"


# --- Settings -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tier:
    up_to_m: int
    fee: int


@dataclass(frozen=True, slots=True)
class RadiusZone:
    radius_m: int


@dataclass(frozen=True, slots=True)
class DistrictZone:
    districts: frozenset[str]  # as ``district_key`` folds them


Zone = RadiusZone | DistrictZone


@dataclass(frozen=True, slots=True)
class SameDay:
    cutoff: time  # store-local


@dataclass(frozen=True, slots=True)
class Express:
    hours: int
    fee: int  # on top of the distance fee


@dataclass(frozen=True, slots=True)
class CourierSettings:
    """What a merchant configures; build it with ``parse_settings``."""

    tiers: tuple[Tier, ...]
    zones: tuple[Zone, ...]
    per_km_beyond: int | None = None  # None: no delivery beyond the last tier
    free_above: int | None = None
    same_day: SameDay | None = None
    express: Express | None = None
    cod: bool = False
    cod_max_basket: int | None = None
    inspect_before_accept: bool = False
    attempts: int = 1
    redelivery_fee: int = 0


def parse_settings(data: Mapping[str, Any]) -> CourierSettings:
    """The settings stored as JSON, checked; a ``ValidationError`` names the first bad field.

    ``{"tiers": [[3, 15000], [7, 25000]], "per_km_beyond": 5000, "free_above": 500000,
    "zones": [{"kind": "radius", "km": 10}, {"kind": "districts", "districts": ["Quận 1"]}],
    "same_day": {"cutoff": "15:00"}, "express": {"hours": 2, "fee": 20000}, "cod": true,
    "cod_max_basket": 3000000, "inspect_before_accept": true, "attempts": 2,
    "redelivery_fee": 15000}``. Only ``tiers``, ``zones`` and one of ``same_day`` and
    ``express`` are required. Unknown keys are refused: a misspelt key would silently do
    nothing.
    """
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise ValidationError.field(unknown[0], _l("Unknown setting."))
    same_day = _same_day(data.get("same_day"))
    express = _express(data.get("express"))
    if same_day is None and express is None:
        raise ValidationError.field("same_day", _l("Offer same-day or express delivery, or both."))
    return CourierSettings(
        tiers=_tiers(data.get("tiers")),
        zones=_zones(data.get("zones")),
        per_km_beyond=_optional_amount(data.get("per_km_beyond"), "per_km_beyond"),
        free_above=_optional_amount(data.get("free_above"), "free_above"),
        same_day=same_day,
        express=express,
        cod=_flag(data.get("cod"), "cod"),
        cod_max_basket=_optional_amount(data.get("cod_max_basket"), "cod_max_basket"),
        inspect_before_accept=_flag(data.get("inspect_before_accept"), "inspect_before_accept"),
        attempts=valid_int(data.get("attempts", 1), "attempts", minimum=1, maximum=MAX_ATTEMPTS),
        redelivery_fee=validate_amount(data.get("redelivery_fee", 0), "redelivery_fee"),
    )


def _tiers(raw: Any) -> tuple[Tier, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise ValidationError.field("tiers", _l("Add at least one tier."))
    tiers: list[Tier] = []
    for index, pair in enumerate(raw):
        name = f"tiers[{index}]"
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise ValidationError.field(name, _l("Give each tier as [up to km, fee]."))
        tier = Tier(_metres(pair[0], name), validate_amount(pair[1], name))
        if tiers and tier.up_to_m <= tiers[-1].up_to_m:
            raise ValidationError.field(name, _l("Each tier must reach further than the one "
                                                 "before."))
        if tiers and tier.fee < tiers[-1].fee:
            raise ValidationError.field(name, _l("A farther tier cannot cost less."))
        tiers.append(tier)
    return tuple(tiers)


def _zones(raw: Any) -> tuple[Zone, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise ValidationError.field("zones", _l("Add at least one zone."))
    zones: list[Zone] = []
    for index, zone in enumerate(raw):
        name = f"zones[{index}]"
        kind = zone.get("kind") if isinstance(zone, Mapping) else None
        if kind == "radius":
            zones.append(RadiusZone(_metres(zone.get("km"), f"{name}.km")))
        elif kind == "districts":
            zones.append(DistrictZone(_districts(zone.get("districts"), f"{name}.districts")))
        else:
            raise ValidationError.field(f"{name}.kind",
                                        _l("Choose the kind of zone: radius or districts."))
    return tuple(zones)


def _districts(raw: Any, name: str) -> frozenset[str]:
    listed = isinstance(raw, Sequence) and not isinstance(raw, str) and raw
    if not listed or not all(isinstance(n, str) and district_key(n) for n in raw):
        raise ValidationError.field(name, _l("List the districts by name, none empty."))
    return frozenset(district_key(n) for n in raw)


def _same_day(raw: Any) -> SameDay | None:
    if raw is None:
        return None
    cutoff = raw.get("cutoff") if isinstance(raw, Mapping) else None
    return SameDay(parse_time(cutoff, "same_day.cutoff"))


def _express(raw: Any) -> Express | None:
    if raw is None:
        return None
    raw = raw if isinstance(raw, Mapping) else {}
    return Express(
        valid_int(raw.get("hours"), "express.hours", minimum=1, maximum=MAX_EXPRESS_HOURS),
        validate_amount(raw.get("fee", 0), "express.fee"))


def _metres(km: Any, name: str) -> int:
    """Kilometres as typed (3, 2.5, "1.25") to the nearest whole metre."""
    if isinstance(km, bool):
        raise ValidationError.field(name, _l("Enter a number."))
    try:
        # Through the text: str(1.001) is "1.001", while 1.001 * 1000 in binary floating
        # point is 1000.9999999999999, which would move a tier's limit by a metre.
        value = Decimal(str(km).strip())
    except InvalidOperation:
        raise ValidationError.field(name, _l("Enter a number.")) from None
    if not value.is_finite():
        raise ValidationError.field(name, _l("Enter a number."))
    metres = int((value * 1000).to_integral_value(ROUND_HALF_UP))
    if metres < 1:
        raise ValidationError.field(name, _l("Enter a distance above zero (in km)."))
    if metres > MAX_KM * 1000:
        raise ValidationError.field(name, _l("Must be at most %(n)d.", n=MAX_KM))
    return metres


def _optional_amount(raw: Any, name: str) -> int | None:
    return None if raw is None else validate_amount(raw, name)


def _flag(raw: Any, name: str) -> bool:
    # JSON has real booleans; "false" as a string would be truthy, so it is refused.
    if raw is None:
        return False
    if not isinstance(raw, bool):
        raise ValidationError.field(name, _l("Must be true or false."))
    return raw


def district_key(name: str) -> str:
    """A district name as zones compare it: folded (case, diacritics, đ) and spaces collapsed."""
    return " ".join(fold(name).split())


# --- Pricing ------------------------------------------------------------------------------


def distance_m(store: Position, destination: Position) -> int:
    """Store to address along the great circle, to the nearest metre."""
    return round(haversine_m(store[0], store[1], destination[0], destination[1]))


def distance_fee(settings: CourierSettings, metres: int) -> int:
    """The fee for ``metres`` before any free delivery; ``TooFar`` past the tiers' reach."""
    for tier in settings.tiers:
        if metres <= tier.up_to_m:
            return tier.fee
    last = settings.tiers[-1]
    if settings.per_km_beyond is None:
        raise TooFar.field("destination", _l("This address is too far from the store."))
    started_km = -(-(metres - last.up_to_m) // 1000)  # ceiling division, in integers
    return last.fee + started_km * settings.per_km_beyond


def in_zone(settings: CourierSettings, metres: int, district: str | None) -> bool:
    key = district_key(district) if district else None
    for zone in settings.zones:
        if isinstance(zone, RadiusZone) and metres <= zone.radius_m:
            return True
        if isinstance(zone, DistrictZone) and key in zone.districts:
            return True
    return False


def cod_available(settings: CourierSettings, basket_total: int) -> bool:
    return settings.cod and (settings.cod_max_basket is None
                             or basket_total <= settings.cod_max_basket)


# --- Windows ------------------------------------------------------------------------------


def same_day_window(rule: SameDay, schedule: Schedule,
                    now: datetime) -> tuple[datetime, datetime] | None:
    """(start, end) in UTC of the same-day promise, or None if the store never opens again."""
    local = now.astimezone(schedule.tz)
    first_day = local.date() + timedelta(days=0 if local.time() < rule.cutoff else 1)
    for offset in range(SEARCH_DAYS):
        spans = schedule.intervals_starting(first_day + timedelta(days=offset))
        if not spans:
            continue
        closing = max(end for _start, end in spans).astimezone(UTC)
        if closing <= now:  # ordered before the cut-off, but the store has already closed
            continue
        return max(spans[0][0].astimezone(UTC), now), closing
    return None


def express_window(rule: Express, schedule: Schedule,
                   now: datetime) -> tuple[datetime, datetime] | None:
    """(now, now + hours) in UTC if the store is open now and still open then, else None."""
    # Aware datetimes in a zone add wall-clock time; in UTC the hours are real hours.
    arrives = now.astimezone(UTC) + timedelta(hours=rule.hours)
    if not _open_through(schedule, now, arrives):
        return None
    return now.astimezone(UTC), arrives


def _open_through(schedule: Schedule, start: datetime, end: datetime) -> bool:
    """Open without a break from ``start`` until ``end``, following back-to-back openings
    (a store open around the clock has one opening a day, each ending as the next begins).
    Only the openings up to ``end`` are looked at: ``Schedule.closes_at`` would search a
    year ahead for the closing of a store that never closes."""
    span = schedule.current_interval(start)
    while span is not None:
        if span[1] >= end:
            return True
        following = schedule.current_interval(span[1])
        if following is None or following[1] <= span[1]:
            return False
        span = following
    return False


# --- The quote ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryOption:
    service: Service
    fee: int
    start: datetime  # UTC; the consumer sees it in the store's time zone
    end: datetime


@dataclass(frozen=True, slots=True)
class Quote:
    distance_m: int
    options: tuple[DeliveryOption, ...]  # same day first, then express
    cod_available: bool
    inspect_before_accept: bool
    attempts: int
    redelivery_fee: int  # for each attempt after the first


def quote(settings: CourierSettings, *, store_position: Position | None, schedule: Schedule,
          destination: Position | None, district: str | None, basket_total: int,
          cod: bool, now: datetime) -> Quote:
    """What the courier offers for one delivery from one store, or ``DeliveryRefused``.

    ``basket_total`` is in minor units; ``cod`` says the consumer wants to pay on delivery;
    ``now`` must be aware. The same inputs always give the same quote.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    now = now.astimezone(UTC)
    basket_total = validate_amount(basket_total, "basket_total")
    if store_position is None:
        raise NoPosition.field("store", _l("This store has no position on the map."))
    if destination is None:
        raise NoPosition.field("destination", _l("Pin the delivery address on the map."))
    metres = distance_m(store_position, destination)
    if not in_zone(settings, metres, district):
        raise OutsideZone.field("destination", _l("We do not deliver to this address."))
    fee = distance_fee(settings, metres)
    if settings.free_above is not None and basket_total >= settings.free_above:
        fee = 0
    can_pay_cash = cod_available(settings, basket_total)
    if cod and not can_pay_cash:
        raise NoCod.field("cod", _l("Cash on delivery is not available for this order."))
    options = []
    if settings.same_day and (window := same_day_window(settings.same_day, schedule, now)):
        options.append(DeliveryOption(Service.SAME_DAY, fee, *window))
    if settings.express and (window := express_window(settings.express, schedule, now)):
        options.append(DeliveryOption(Service.EXPRESS, fee + settings.express.fee, *window))
    if not options:
        raise NoWindow.field("destination", _l("The store offers no delivery time now."))
    return Quote(metres, tuple(options), can_pay_cash, settings.inspect_before_accept,
                 settings.attempts, settings.redelivery_fee)
