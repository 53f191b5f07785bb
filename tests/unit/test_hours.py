"""Opening hours: open now / next opening in the store's time zone, overnight, exceptions."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.errors import ValidationError
from marketplace.stores.hours import Interval, Schedule, validate_weekly

HCM = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7, no DST


def local(*args, tz=HCM):
    return datetime(*args, tzinfo=tz)


def schedule(weekly=None, exceptions=None, tz=HCM):
    return Schedule(tz, weekly or {}, exceptions or {})


def test_open_and_closed_in_the_store_time_zone():
    s = schedule({d: [Interval(time(8), time(22))] for d in range(7)})
    # 2026-11-23 is a Monday. 01:30 UTC is 08:30 in Ho Chi Minh City.
    assert s.is_open(datetime(2026, 11, 23, 1, 30, tzinfo=UTC))
    assert not s.is_open(datetime(2026, 11, 23, 0, 30, tzinfo=UTC))  # 07:30 local
    assert s.next_opening(datetime(2026, 11, 23, 0, 30, tzinfo=UTC)) == local(2026, 11, 23, 8)
    assert s.closes_at(local(2026, 11, 23, 21)) == local(2026, 11, 23, 22)


def test_overnight_interval_covers_early_morning_of_next_day_even_on_a_holiday():
    friday_night = Interval(time(22), time(2), overnight=True)
    s = schedule({4: [friday_night]}, exceptions={date(2026, 11, 28): []})  # Sat closed
    assert s.is_open(local(2026, 11, 28, 1, 0))  # Saturday 01:00, still Friday's interval
    assert not s.is_open(local(2026, 11, 28, 2, 0))
    assert not s.is_open(local(2026, 11, 27, 21, 59))


def test_exception_replaces_hours_and_next_opening_skips_closed_days():
    s = schedule({d: [Interval(time(9), time(17))] for d in range(7)},
                 exceptions={date(2026, 11, 24): [], date(2026, 11, 25): [Interval(time(12),
                                                                                    time(14))]})
    assert not s.is_open(local(2026, 11, 24, 10))
    assert s.next_opening(local(2026, 11, 24, 10)) == local(2026, 11, 25, 12)
    assert not s.is_open(local(2026, 11, 25, 10))


def test_next_opening_in_a_dst_time_zone():
    paris = ZoneInfo("Europe/Paris")
    s = schedule({d: [Interval(time(9), time(18))] for d in range(7)}, tz=paris)
    # 2026-03-29: clocks go from 02:00 to 03:00 in Paris. 09:00 local is 07:00 UTC.
    assert s.next_opening(datetime(2026, 3, 29, 5, 0, tzinfo=UTC)) == \
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_around_the_clock_is_open_and_has_no_next_opening_gap():
    s = schedule({d: [Interval(time(0), time(0), overnight=True)] for d in range(7)})
    assert s.is_open(local(2026, 11, 23, 3))
    assert s.closes_at(local(2026, 11, 23, 3)) is None or \
        s.closes_at(local(2026, 11, 23, 3)) > local(2027, 1, 1)


@pytest.mark.parametrize("rows", [
    [(0, Interval(time(10), time(9)))],                      # inverted without overnight
    [(0, Interval(time(9), time(9)))],                       # empty
    [(0, Interval(time(8), time(12))), (0, Interval(time(11), time(14)))],  # overlap
    [(6, Interval(time(22), time(3), True)), (0, Interval(time(2), time(5)))],  # Sun→Mon
])
def test_invalid_weekly_hours_are_refused(rows):
    with pytest.raises(ValidationError) as info:
        validate_weekly(rows)
    assert any(k.startswith("hours[") for k in info.value.fields)


def test_touching_intervals_are_allowed():
    rows = [(0, Interval(time(8), time(12))), (0, Interval(time(12), time(20)))]
    assert len(validate_weekly(rows)) == 2


def _day_intervals(boundaries: list[int]) -> list[Interval]:
    points = sorted(set(boundaries))
    pairs = zip(points[::2], points[1::2], strict=False)
    return [Interval(time(a // 60, a % 60), time(b // 60, b % 60)) for a, b in pairs]


WEEKS = st.dictionaries(st.integers(0, 6),
                        st.lists(st.integers(0, 24 * 60 - 1), min_size=2, max_size=6),
                        min_size=1)
INSTANTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                        timezones=st.just(UTC))


@given(week=WEEKS, at=INSTANTS, tz=st.sampled_from(["Asia/Ho_Chi_Minh", "Europe/Paris",
                                                     "America/New_York"]))
def test_next_opening_and_closing_are_consistent(week, at, tz):
    weekly = {d: _day_intervals(b) for d, b in week.items()}
    rows = [(d, i) for d, intervals in weekly.items() for i in intervals]
    if not rows:
        return
    validate_weekly(rows)  # generated intervals never overlap
    s = schedule(weekly, tz=ZoneInfo(tz))
    opening = s.next_opening(at)
    assert opening is not None and opening > at
    assert s.is_open(opening)
    if s.is_open(at):
        closes = s.closes_at(at)
        assert closes is not None and closes > at
        assert not s.is_open(closes)
    else:
        assert not s.is_open(at + (opening - at) / 2)  # nothing opened in between
