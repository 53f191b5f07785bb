"""Pickup windows from opening hours: local days, overnight spans, exceptions, lead time,
daylight saving, and the checks a chosen slot must pass (no database involved)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from marketplace.errors import ValidationError
from marketplace.fulfilment.slots import checked_window, windows
from marketplace.stores.hours import Interval, Schedule

HCM = ZoneInfo("Asia/Ho_Chi_Minh")   # UTC+7 all year
NYC = ZoneInfo("America/New_York")   # DST: 2026-03-08 02:00→03:00, 2026-11-01 02:00→01:00
WED = date(2026, 12, 2)              # a Wednesday
EARLY = datetime(2000, 1, 1, tzinfo=UTC)


def local_starts(found, tz):
    return [start.astimezone(tz).strftime("%H:%M") for start, _end in found]


def test_windows_fill_the_span_and_only_whole_slots_fit():
    hours = Schedule(HCM, {WED.weekday(): [Interval(time(8), time(9, 45))]})
    found = windows(hours, WED, slot_minutes=30, earliest=EARLY)
    assert local_starts(found, HCM) == ["08:00", "08:30", "09:00"]  # 09:30 would end 10:00
    assert all(end - start == timedelta(minutes=30) for start, end in found)
    assert all(start.tzinfo is UTC for start, _end in found)


def test_lead_time_drops_windows_that_start_too_soon():
    hours = Schedule(HCM, {WED.weekday(): [Interval(time(8), time(10))]})
    earliest = datetime(2026, 12, 2, 8, 40, tzinfo=HCM)
    found = windows(hours, WED, slot_minutes=30, earliest=earliest)
    assert local_starts(found, HCM) == ["09:00", "09:30"]


def test_two_intervals_a_day_and_a_closed_day():
    hours = Schedule(HCM, {WED.weekday(): [Interval(time(14), time(15)),
                                           Interval(time(8), time(9))]})
    assert local_starts(windows(hours, WED, slot_minutes=60, earliest=EARLY), HCM) == \
        ["08:00", "14:00"]
    assert windows(hours, WED + timedelta(days=1), slot_minutes=60, earliest=EARLY) == []


def test_an_overnight_span_gives_slots_to_both_local_days():
    friday = date(2026, 12, 4)
    hours = Schedule(HCM, {friday.weekday(): [Interval(time(22), time(2), overnight=True)]})
    assert local_starts(windows(hours, friday, slot_minutes=60, earliest=EARLY), HCM) == \
        ["22:00", "23:00"]
    saturday = friday + timedelta(days=1)
    assert local_starts(windows(hours, saturday, slot_minutes=60, earliest=EARLY), HCM) == \
        ["00:00", "01:00"]


def test_exceptions_close_a_day_or_replace_its_hours():
    weekly = {WED.weekday(): [Interval(time(8), time(20))]}
    holiday = Schedule(HCM, weekly, {WED: []})
    assert windows(holiday, WED, slot_minutes=30, earliest=EARLY) == []
    short = Schedule(HCM, weekly, {WED: [Interval(time(10), time(11))]})
    assert local_starts(windows(short, WED, slot_minutes=30, earliest=EARLY), HCM) == \
        ["10:00", "10:30"]
    # A closed exception on the day an overnight span starts removes its early hours too.
    thursday = WED + timedelta(days=1)
    night = Schedule(HCM, {WED.weekday(): [Interval(time(20), time(2), overnight=True)]},
                     {WED: []})
    assert windows(night, thursday, slot_minutes=60, earliest=EARLY) == []


def test_spring_forward_slots_keep_their_length():
    saturday = date(2026, 3, 7)
    hours = Schedule(NYC, {saturday.weekday(): [Interval(time(22), time(6), overnight=True)]})
    sunday = saturday + timedelta(days=1)
    found = windows(hours, sunday, slot_minutes=60, earliest=EARLY)
    # 22:00 EST to 06:00 EDT is seven real hours; 02:00 does not exist on that Sunday.
    assert local_starts(found, NYC) == ["00:00", "01:00", "03:00", "04:00", "05:00"]
    assert all(end - start == timedelta(hours=1) for start, end in found)
    both = windows(hours, saturday, slot_minutes=60, earliest=EARLY) + found
    assert len(both) == 7


def test_fall_back_offers_the_repeated_hour_twice():
    sunday = date(2026, 11, 1)
    hours = Schedule(NYC, {sunday.weekday(): [Interval(time(0), time(4))]})
    found = windows(hours, sunday, slot_minutes=60, earliest=EARLY)
    # Five real hours between 00:00 EDT and 04:00 EST: 01:00 comes once in each offset.
    assert local_starts(found, NYC) == ["00:00", "01:00", "01:00", "02:00", "03:00"]
    assert len({start for start, _end in found}) == 5
    assert [start.utcoffset() for start, _end in found] == [timedelta(0)] * 5


def store(**changes):
    """The attributes of a store the slot checks read, without a database."""
    hours = [SimpleNamespace(weekday=day, opens=time(8), closes=time(22), overnight=False)
             for day in range(7)]
    values = {"timezone": "Asia/Ho_Chi_Minh", "hours": hours, "exceptions": [],
              "pickup_lead_minutes": 60, "pickup_slot_minutes": 30}
    return SimpleNamespace(**(values | changes))


NOW = datetime(2026, 12, 2, 9, 0, tzinfo=HCM).astimezone(UTC)


def test_a_real_future_window_is_accepted():
    start = datetime(2026, 12, 2, 10, 30, tzinfo=HCM).astimezone(UTC)
    assert checked_window(store(), start, now=NOW, horizon_days=14) == \
        (start, start + timedelta(minutes=30))


@pytest.mark.parametrize(("moment", "message"), [
    (datetime(2026, 12, 2, 9, 30, tzinfo=HCM), "too soon"),         # inside the lead time
    (datetime(2026, 12, 2, 7, 0, tzinfo=HCM), "too soon"),          # in the past
    (datetime(2026, 12, 16, 10, 0, tzinfo=HCM), "too far ahead"),   # day 14 of a 14-day horizon
    (datetime(2026, 12, 2, 10, 15, tzinfo=HCM), "does not offer"),  # not on a slot boundary
    (datetime(2026, 12, 2, 21, 45, tzinfo=HCM), "does not offer"),  # would end after closing
    (datetime(2026, 12, 3, 6, 0, tzinfo=HCM), "does not offer"),    # before opening
])
def test_windows_that_are_not_offered_are_refused(moment, message):
    with pytest.raises(ValidationError, match=message) as refused:
        checked_window(store(), moment.astimezone(UTC), now=NOW, horizon_days=14)
    assert list(refused.value.fields) == ["slot_start"]


def test_the_last_day_of_the_horizon_is_offered():
    last = datetime(2026, 12, 15, 10, 0, tzinfo=HCM).astimezone(UTC)
    assert checked_window(store(), last, now=NOW, horizon_days=14)[0] == last


def test_a_holiday_refuses_its_windows():
    holiday = SimpleNamespace(date=date(2026, 12, 3), closed=True, intervals=[])
    start = datetime(2026, 12, 3, 10, 0, tzinfo=HCM).astimezone(UTC)
    with pytest.raises(ValidationError, match="does not offer"):
        checked_window(store(exceptions=[holiday]), start, now=NOW, horizon_days=14)
