"""Pickup slots: pure generation from opening hours, then capacity from the database.

A slot is a window of ``pickup_slot_minutes`` inside one opening span of the store, starting
no earlier than now + ``pickup_lead_minutes``. A slot belongs to the local day it starts on;
an overnight span (22:00–02:00) yields slots on both sides of midnight. Steps are taken in
absolute time from the span's opening, so a daylight-saving change cannot make a slot of
the wrong length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..database import dialect_insert, utcnow
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..stores.hours import Schedule
from .models import PickupSlotLoad


class SlotFull(Conflict):
    code = "slot_full"
    title = _l("This pickup slot is full.")


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime
    capacity: int
    booked: int = 0

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.booked, 0)


def windows(schedule: Schedule, day: date, *, slot_minutes: int,
            earliest: datetime) -> list[tuple[datetime, datetime]]:
    """The (start, end) pickup windows starting on local ``day``, none before ``earliest``."""
    length = timedelta(minutes=slot_minutes)
    found: set[tuple[datetime, datetime]] = set()
    for span_day in (day - timedelta(days=1), day):
        for opens, closes in schedule.intervals_starting(span_day):
            start = opens.astimezone(UTC)
            end_of_span = closes.astimezone(UTC)
            while start + length <= end_of_span:
                if start >= earliest and start.astimezone(schedule.tz).date() == day:
                    found.add((start, start + length))
                start += length
    return sorted(found)


def _loads(store, start: datetime, end: datetime) -> dict[datetime, int]:
    rows = db.session.execute(sa.select(PickupSlotLoad.slot_start, PickupSlotLoad.booked).where(
        PickupSlotLoad.store_id == store.id, PickupSlotLoad.slot_start >= start,
        PickupSlotLoad.slot_start < end))
    return {slot_start: booked for slot_start, booked in rows}


def earliest_pickup(store, now: datetime) -> datetime:
    return now + timedelta(minutes=store.pickup_lead_minutes)


def local_today(store, now: datetime) -> date:
    return now.astimezone(ZoneInfo(store.timezone)).date()


def day_slots(store, day: date, *, now: datetime | None = None,
              include_full: bool = False) -> list[Slot]:
    """The store's pickup slots on local ``day`` with their remaining capacity; full ones are
    left out unless ``include_full``. A store without pickup has none."""
    now = now or utcnow()
    if not store.pickup_enabled or not store.is_active:
        return []
    spans = windows(Schedule.for_store(store), day, slot_minutes=store.pickup_slot_minutes,
                    earliest=earliest_pickup(store, now))
    if not spans:
        return []
    loads = _loads(store, spans[0][0], spans[-1][0] + timedelta(seconds=1))
    slots = [Slot(start, end, store.pickup_orders_per_slot, loads.get(start, 0))
             for start, end in spans]
    return slots if include_full else [s for s in slots if s.remaining > 0]


def parse_slot_start(value, field: str = "slot_start") -> datetime:
    """An ISO 8601 instant with its offset (naive times are ambiguous: refused)."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError.field(field, _l("Choose a pickup time.")) from None
    if moment.tzinfo is None:
        raise ValidationError.field(field, _l("Choose a pickup time."))
    return moment.astimezone(UTC)


def checked_window(store, start: datetime, *, now: datetime, horizon_days: int,
                   field: str = "slot_start") -> tuple[datetime, datetime]:
    """The window that starts at ``start`` if it is a real, future slot of ``store`` within
    the booking horizon (capacity is checked when booking); else a ``ValidationError``."""
    if start < earliest_pickup(store, now):
        raise ValidationError.field(field, _l("This pickup time has passed or is too soon."))
    day = start.astimezone(ZoneInfo(store.timezone)).date()
    if (day - local_today(store, now)).days >= horizon_days:
        raise ValidationError.field(field, _l("This pickup time is too far ahead."))
    for window in windows(Schedule.for_store(store), day,
                          slot_minutes=store.pickup_slot_minutes,
                          earliest=earliest_pickup(store, now)):
        if window[0] == start:
            return window
    raise ValidationError.field(field, _l("The store does not offer pickup at this time."))


def book(store, start: datetime) -> None:
    """Take one place in the slot, or ``SlotFull``: a conditional update the database
    arbitrates, so concurrent checkouts can never book more than the capacity."""
    db.session.execute(
        dialect_insert(PickupSlotLoad)
        .values(merchant_id=store.merchant_id, store_id=store.id, slot_start=start, booked=0)
        .on_conflict_do_nothing(index_elements=["store_id", "slot_start"]))
    result = db.session.execute(
        sa.update(PickupSlotLoad)
        .where(PickupSlotLoad.store_id == store.id, PickupSlotLoad.slot_start == start,
               PickupSlotLoad.booked < store.pickup_orders_per_slot)
        .values(booked=PickupSlotLoad.booked + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise SlotFull(slot_start=start.isoformat(), store_id=store.id)


def release(store_id: int, start: datetime) -> None:
    """Give a place back (a cancelled order); never below zero."""
    db.session.execute(
        sa.update(PickupSlotLoad)
        .where(PickupSlotLoad.store_id == store_id, PickupSlotLoad.slot_start == start,
               PickupSlotLoad.booked > 0)
        .values(booked=PickupSlotLoad.booked - 1)
        .execution_options(synchronize_session=False))
