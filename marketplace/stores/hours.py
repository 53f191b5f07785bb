"""Opening hours: pure functions over a store's weekly intervals and dated exceptions.

Hours are local to the store's time zone; instants are aware datetimes. An interval belongs to
the day it starts on, so a Friday 22:00–02:00 interval still covers Saturday 01:00 even when
Saturday is a holiday: an exception replaces the intervals that *start* on its date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from ..errors import ValidationError

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
# Long closures (Tết, renovation) are real: look this far ahead for the next opening.
SEARCH_DAYS = 366


@dataclass(frozen=True, slots=True)
class Interval:
    opens: time
    closes: time
    overnight: bool = False

    @property
    def minutes(self) -> int:
        start = self.opens.hour * 60 + self.opens.minute
        end = self.closes.hour * 60 + self.closes.minute
        return end - start + (MINUTES_PER_DAY if self.overnight else 0)

    def on(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(day, self.opens, tzinfo=tz)
        end_day = day + timedelta(days=1) if self.overnight else day
        return start, datetime.combine(end_day, self.closes, tzinfo=tz)


def parse_time(value, field_name: str) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    try:
        hours, minutes = str(value).strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise ValidationError.field(field_name, _l("Enter a time as HH:MM.")) from None


def validate_interval(interval: Interval, field_name: str) -> None:
    minutes = interval.minutes
    if minutes <= 0:
        raise ValidationError.field(
            field_name,
            _l("Closing time must be after opening time (tick “next day” for overnight hours)."))
    if minutes > MINUTES_PER_DAY:
        raise ValidationError.field(field_name, _l("An interval cannot last more than 24 hours."))


def validate_weekly(intervals: Iterable[tuple[int, Interval]]) -> list[tuple[int, Interval]]:
    """Check weekday range, direction and that no two intervals overlap (across midnight too)."""
    checked: list[tuple[int, Interval]] = []
    spans: list[tuple[int, int, int]] = []
    for index, (weekday, interval) in enumerate(intervals):
        name = f"hours[{index}]"
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValidationError.field(name, _l("Weekday must be 0 (Monday) to 6 (Sunday)."))
        validate_interval(interval, name)
        start = weekday * MINUTES_PER_DAY + interval.opens.hour * 60 + interval.opens.minute
        spans.append((start, start + interval.minutes, index))
        checked.append((weekday, interval))
    # Unroll the week once so Sunday-night intervals are compared with Monday morning.
    shifted = [(s + MINUTES_PER_WEEK, e + MINUTES_PER_WEEK, i) for s, e, i in spans]
    unrolled = sorted(spans + shifted)
    for (_s1, e1, i1), (s2, _e2, i2) in zip(unrolled, unrolled[1:], strict=False):
        if s2 < e1 and i1 != i2:
            raise ValidationError.field(f"hours[{max(i1, i2)}]", _l("Opening intervals overlap."))
    return checked


def validate_day(intervals: list[Interval], field_name: str) -> list[Interval]:
    """Intervals of one dated exception: each valid, none overlapping."""
    spans = []
    for index, interval in enumerate(intervals):
        validate_interval(interval, f"{field_name}[{index}]")
        start = interval.opens.hour * 60 + interval.opens.minute
        spans.append((start, start + interval.minutes))
    spans.sort()
    for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
        if s2 < e1:
            raise ValidationError.field(field_name, _l("Opening intervals overlap."))
    return intervals


@dataclass
class Schedule:
    """Everything needed to answer 'open now?' for one store, detached from the database."""

    tz: ZoneInfo
    weekly: dict[int, list[Interval]] = field(default_factory=dict)
    exceptions: Mapping[date, list[Interval]] = field(default_factory=dict)

    @classmethod
    def for_store(cls, store) -> Schedule:
        weekly: dict[int, list[Interval]] = {}
        for row in store.hours:
            weekly.setdefault(row.weekday, []).append(
                Interval(row.opens, row.closes, row.overnight))
        exceptions = {
            exc.date: [] if exc.closed else [interval_from_json(i) for i in exc.intervals]
            for exc in store.exceptions
        }
        return cls(ZoneInfo(store.timezone), weekly, exceptions)

    def intervals_starting(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open spans that start on local ``day`` (exception first, else the weekly hours)."""
        intervals = self.exceptions.get(day)
        if intervals is None:
            intervals = self.weekly.get(day.weekday(), [])
        return sorted(i.on(day, self.tz) for i in intervals)

    def current_interval(self, at: datetime) -> tuple[datetime, datetime] | None:
        local_day = at.astimezone(self.tz).date()
        for day in (local_day - timedelta(days=1), local_day):
            for start, end in self.intervals_starting(day):
                if start <= at < end:
                    return start, end
        return None

    def is_open(self, at: datetime) -> bool:
        return self.current_interval(at) is not None

    def closes_at(self, at: datetime) -> datetime | None:
        """When the current opening ends, following back-to-back intervals (e.g. 24 h days)."""
        span = self.current_interval(at)
        if span is None:
            return None
        end = span[1]
        for _ in range(SEARCH_DAYS):
            following = self.current_interval(end)
            if following is None or following[1] <= end:
                return end
            end = following[1]
        return None

    def next_opening(self, at: datetime) -> datetime | None:
        """The first opening strictly after ``at`` (None if closed for the whole search)."""
        local_day = at.astimezone(self.tz).date()
        for offset in range(-1, SEARCH_DAYS):
            for start, _end in self.intervals_starting(local_day + timedelta(days=offset)):
                if start > at:
                    return start
        return None


def interval_from_json(data: Mapping) -> Interval:
    return Interval(parse_time(data["opens"], "opens"), parse_time(data["closes"], "closes"),
                    bool(data.get("overnight", False)))


def interval_to_json(interval: Interval) -> dict:
    return {"opens": interval.opens.strftime("%H:%M"),
            "closes": interval.closes.strftime("%H:%M"),
            "overnight": interval.overnight}
