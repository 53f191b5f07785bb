"""Appointment availability: the start times a service can be booked at, and why not.

Pure functions over plain dataclasses: no database, no request. The caller loads the store's
``Schedule``, the service's ``ServiceRule``, the staff who perform the service and the
resources (tables, rooms) it may use, each with its busy time already merged in (bookings with
their buffers, holds, time off, one-off blocks, outside calendars), and gets UTC ``Slot``s.

The rules:

- Candidate starts step by ``step_minutes`` in absolute time from the start of each opening
  span of the store, as pickup windows do, so a daylight-saving change never yields a slot of
  the wrong length; the grid restarts at each span. A slot belongs to the store-local day it
  starts on, so an overnight span yields slots on both sides of midnight.
- The service itself, [start, start + duration), must lie inside one opening of the store and
  inside one working span of the staff member; back-to-back spans count as one
  (``Schedule.closes_at``), for the store and for staff alike.
- Buffers are checked against busy time only. The blocked interval
  [start − buffer_before, start + duration + buffer_after) may reach outside opening and
  working hours: preparing a room before the doors open, or tidying after they close, is
  allowed. Intervals are half-open, so a booking that ends at 10:00 does not block one whose
  buffer starts at 10:00.
- The earliest start is now + lead time; the last bookable day is the store's local today +
  ``horizon_days`` (inclusive).
- A resource fits a party if its capacity is at least the party size. A service that needs
  staff and a resource needs one free staff member and one free fitting resource at once.
- A party outside [party_min, party_max], or larger than every resource of a service that
  needs one, is bad input: ``day_slots`` and ``check`` both refuse it rather than answer with
  an empty day, so the consumer learns why.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from marketplace.errors import Conflict, ValidationError
from marketplace.stores.hours import Schedule

Id = int | str
BusyTimes = Sequence[tuple[datetime, datetime]]
ONE_DAY = timedelta(days=1)


# --- Refusals: a stable code per reason ---------------------------------------------------


class SlotRefused(ValidationError):
    """The requested start is not one the service offers (422)."""

    code = "slot_refused"


class SlotInPast(SlotRefused):
    code = "slot_in_past"


class SlotTooSoon(SlotRefused):
    code = "slot_too_soon"


class SlotBeyondHorizon(SlotRefused):
    code = "slot_beyond_horizon"


class PartyOutOfRange(SlotRefused):
    code = "party_out_of_range"


class PartyTooLarge(SlotRefused):
    code = "party_too_large"


class StoreClosed(SlotRefused):
    code = "store_closed"


class SlotExceedsOpening(SlotRefused):
    code = "slot_exceeds_opening"


class SlotOffGrid(SlotRefused):
    code = "slot_off_grid"


class StaffNotQualified(SlotRefused):
    code = "staff_not_qualified"


class StaffNotWorking(SlotRefused):
    code = "staff_not_working"


class NoStaffWorking(SlotRefused):
    code = "no_staff_working"


class SlotTaken(Conflict):
    """The start is offered, but who or what it needs is booked then (409): choose another."""

    code = "slot_taken"
    title = _l("This time is no longer available.")


class StaffBusy(SlotTaken):
    code = "staff_busy"


class NoStaffFree(SlotTaken):
    code = "no_staff_free"


class NoResourceFree(SlotTaken):
    code = "no_resource_free"


# --- Inputs and outputs -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceRule:
    """How one service is booked. Minutes are whole minutes; buffers are the staff member's
    and resource's time before and after the service that no other booking may take."""

    duration_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    step_minutes: int = 15
    lead_minutes: int = 0
    horizon_days: int = 30
    needs_staff: bool = True
    needs_resource: bool = False
    party_min: int = 1
    party_max: int = 1

    def __post_init__(self) -> None:
        for name in ("duration_minutes", "step_minutes"):
            if getattr(self, name) < 1:
                raise ValidationError.field(name, _l("Enter at least one minute."))
        for name in (
            "buffer_before_minutes",
            "buffer_after_minutes",
            "lead_minutes",
            "horizon_days",
        ):
            if getattr(self, name) < 0:
                raise ValidationError.field(name, _l("This cannot be negative."))
        if self.party_min < 1:
            raise ValidationError.field("party_min", _l("A party has at least one person."))
        if self.party_max < self.party_min:
            raise ValidationError.field("party_max", _l("The largest party is below the smallest."))

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.step_minutes)

    @property
    def lead(self) -> timedelta:
        return timedelta(minutes=self.lead_minutes)

    def blocked(self, start: datetime) -> tuple[datetime, datetime]:
        """The time a booking starting at ``start`` keeps from others, buffers included."""
        before = timedelta(minutes=self.buffer_before_minutes)
        after = timedelta(minutes=self.buffer_after_minutes)
        return start - before, start + self.duration + after


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A staff member who performs the service. ``busy`` may be a prepared ``BusyIndex``, so a
    caller computing many days sorts each calendar once."""

    id: Id
    schedule: Schedule
    busy: BusyTimes | BusyIndex = ()
    booked_count: int = 0


@dataclass(frozen=True, slots=True)
class Resource:
    """A table, room or chair; ``capacity`` is how many people it fits."""

    id: Id
    capacity: int
    busy: BusyTimes | BusyIndex = ()


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable start (UTC), with the staff and fitting resources free for it, in the order
    the caller listed them (empty when the service does not need them). ``seats_left``: the
    places a group session still has at this start (None for a service booked one party at
    a time)."""

    start: datetime
    end: datetime
    staff_ids: tuple[Id, ...] = ()
    resource_ids: tuple[Id, ...] = ()
    seats_left: int | None = None


class BusyIndex:
    """One calendar's busy time, merged and sorted once, so each overlap test is a binary
    search rather than a scan of every booking in the horizon."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, intervals: Iterable[tuple[datetime, datetime]] = ()) -> None:
        merged: list[list[datetime]] = []
        for start, end in sorted((_utc(s), _utc(e)) for s, e in intervals):
            if end <= start:
                continue  # an empty or inverted interval blocks nothing
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [start for start, _end in merged]
        self._ends = [end for _start, end in merged]

    @classmethod
    def of(cls, busy: BusyTimes | BusyIndex) -> BusyIndex:
        return busy if isinstance(busy, BusyIndex) else cls(busy)

    def __len__(self) -> int:
        return len(self._starts)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end) shares any instant with the busy time."""
        # Merged intervals are disjoint, so their ends are sorted too: the first one ending
        # after ``start`` is the only one that can overlap; every later one starts later.
        index = bisect_right(self._ends, start)
        return index < len(self._starts) and self._starts[index] < end


# --- Internals ----------------------------------------------------------------------------


class _Span(NamedTuple):
    """One opening (or working) span in UTC; ``until`` is where the continuous opening it
    belongs to ends, following back-to-back spans."""

    opens: datetime
    closes: datetime
    until: datetime


@dataclass(frozen=True, slots=True)
class _Worker:
    id: Id
    hours: tuple[_Span, ...]
    busy: BusyIndex

    def works(self, start: datetime, end: datetime) -> bool:
        return any(s.opens <= start < s.closes and end <= s.until for s in self.hours)

    def free(self, blocked: tuple[datetime, datetime]) -> bool:
        return not self.busy.overlaps(*blocked)


@dataclass(frozen=True, slots=True)
class _Room:
    id: Id
    busy: BusyIndex


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"an aware datetime is needed, got {moment!r}")
    return moment.astimezone(UTC)


def _spans(schedule: Schedule, first: date, last: date) -> list[_Span]:
    """The spans that start on local days ``first``..``last`` of ``schedule``."""
    found = []
    day = first
    while day <= last:
        for opens, closes in schedule.intervals_starting(day):
            opens, closes = opens.astimezone(UTC), closes.astimezone(UTC)
            # Asked in UTC: comparing two times of one zone would compare wall clocks.
            continuous = schedule.closes_at(opens)
            until = max(closes, _utc(continuous)) if continuous else closes
            found.append(_Span(opens, closes, until))
        day += ONE_DAY
    return found


def _candidate_starts(
    schedule: Schedule, rule: ServiceRule, day: date, *, earliest: datetime
) -> list[datetime]:
    """Grid starts on local ``day`` whose service fits the opening, none before ``earliest``."""
    found: set[datetime] = set()
    for span in _spans(schedule, day - ONE_DAY, day):
        start = span.opens
        while start < span.closes and start + rule.duration <= span.until:
            if start >= earliest and start.astimezone(schedule.tz).date() == day:
                found.add(start)
            start += rule.step
    return sorted(found)


def _workers(staff: Iterable[StaffMember], first: datetime, last: datetime) -> list[_Worker]:
    """Staff with the working spans that can hold a start between ``first`` and ``last``: a
    span holding an instant starts on its local day or the day before."""
    workers = []
    for member in staff:
        tz = member.schedule.tz
        hours = _spans(
            member.schedule, first.astimezone(tz).date() - ONE_DAY, last.astimezone(tz).date()
        )
        workers.append(_Worker(member.id, tuple(hours), BusyIndex.of(member.busy)))
    return workers


def _fitting(resources: Iterable[Resource], party: int) -> list[_Room]:
    return [_Room(r.id, BusyIndex.of(r.busy)) for r in resources if r.capacity >= party]


def _slot_at(
    rule: ServiceRule, start: datetime, workers: Sequence[_Worker], rooms: Sequence[_Room]
) -> Slot | None:
    """The slot at ``start`` with whoever and whatever is free, or None if the service lacks
    a staff member or resource it needs."""
    end = start + rule.duration
    blocked = rule.blocked(start)
    staff_ids = tuple(w.id for w in workers if w.works(start, end) and w.free(blocked))
    resource_ids = tuple(r.id for r in rooms if not r.busy.overlaps(*blocked))
    if (rule.needs_staff and not staff_ids) or (rule.needs_resource and not resource_ids):
        return None
    return Slot(start, end, staff_ids, resource_ids)


def _last_day(schedule: Schedule, rule: ServiceRule, now: datetime) -> date:
    return now.astimezone(schedule.tz).date() + timedelta(days=rule.horizon_days)


def _check_party(rule: ServiceRule, resources: Sequence[Resource], party: int) -> None:
    if not rule.party_min <= party <= rule.party_max:
        raise PartyOutOfRange.field(
            "party",
            _l(
                "Choose between %(low)d and %(high)d people.",
                low=rule.party_min,
                high=rule.party_max,
            ),
        )
    # With no resources at all the store is not set up yet: that is "none free", not a
    # party too large for every table.
    if rule.needs_resource and resources and all(r.capacity < party for r in resources):
        raise PartyTooLarge.field("party", _l("No table or room here fits a party this large."))


def _check_when(schedule: Schedule, rule: ServiceRule, start: datetime, now: datetime) -> None:
    if start < now:
        raise SlotInPast.field("start", _l("This time has already passed."))
    if start < now + rule.lead:
        raise SlotTooSoon.field("start", _l("This time is too soon; choose a later one."))
    if start.astimezone(schedule.tz).date() > _last_day(schedule, rule, now):
        raise SlotBeyondHorizon.field("start", _l("This time is too far ahead."))


def _check_opening(schedule: Schedule, rule: ServiceRule, start: datetime) -> None:
    day = start.astimezone(schedule.tz).date()
    holding = [s for s in _spans(schedule, day - ONE_DAY, day) if s.opens <= start < s.closes]
    if not holding:
        raise StoreClosed.field("start", _l("The store is closed at this time."))
    end = start + rule.duration
    long_enough = [s for s in holding if end <= s.until]
    if not long_enough:
        raise SlotExceedsOpening.field("start", _l("The appointment would run past closing."))
    if not any((start - s.opens) % rule.step == timedelta(0) for s in long_enough):
        raise SlotOffGrid.field("start", _l("Choose one of the offered start times."))


def _check_staff(
    rule: ServiceRule, start: datetime, workers: Sequence[_Worker], staff_id: Id | None
) -> list[_Worker]:
    """The staff the slot may list: the requested member, or everyone if anyone will do."""
    end = start + rule.duration
    blocked = rule.blocked(start)
    if staff_id is not None:
        chosen = [w for w in workers if w.id == staff_id]
        if not chosen:
            raise StaffNotQualified.field(
                "staff_id", _l("This staff member does not offer this service.")
            )
        if not chosen[0].works(start, end):
            raise StaffNotWorking.field(
                "staff_id", _l("This staff member is not working at this time.")
            )
        if not chosen[0].free(blocked):
            raise StaffBusy(
                _l("This staff member is already booked at this time."),
                start=start.isoformat(),
                staff_id=staff_id,
            )
        return chosen
    if not rule.needs_staff:
        return []
    working = [w for w in workers if w.works(start, end)]
    if not working:
        raise NoStaffWorking.field(
            "start", _l("No one who offers this service is working at this time.")
        )
    if not any(w.free(blocked) for w in working):
        raise NoStaffFree(
            _l("Everyone offering this service is booked at this time."), start=start.isoformat()
        )
    return working


# --- Public API ---------------------------------------------------------------------------


def day_slots(
    schedule: Schedule,
    rule: ServiceRule,
    day: date,
    *,
    now: datetime,
    staff: Sequence[StaffMember],
    resources: Sequence[Resource],
    party: int = 1,
) -> list[Slot]:
    """Every bookable start on the store-local ``day``, in time order. ``staff`` are the
    members who perform the service; refuses a party out of range (see the module doc)."""
    now = _utc(now)
    _check_party(rule, resources, party)
    if day > _last_day(schedule, rule, now):
        return []
    starts = _candidate_starts(schedule, rule, day, earliest=now + rule.lead)
    if not starts:
        return []
    workers = _workers(staff, starts[0], starts[-1]) if rule.needs_staff else []
    rooms = _fitting(resources, party) if rule.needs_resource else []
    slots = (_slot_at(rule, start, workers, rooms) for start in starts)
    return [slot for slot in slots if slot is not None]


def check(
    schedule: Schedule,
    rule: ServiceRule,
    start: datetime,
    *,
    now: datetime,
    staff: Sequence[StaffMember],
    resources: Sequence[Resource],
    party: int = 1,
    staff_id: Id | None = None,
) -> Slot:
    """The slot at ``start`` if it can be booked (with ``staff_id`` if given), else the first
    reason it cannot: a ``SlotRefused`` (422) for a time or party the service does not offer,
    a ``SlotTaken`` (409) when who or what it needs is booked. Accepts exactly the starts
    ``day_slots`` returns."""
    start, now = _utc(start), _utc(now)
    _check_when(schedule, rule, start, now)
    _check_party(rule, resources, party)
    _check_opening(schedule, rule, start)
    if staff_id is not None:  # only the requested member's calendar is worth indexing
        staff = [m for m in staff if m.id == staff_id]
    elif not rule.needs_staff:
        staff = []
    workers = _check_staff(rule, start, _workers(staff, start, start), staff_id)
    rooms = _fitting(resources, party) if rule.needs_resource else []
    slot = _slot_at(rule, start, workers, rooms)
    if slot is None:  # staff were checked above, so it is the resource that is missing
        raise NoResourceFree(
            _l("No suitable table or room is free at this time."), start=start.isoformat()
        )
    return slot


def check_when(
    schedule: Schedule, rule: ServiceRule, start: datetime, *, now: datetime, party: int = 1
) -> None:
    """Refuse a start that exists already (a group session's) by the clock and the party
    alone: past, too soon, beyond the horizon, a party out of range. Its hours, grid, staff
    and room were checked when it was opened."""
    start, now = _utc(start), _utc(now)
    _check_when(schedule, rule, start, now)
    _check_party(rule, (), party)


def in_window(schedule: Schedule, rule: ServiceRule, start: datetime, *, now: datetime) -> bool:
    """Whether ``day_slots`` may list ``start`` by the clock: not before now + lead time, not
    after the horizon."""
    start, now = _utc(start), _utc(now)
    return start >= now + rule.lead and \
        start.astimezone(schedule.tz).date() <= _last_day(schedule, rule, now)


def assign(
    slot: Slot, staff: Sequence[StaffMember], resources: Sequence[Resource], *, party: int
) -> tuple[Id | None, Id | None]:
    """Who and what serve an "anyone available" booking of ``slot``: the free staff member
    with the fewest bookings (ties by id), so work is shared; the smallest free resource that
    fits the party (ties by id), so a couple does not take the table for eight."""
    free_staff = [m for m in staff if m.id in slot.staff_ids]
    member = min(free_staff, key=lambda m: (m.booked_count, m.id), default=None)
    fitting = [r for r in resources if r.id in slot.resource_ids and r.capacity >= party]
    resource = min(fitting, key=lambda r: (r.capacity, r.id), default=None)
    return (
        member.id if member is not None else None,
        resource.id if resource is not None else None,
    )
