"""Appointment availability (plugins/booking_appointments/availability.py): opening and
working hours, lead time, horizon, buffers, staff plus room, best fit, fair assignment, every
refusal of ``check``, overnight spans, daylight saving, and properties against a brute force."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.errors import Conflict, MarketplaceError, ValidationError
from marketplace.stores.hours import Interval, Schedule


def _load_availability():
    """The plugin folder is not a package yet, so the module is loaded from its file."""
    path = Path(__file__).resolve().parents[2] / "plugins/booking_appointments/availability.py"
    spec = importlib.util.spec_from_file_location("booking_appointments_availability", path)
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up in sys.modules while the class body is built.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


av = _load_availability()

HCM = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7 all year
BERLIN = ZoneInfo("Europe/Berlin")  # DST: 2026-03-29 02:00→03:00, 2026-10-25 03:00→02:00
WED = date(2026, 12, 2)  # a Wednesday
THU = WED + timedelta(days=1)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=HCM)  # the day before, so nothing is too soon


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = HCM) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def daily(*spans: tuple[int, int], tz: ZoneInfo = HCM, exceptions=None) -> Schedule:
    """The same hours (whole hours, same day) every day of the week."""
    intervals = [Interval(time(opens), time(closes)) for opens, closes in spans]
    return Schedule(tz, {weekday: intervals for weekday in range(7)}, exceptions or {})


def clock(slots, tz: ZoneInfo = HCM) -> list[str]:
    return [slot.start.astimezone(tz).strftime("%H:%M") for slot in slots]


def member(staff_id, *spans, busy=(), booked=0, exceptions=None):
    return av.StaffMember(staff_id, daily(*spans, exceptions=exceptions), busy, booked)


def rule(**changes):
    return av.ServiceRule(**({"duration_minutes": 60, "step_minutes": 30} | changes))


# --- Opening hours, lead time, horizon -----------------------------------------------------


def test_slots_fill_the_opening_and_only_whole_services_fit():
    slots = av.day_slots(
        daily((9, 12)), rule(needs_staff=False), WED, now=NOW, staff=[], resources=[]
    )
    assert clock(slots) == ["09:00", "09:30", "10:00", "10:30", "11:00"]  # 11:30 ends 12:30
    assert all(s.end - s.start == timedelta(hours=1) for s in slots)
    assert all(s.start.tzinfo is UTC and s.staff_ids == s.resource_ids == () for s in slots)


def test_a_closed_day_and_a_holiday_have_no_slots():
    hours = daily((9, 12), exceptions={THU: []})
    assert av.day_slots(hours, rule(needs_staff=False), THU, now=NOW, staff=[], resources=[]) == []


def test_lead_time_drops_starts_that_are_too_soon_and_the_past_is_never_offered():
    now = datetime(2026, 12, 2, 9, 40, tzinfo=HCM)
    hours, service = daily((9, 12)), rule(needs_staff=False, lead_minutes=30)
    assert clock(av.day_slots(hours, service, WED, now=now, staff=[], resources=[])) == [
        "10:30",
        "11:00",
    ]
    yesterday = WED - timedelta(days=1)
    assert av.day_slots(hours, service, yesterday, now=now, staff=[], resources=[]) == []


def test_the_horizon_ends_with_its_last_day():
    now = datetime(2026, 12, 2, 8, 0, tzinfo=HCM)
    service = rule(needs_staff=False, horizon_days=2)
    last, beyond = WED + timedelta(days=2), WED + timedelta(days=3)
    assert av.day_slots(daily((9, 12)), service, last, now=now, staff=[], resources=[])
    assert av.day_slots(daily((9, 12)), service, beyond, now=now, staff=[], resources=[]) == []


def test_back_to_back_openings_count_as_one():
    hours = daily((8, 12), (12, 18))
    service = rule(duration_minutes=90, step_minutes=30)
    staff = [av.StaffMember(1, daily((8, 12), (12, 18)))]
    starts = clock(av.day_slots(hours, service, WED, now=NOW, staff=staff, resources=[]))
    assert "11:30" in starts and starts[-1] == "16:30"
    assert av.check(hours, service, at(WED, 11, 30), now=NOW, staff=staff, resources=[])


def test_an_overnight_opening_gives_slots_on_both_sides_of_midnight():
    friday = date(2026, 12, 4)
    night = [Interval(time(20), time(2), overnight=True)]
    hours = Schedule(HCM, {friday.weekday(): night})
    staff = [av.StaffMember(1, Schedule(HCM, {friday.weekday(): night}))]
    saturday = friday + timedelta(days=1)
    found = av.day_slots(hours, rule(), saturday, now=NOW, staff=staff, resources=[])
    assert clock(found) == ["00:00", "00:30", "01:00"]
    on_friday = av.day_slots(hours, rule(), friday, now=NOW, staff=staff, resources=[])
    assert clock(on_friday)[0] == "20:00" and clock(on_friday)[-1] == "23:30"
    slot = av.check(hours, rule(), at(saturday, 0, 30), now=NOW, staff=staff, resources=[])
    assert slot.staff_ids == (1,)


# --- Daylight saving -----------------------------------------------------------------------


def berlin_sunday(day: date, *, overnight_from_saturday: bool = False) -> Schedule:
    if overnight_from_saturday:
        saturday = day - timedelta(days=1)
        return Schedule(BERLIN, {saturday.weekday(): [Interval(time(22), time(4), True)]})
    return Schedule(BERLIN, {day.weekday(): [Interval(time(0), time(6))]})


@pytest.mark.parametrize(
    ("day", "overnight", "expected"),
    [
        # 00:00 CET to 06:00 CEST is five real hours; 02:00–03:00 does not exist.
        (
            date(2026, 3, 29),
            False,
            ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00", "04:30", "05:00"],
        ),
        # An overnight span across the change: Saturday 22:00 CET to Sunday 04:00 CEST.
        (date(2026, 3, 29), True, ["00:00", "00:30", "01:00", "01:30", "03:00"]),
        # 00:00 CEST to 06:00 CET is seven real hours; 02:00 and 02:30 come once per offset.
        (
            date(2026, 10, 25),
            False,
            ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "02:00", "02:30"]
            + ["03:00", "03:30", "04:00", "04:30", "05:00"],
        ),
    ],
)
def test_daylight_saving_keeps_slot_lengths_and_skips_or_repeats_nothing_wrongly(
    day, overnight, expected
):
    hours = berlin_sunday(day, overnight_from_saturday=overnight)
    staff = [av.StaffMember(1, hours)]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    service = rule(horizon_days=365)
    found = av.day_slots(hours, service, day, now=now, staff=staff, resources=[])
    assert clock(found, BERLIN) == expected
    assert all(s.end - s.start == timedelta(hours=1) for s in found)
    gaps = {b.start - a.start for a, b in zip(found, found[1:], strict=False)}
    assert gaps == {timedelta(minutes=30)}  # absolute steps: nothing duplicated or skipped
    for slot in found:
        assert av.check(hours, service, slot.start, now=now, staff=staff, resources=[]) == slot


# --- Buffers, staff, resources -------------------------------------------------------------


def test_buffers_block_neighbours_but_touching_intervals_are_fine():
    busy = [(at(WED, 10), at(WED, 11))]
    staff = [member(1, (9, 13), busy=busy)]
    service = rule(
        duration_minutes=30, step_minutes=15, buffer_before_minutes=10, buffer_after_minutes=15
    )
    starts = clock(av.day_slots(daily((9, 13)), service, WED, now=NOW, staff=staff, resources=[]))
    # 09:15 blocks 09:05–10:00 and touches the booking; 09:30 would block until 10:15.
    # 11:15 blocks from 11:05; 11:00 would block from 10:50. 09:00 blocks from 08:50, before
    # opening: preparing before the doors open is allowed.
    assert starts[:3] == ["09:00", "09:15", "11:15"]
    assert starts[-1] == "12:30"


def test_staff_shifts_and_a_day_off():
    staff = [member("ana", (9, 13)), member("bao", (13, 18), exceptions={WED: []})]
    on_wed = av.day_slots(daily((9, 18)), rule(), WED, now=NOW, staff=staff, resources=[])
    assert clock(on_wed)[-1] == "12:00"  # Bao is off: nobody works after 13:00
    assert {s.staff_ids for s in on_wed} == {("ana",)}
    on_thu = av.day_slots(daily((9, 18)), rule(), THU, now=NOW, staff=staff, resources=[])
    assert clock(on_thu)[-1] == "17:00"
    by_start = {clock([s])[0]: s.staff_ids for s in on_thu}
    assert by_start["12:00"] == ("ana",)
    assert "12:30" not in by_start  # Ana's shift ends at 13:00, Bao's starts then
    assert by_start["13:00"] == ("bao",)


def test_a_service_needing_staff_and_a_room_needs_both_free_at_once():
    service = rule(needs_resource=True, party_max=2)
    staff_busy = [(at(WED, 10), at(WED, 11))]
    room_busy = [(at(WED, 11), at(WED, 12))]
    staff = [member(1, (9, 13), busy=staff_busy)]
    rooms = [av.Resource("room", 2, room_busy)]
    found = av.day_slots(daily((9, 13)), service, WED, now=NOW, staff=staff, resources=rooms)
    assert clock(found) == ["09:00", "12:00"]
    assert all(s.staff_ids == (1,) and s.resource_ids == ("room",) for s in found)
    # With either of them free all morning, the other's busy hour alone removes its slots.
    free_room = [av.Resource("room", 2)]
    only_staff = av.day_slots(
        daily((9, 13)), service, WED, now=NOW, staff=staff, resources=free_room
    )
    assert clock(only_staff) == ["09:00", "11:00", "11:30", "12:00"]


def test_best_fit_table_and_a_party_too_large():
    service = rule(needs_staff=False, needs_resource=True, party_max=10)
    tables = [av.Resource(8, 8), av.Resource(2, 2), av.Resource(4, 4)]
    slots = av.day_slots(daily((9, 12)), service, WED, now=NOW, staff=[], resources=tables, party=2)
    assert slots[0].resource_ids == (8, 2, 4)
    assert av.assign(slots[0], [], tables, party=2) == (None, 2)
    assert av.assign(slots[0], [], tables, party=3) == (None, 4)
    assert av.assign(av.Slot(slots[0].start, slots[0].end, (), (8, 4)), [], tables, party=2) == (
        None,
        4,
    )
    for_five = av.day_slots(
        daily((9, 12)), service, WED, now=NOW, staff=[], resources=tables, party=5
    )
    assert for_five[0].resource_ids == (8,)
    with pytest.raises(av.PartyTooLarge) as refused:
        av.day_slots(daily((9, 12)), service, WED, now=NOW, staff=[], resources=tables, party=9)
    assert refused.value.code == "party_too_large" and list(refused.value.fields) == ["party"]


def test_fair_assignment_picks_the_least_booked_then_the_lowest_id():
    staff = [
        member(7, (9, 12), booked=3),
        member(9, (9, 12), booked=1),
        member(5, (9, 12), booked=1),
    ]
    slot = av.day_slots(daily((9, 12)), rule(), WED, now=NOW, staff=staff, resources=[])[0]
    assert slot.staff_ids == (7, 9, 5)
    assert av.assign(slot, staff, [], party=1) == (5, None)
    without_five = av.Slot(slot.start, slot.end, (7, 9))
    assert av.assign(without_five, staff, [], party=1) == (9, None)
    assert av.assign(av.Slot(slot.start, slot.end), staff, [], party=1) == (None, None)


def test_a_prepared_busy_index_is_used_as_it_is():
    index = av.BusyIndex([(at(WED, 10), at(WED, 11)), (at(WED, 10, 30), at(WED, 12))])
    assert av.BusyIndex.of(index) is index and len(index) == 1  # merged
    staff = [av.StaffMember(1, daily((9, 13)), index)]
    found = av.day_slots(daily((9, 13)), rule(), WED, now=NOW, staff=staff, resources=[])
    assert clock(found) == ["09:00", "12:00"]


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="aware"):
        av.check(daily((9, 12)), rule(), datetime(2026, 12, 2, 10), now=NOW, staff=[], resources=[])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"step_minutes": 0}, "step_minutes"),
        ({"buffer_after_minutes": -5}, "buffer_after_minutes"),
        ({"lead_minutes": -1}, "lead_minutes"),
        ({"party_min": 0}, "party_min"),
        ({"party_min": 3, "party_max": 2}, "party_max"),
    ],
)
def test_a_rule_that_makes_no_sense_is_refused(changes, field):
    with pytest.raises(ValidationError) as refused:
        rule(**changes)
    assert list(refused.value.fields) == [field]


# --- Every reason check() gives --------------------------------------------------------------

CHECK_NOW = datetime(2026, 12, 2, 8, 0, tzinfo=HCM)
CHECK_RULE = av.ServiceRule(
    duration_minutes=60,
    buffer_after_minutes=15,
    step_minutes=30,
    lead_minutes=60,
    horizon_days=7,
    needs_staff=True,
    needs_resource=True,
    party_min=1,
    party_max=6,
)
ANA = member(1, (9, 18), busy=[(at(WED, 14), at(WED, 15))])
BAO = member(2, (9, 13))
ROOMS = [av.Resource(10, 2), av.Resource(11, 4, [(at(WED, 16), at(WED, 17))])]


def check_at(start, *, staff=(ANA, BAO), party=1, staff_id=None):
    return av.check(
        daily((9, 18)),
        CHECK_RULE,
        start,
        now=CHECK_NOW,
        staff=list(staff),
        resources=ROOMS,
        party=party,
        staff_id=staff_id,
    )


@pytest.mark.parametrize(
    ("start", "options", "error", "code"),
    [
        (at(WED, 7), {}, av.SlotInPast, "slot_in_past"),
        (at(WED, 8, 30), {}, av.SlotTooSoon, "slot_too_soon"),
        (at(WED + timedelta(days=8), 10), {}, av.SlotBeyondHorizon, "slot_beyond_horizon"),
        (at(WED, 10), {"party": 7}, av.PartyOutOfRange, "party_out_of_range"),
        (at(WED, 10), {"party": 0}, av.PartyOutOfRange, "party_out_of_range"),
        (at(WED, 10), {"party": 5}, av.PartyTooLarge, "party_too_large"),
        (at(WED, 18), {}, av.StoreClosed, "store_closed"),  # closing time is not open
        (at(WED, 8, 45), {}, av.SlotTooSoon, "slot_too_soon"),  # also before opening
        (at(THU, 6), {}, av.StoreClosed, "store_closed"),
        (at(WED, 17, 30), {}, av.SlotExceedsOpening, "slot_exceeds_opening"),
        (at(WED, 10, 15), {}, av.SlotOffGrid, "slot_off_grid"),
        (at(WED, 10), {"staff_id": 99}, av.StaffNotQualified, "staff_not_qualified"),
        (at(WED, 14), {"staff_id": 2}, av.StaffNotWorking, "staff_not_working"),
        (at(WED, 14), {"staff_id": 1}, av.StaffBusy, "staff_busy"),
        # The buffer after 13:00 reaches 14:15, into Ana's booking.
        (at(WED, 13), {"staff_id": 1}, av.StaffBusy, "staff_busy"),
        (at(WED, 15), {"staff": [BAO]}, av.NoStaffWorking, "no_staff_working"),
        (at(WED, 14), {"staff": [ANA]}, av.NoStaffFree, "no_staff_free"),
        (at(WED, 16), {"party": 3}, av.NoResourceFree, "no_resource_free"),
    ],
)
def test_check_gives_each_reason_with_a_stable_code(start, options, error, code):
    with pytest.raises(error) as refused:
        check_at(start, **options)
    assert refused.value.code == code
    if issubclass(error, av.SlotTaken):
        assert isinstance(refused.value, Conflict) and refused.value.status == 409
        assert refused.value.to_problem()["start"] == start.isoformat()
    else:
        assert isinstance(refused.value, ValidationError) and refused.value.status == 422
        assert len(refused.value.fields) == 1


def test_check_returns_the_slot_with_who_and_what_is_free():
    slot = check_at(at(WED, 10), party=3)
    assert slot == av.Slot(at(WED, 10), at(WED, 11), (1, 2), (11,))
    assert check_at(at(WED, 10), staff_id=2).staff_ids == (2,)
    # The earliest allowed start is exactly now + lead; touching a booking is allowed.
    assert check_at(at(WED, 9)).start == at(WED, 9)
    assert check_at(at(WED, 15), staff_id=1).staff_ids == (1,)


def test_a_refusal_says_what_would_be_accepted():
    with pytest.raises(av.PartyOutOfRange) as refused:
        check_at(at(WED, 10), party=7)
    assert refused.value.fields["party"] == ["Choose between 1 and 6 people."]
    assert refused.value.to_problem()["code"] == "party_out_of_range"


def test_a_slot_that_fails_for_several_reasons_gives_the_first():
    with pytest.raises(av.SlotInPast):  # also before opening and off the grid
        check_at(at(WED, 6, 10))
    with pytest.raises(av.PartyOutOfRange):  # also closed
        check_at(at(WED, 20), party=9)
    with pytest.raises(av.StoreClosed):  # also off the grid
        check_at(at(WED, 19, 10))


# --- Properties ----------------------------------------------------------------------------

PROPERTY_DAY = WED
MINUTE = timedelta(minutes=1)


def minutes(count: int) -> datetime:
    """An instant ``count`` minutes after local midnight of the property day."""
    return at(PROPERTY_DAY, 0) + count * MINUTE


busy_lists = st.lists(
    st.tuples(st.integers(6 * 60, 22 * 60), st.integers(5, 180)).map(
        lambda pair: (minutes(pair[0]), minutes(pair[0] + pair[1]))
    ),
    max_size=6,
)


def overlaps_naively(busy, start, end) -> bool:
    return any(b_start < end and start < b_end and b_start < b_end for b_start, b_end in busy)


@given(
    intervals=st.lists(st.tuples(st.integers(0, 200), st.integers(-20, 120)), max_size=20),
    length=st.integers(1, 90),
)
def test_busy_index_agrees_with_a_scan(intervals, length):
    busy = [(minutes(s), minutes(s + duration)) for s, duration in intervals]
    index = av.BusyIndex(busy)
    for offset in range(-100, 340):  # every start around the busy time, so every edge is hit
        start, end = minutes(offset), minutes(offset + length)
        assert index.overlaps(start, end) == overlaps_naively(busy, start, end), offset


@st.composite
def scenarios(draw):
    opens, closes = draw(st.integers(6, 10)), draw(st.integers(16, 22))
    service = av.ServiceRule(
        duration_minutes=draw(st.sampled_from([15, 30, 45, 60, 90, 120])),
        buffer_before_minutes=draw(st.sampled_from([0, 5, 10, 30])),
        buffer_after_minutes=draw(st.sampled_from([0, 10, 15, 30])),
        step_minutes=draw(st.sampled_from([10, 15, 20, 30])),
        lead_minutes=draw(st.sampled_from([0, 30, 120])),
        needs_staff=draw(st.booleans()),
        needs_resource=draw(st.booleans()),
        party_max=6,
    )
    staff = [
        av.StaffMember(
            index, daily((start, start + length)), draw(busy_lists), draw(st.integers(0, 5))
        )
        for index, (start, length) in enumerate(
            draw(st.lists(st.tuples(st.integers(6, 14), st.integers(2, 9)), max_size=3))
        )
    ]
    resources = [
        av.Resource(100 + index, capacity, draw(busy_lists))
        for index, capacity in enumerate(draw(st.lists(st.integers(1, 6), max_size=3)))
    ]
    now = minutes(7 * 60 + 5 * draw(st.integers(0, 72)))
    party = draw(st.integers(1, 4))
    return daily((opens, closes)), (opens, closes), service, staff, resources, now, party


def expected_slots(hours, service, staff, resources, now, party):
    """A brute force of the rules for one same-day opening: every start, every booking."""
    opens, closes = at(PROPERTY_DAY, hours[0]), at(PROPERTY_DAY, hours[1])
    found = []
    start = opens
    while start + service.duration <= closes:
        end = start + service.duration
        blocked = service.blocked(start)
        free_staff = tuple(
            m.id
            for m in staff
            if m.schedule.is_open(start)
            and m.schedule.closes_at(start) >= end
            and not overlaps_naively(m.busy, *blocked)
        )
        free_rooms = tuple(
            r.id
            for r in resources
            if r.capacity >= party and not overlaps_naively(r.busy, *blocked)
        )
        needs_met = (free_staff or not service.needs_staff) and (
            free_rooms or not service.needs_resource
        )
        if start >= now + service.lead and needs_met:
            found.append(
                av.Slot(
                    start,
                    end,
                    free_staff if service.needs_staff else (),
                    free_rooms if service.needs_resource else (),
                )
            )
        start += service.step
    return found


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_day_slots_match_a_brute_force_and_check_accepts_exactly_them(scenario):
    schedule, hours, service, staff, resources, now, party = scenario
    options = {"now": now, "staff": staff, "resources": resources, "party": party}
    if service.needs_resource and resources and max(r.capacity for r in resources) < party:
        with pytest.raises(av.PartyTooLarge):
            av.day_slots(schedule, service, PROPERTY_DAY, **options)
        return
    found = av.day_slots(schedule, service, PROPERTY_DAY, **options)
    assert found == expected_slots(hours, service, staff, resources, now, party)
    by_id = {m.id: m for m in staff} | {r.id: r for r in resources}
    for slot in found:
        blocked = service.blocked(slot.start)
        assert slot.end - slot.start == service.duration
        assert not any(overlaps_naively(by_id[i].busy, *blocked) for i in slot.staff_ids)
        assert not any(overlaps_naively(by_id[i].busy, *blocked) for i in slot.resource_ids)
        assert all(by_id[i].capacity >= party for i in slot.resource_ids)
    accepted = set()
    for step in range(0, 24 * 60, 5):
        start = minutes(step)
        try:
            slot = av.check(schedule, service, start, **options)
        except (av.SlotRefused, av.SlotTaken):
            continue
        except MarketplaceError as unexpected:  # pragma: no cover - the failure it reports
            pytest.fail(f"check raised {unexpected.code} outside its refusals")
        accepted.add(slot)
    assert accepted == set(found)
