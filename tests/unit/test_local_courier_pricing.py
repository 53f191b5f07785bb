"""The local courier's prices and promises (plugins/delivery_local_courier/pricing.py): tiers
at their limits, per started km beyond them, free delivery, zones by radius and by district,
same-day and express windows (cut-off, closing, holidays, daylight saving), cash on delivery,
every refusal code, settings validation, and the fee never falling as the distance grows."""

from __future__ import annotations

import importlib.util
import math
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.errors import ValidationError
from marketplace.search.geo import EARTH_RADIUS_M
from marketplace.stores.hours import Interval, Schedule


def _load_pricing():
    """The module from its file: the plugin package is importable only under the name the
    platform gives built-ins when an app loads them, and these tests need no app."""
    path = Path(__file__).resolve().parents[2] / "plugins/delivery_local_courier/pricing.py"
    spec = importlib.util.spec_from_file_location("delivery_local_courier_pricing", path)
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up in sys.modules while the class body is built.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


pr = _load_pricing()

HCM = ZoneInfo("Asia/Ho_Chi_Minh")  # UTC+7 all year
BERLIN = ZoneInfo("Europe/Berlin")  # DST: 2026-03-29 02:00→03:00, 2026-10-25 03:00→02:00
WED = date(2026, 12, 2)  # a Wednesday
THU, FRI = WED + timedelta(days=1), WED + timedelta(days=2)
STORE = (10.7769, 106.7009)  # near Nhà thờ Đức Bà, District 1
BASE = {
    "tiers": [[3, 15_000], [7, 25_000]],
    "per_km_beyond": 5_000,
    "zones": [{"kind": "radius", "km": 20}],
    "same_day": {"cutoff": "15:00"},
    "express": {"hours": 2, "fee": 20_000},
}


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = HCM) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def daily(*spans: tuple[int, int], tz: ZoneInfo = HCM, exceptions=None) -> Schedule:
    """The same hours (whole hours, same day) every day; 08:00–21:00 if none are given."""
    intervals = [Interval(time(opens), time(closes)) for opens, closes in spans or [(8, 21)]]
    return Schedule(tz, {weekday: intervals for weekday in range(7)}, exceptions or {})


def north_of(position: tuple[float, float], metres: float) -> tuple[float, float]:
    """The point ``metres`` due north: along a meridian the great circle is the latitude."""
    return position[0] + math.degrees(metres / EARTH_RADIUS_M), position[1]


def settings(**changes):
    return pr.parse_settings(BASE | changes)


def ask(courier=None, *, now, schedule=None, to=north_of(STORE, 2_000), district=None,
        basket=200_000, cod=False, store=STORE):
    return pr.quote(courier or settings(), store_position=store, schedule=schedule or daily(),
                    destination=to, district=district, basket_total=basket, cod=cod, now=now)


def services(result) -> dict:
    return {option.service: option for option in result.options}


def refused(error_type, code: str, call) -> ValidationError:
    with pytest.raises(error_type) as caught:
        call()
    assert caught.value.code == code
    assert isinstance(caught.value, ValidationError) and caught.value.status == 422
    return caught.value


# --- Fees ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("metres", "fee"), [
    (0, 15_000), (2_999, 15_000), (3_000, 15_000),  # limits are inclusive
    (3_001, 25_000), (7_000, 25_000),
    (7_001, 30_000), (8_000, 30_000),  # each started km past the last limit: 5 000
    (8_001, 35_000), (17_000, 75_000),
])
def test_fee_by_tier_and_per_started_km_beyond(metres, fee):
    assert pr.distance_fee(settings(), metres) == fee


def test_no_delivery_beyond_the_last_tier_without_a_per_km_fee():
    courier = settings(per_km_beyond=None)
    assert pr.distance_fee(courier, 7_000) == 25_000
    refused(pr.TooFar, "too_far", lambda: pr.distance_fee(courier, 7_001))


def test_kilometres_are_read_exactly_as_metres():
    # 1.001 × 1000 is 1000.9999999999999 in binary floating point.
    courier = settings(tiers=[[0.1, 1_000], [1.001, 2_000], ["2.5", 3_000], [2.501, 4_000]])
    assert [t.up_to_m for t in courier.tiers] == [100, 1_001, 2_500, 2_501]
    assert pr.distance_fee(courier, 1_001) == 2_000
    assert pr.distance_fee(courier, 2_501) == 4_000


def test_the_quote_measures_from_the_store_to_the_nearest_metre():
    assert ask(to=north_of(STORE, 3_000), now=at(WED, 10)).distance_m == 3_000
    assert ask(to=north_of(STORE, 3_000.4), now=at(WED, 10)).distance_m == 3_000
    assert services(ask(to=north_of(STORE, 3_000.4), now=at(WED, 10)))["same_day"].fee == 15_000
    assert services(ask(to=north_of(STORE, 3_000.6), now=at(WED, 10)))["same_day"].fee == 25_000


def test_free_from_the_threshold_but_express_still_costs_its_surcharge():
    courier = settings(free_above=500_000)
    paying = services(ask(courier, basket=499_999, now=at(WED, 10)))
    free = services(ask(courier, basket=500_000, now=at(WED, 10)))
    assert (paying["same_day"].fee, paying["express"].fee) == (15_000, 35_000)
    assert (free["same_day"].fee, free["express"].fee) == (0, 20_000)


@given(
    steps=st.lists(st.tuples(st.integers(1, 20_000), st.integers(0, 50_000)),
                   min_size=1, max_size=6),
    per_km=st.none() | st.integers(0, 20_000),
    near=st.integers(0, 150_000),
    further=st.integers(0, 50_000),
)
def test_the_fee_never_falls_as_the_distance_grows(steps, per_km, near, further):
    tiers, up_to, fee = [], 0, 0
    for metres, extra in steps:  # any valid tiers: limits grow, fees do not fall
        up_to, fee = up_to + metres, fee + extra
        tiers.append([f"{up_to / 1000:.3f}", fee])
    courier = settings(tiers=tiers, per_km_beyond=per_km)
    try:
        nearer_fee = pr.distance_fee(courier, near)
    except pr.TooFar:  # refused here, so refused further away too
        with pytest.raises(pr.TooFar):
            pr.distance_fee(courier, near + further)
        return
    try:
        assert pr.distance_fee(courier, near + further) >= nearer_fee
    except pr.TooFar:
        assert per_km is None and near + further > courier.tiers[-1].up_to_m


# --- Zones --------------------------------------------------------------------------------


def test_radius_zone_is_inclusive():
    courier = settings(zones=[{"kind": "radius", "km": 5}])
    assert ask(courier, to=north_of(STORE, 5_000), now=at(WED, 10)).distance_m == 5_000
    refused(pr.OutsideZone, "outside_zone",
            lambda: ask(courier, to=north_of(STORE, 5_001), now=at(WED, 10)))


@pytest.mark.parametrize("typed", [
    "Quận Bình Thạnh", "quan binh thanh", "  QUẬN   Bình  thạnh ", "Thủ Đức", "thu duc",
])
def test_district_zone_ignores_case_spaces_and_diacritics(typed):
    courier = settings(zones=[{"kind": "districts", "districts": ["Quận Bình Thạnh", "Thủ Đức"]}])
    assert ask(courier, district=typed, now=at(WED, 10)).options


@pytest.mark.parametrize("typed", ["Bình Thạnh", "Q. Bình Thạnh", "Quận 1", "", None])
def test_district_zone_invents_no_abbreviations(typed):
    courier = settings(zones=[{"kind": "districts", "districts": ["Quận Bình Thạnh"]}])
    refused(pr.OutsideZone, "outside_zone",
            lambda: ask(courier, district=typed, now=at(WED, 10)))


def test_inside_any_zone_is_enough():
    courier = settings(zones=[{"kind": "radius", "km": 1},
                              {"kind": "districts", "districts": ["Quận 3"]}])
    far = north_of(STORE, 4_000)
    assert ask(courier, to=far, district="quan 3", now=at(WED, 10)).distance_m == 4_000
    refused(pr.OutsideZone, "outside_zone",
            lambda: ask(courier, to=far, district="Quận 4", now=at(WED, 10)))


# --- Same day -----------------------------------------------------------------------------


def test_same_day_before_the_cut_off_is_delivered_by_todays_closing():
    option = services(ask(now=at(WED, 14, 59)))["same_day"]
    assert (option.start, option.end) == (at(WED, 14, 59), at(WED, 21))


def test_same_day_before_opening_starts_at_the_opening():
    option = services(ask(now=at(WED, 6)))["same_day"]
    assert (option.start, option.end) == (at(WED, 8), at(WED, 21))


def test_same_day_from_the_cut_off_is_delivered_tomorrow():
    option = services(ask(now=at(WED, 15)))["same_day"]
    assert (option.start, option.end) == (at(THU, 8), at(THU, 21))


def test_same_day_skips_a_holiday_tomorrow():
    schedule = daily(exceptions={THU: []})
    option = services(ask(now=at(WED, 16), schedule=schedule))["same_day"]
    assert (option.start, option.end) == (at(FRI, 8), at(FRI, 21))


def test_same_day_on_a_holiday_before_the_cut_off_waits_for_the_next_opening():
    schedule = daily(exceptions={WED: []})
    option = services(ask(now=at(WED, 10), schedule=schedule))["same_day"]
    assert (option.start, option.end) == (at(THU, 8), at(THU, 21))


def test_same_day_after_closing_but_before_a_late_cut_off_is_tomorrow():
    courier = settings(same_day={"cutoff": "23:00"}, express=None)
    option = services(ask(courier, now=at(WED, 21, 30)))["same_day"]
    assert (option.start, option.end) == (at(THU, 8), at(THU, 21))


def test_same_day_ends_at_the_last_closing_of_a_day_with_a_break():
    schedule = daily((8, 12), (14, 20))
    option = services(ask(now=at(WED, 13), schedule=schedule))["same_day"]
    assert (option.start, option.end) == (at(WED, 13), at(WED, 20))


def test_special_hours_of_a_dated_exception_set_the_closing():
    schedule = daily(exceptions={WED: [Interval(time(8), time(12))]})  # closes early
    option = services(ask(now=at(WED, 10), schedule=schedule))["same_day"]
    assert option.end == at(WED, 12)


# --- Express ------------------------------------------------------------------------------


@pytest.mark.parametrize(("hour", "minute", "offered"), [
    (18, 59, True), (19, 0, True),  # arrives at 21:00, the closing: still in time
    (19, 1, False), (21, 0, False), (7, 59, False),  # past closing, closed, not yet open
])
def test_express_only_when_it_arrives_by_closing(hour, minute, offered):
    result = services(ask(now=at(WED, hour, minute)))
    assert ("express" in result) is offered
    if offered:
        express = result["express"]
        assert (express.start, express.end) == (at(WED, hour, minute),
                                               at(WED, hour + 2, minute))
        assert express.fee == 15_000 + 20_000


def test_express_runs_through_back_to_back_openings_but_not_a_break():
    through = daily((8, 12), (12, 21))
    with_break = daily((8, 12), (13, 21))
    assert "express" in services(ask(now=at(WED, 11), schedule=through))
    assert "express" not in services(ask(now=at(WED, 11), schedule=with_break))


def test_express_around_the_clock_at_a_store_that_never_closes():
    always = Schedule(HCM, {weekday: [Interval(time(0), time(0), True)] for weekday in range(7)},
                      {})
    for hour in (0, 3, 23):
        express = services(ask(now=at(WED, hour, 30), schedule=always))["express"]
        assert express.end - express.start == timedelta(hours=2)


def test_no_express_on_a_holiday():
    result = services(ask(now=at(WED, 10), schedule=daily(exceptions={WED: []})))
    assert list(result) == ["same_day"]


def test_express_alone_on_a_closed_day_is_refused():
    courier = settings(same_day=None)
    refused(pr.NoWindow, "no_window",
            lambda: ask(courier, now=at(WED, 10), schedule=daily(exceptions={WED: []})))


# --- Daylight saving (Europe/Berlin) ------------------------------------------------------

SPRING = date(2026, 3, 29)  # 02:00 CET becomes 03:00 CEST
AUTUMN = date(2026, 10, 25)  # 03:00 CEST becomes 02:00 CET


def test_express_hours_are_real_hours_across_the_spring_change():
    night = daily((0, 8), tz=BERLIN)  # 00:00–08:00 is seven real hours that night
    now = at(SPRING, 1, 30, BERLIN)  # 00:30 UTC
    assert now == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    five = settings(express={"hours": 5, "fee": 0}, same_day=None)
    six = settings(express={"hours": 6, "fee": 0}, same_day=None)
    assert services(ask(five, now=now, schedule=night))["express"].end == \
        datetime(2026, 3, 29, 5, 30, tzinfo=UTC)  # 07:30 CEST
    # On the wall clock 01:30 + 6 h is 07:30, but six real hours end at 08:30 CEST.
    refused(pr.NoWindow, "no_window", lambda: ask(six, now=now, schedule=night))


def test_same_day_closing_follows_the_autumn_change_in_utc():
    store = daily((9, 18), tz=BERLIN)
    saturday = services(ask(now=at(AUTUMN - timedelta(days=1), 10, tz=BERLIN),
                            schedule=store))["same_day"]
    assert saturday.end == datetime(2026, 10, 24, 16, 0, tzinfo=UTC)  # 18:00 CEST
    sunday = services(ask(now=at(AUTUMN - timedelta(days=1), 16, tz=BERLIN),
                          schedule=store))["same_day"]
    assert (sunday.start, sunday.end) == (datetime(2026, 10, 25, 8, 0, tzinfo=UTC),
                                          datetime(2026, 10, 25, 17, 0, tzinfo=UTC))


def test_the_cut_off_is_read_on_the_stores_clock():
    store = daily((9, 18), tz=BERLIN)
    now = datetime(2026, 7, 1, 13, 30, tzinfo=UTC)  # 15:30 in Berlin, after the 15:00 cut-off
    option = services(ask(now=now, schedule=store))["same_day"]
    assert option.start == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)  # 09:00 CEST tomorrow


# --- Cash on delivery and the terms -------------------------------------------------------


def test_cod_up_to_its_maximum_basket():
    courier = settings(cod=True, cod_max_basket=1_000_000)
    assert ask(courier, basket=1_000_000, cod=True, now=at(WED, 10)).cod_available
    refused(pr.NoCod, "no_cod",
            lambda: ask(courier, basket=1_000_001, cod=True, now=at(WED, 10)))
    # Not asked for: the quote stands and says cash is not possible.
    assert not ask(courier, basket=1_000_001, now=at(WED, 10)).cod_available


def test_cod_not_allowed():
    assert not ask(now=at(WED, 10)).cod_available
    refused(pr.NoCod, "no_cod", lambda: ask(cod=True, now=at(WED, 10)))


def test_the_whole_quote_with_its_terms():
    courier = settings(cod=True, inspect_before_accept=True, attempts=3, redelivery_fee=15_000)
    result = ask(courier, to=north_of(STORE, 5_000), cod=True, now=at(WED, 10))
    assert result == pr.Quote(
        distance_m=5_000,
        options=(pr.DeliveryOption(pr.Service.SAME_DAY, 25_000, at(WED, 10), at(WED, 21)),
                 pr.DeliveryOption(pr.Service.EXPRESS, 45_000, at(WED, 10), at(WED, 12))),
        cod_available=True, inspect_before_accept=True, attempts=3, redelivery_fee=15_000)
    assert result.options[0].end.tzinfo is UTC


# --- Refusals -----------------------------------------------------------------------------


def test_no_position_for_the_address_or_the_store():
    error = refused(pr.NoPosition, "no_position", lambda: ask(to=None, now=at(WED, 10)))
    assert list(error.fields) == ["destination"]
    error = refused(pr.NoPosition, "no_position", lambda: ask(store=None, now=at(WED, 10)))
    assert list(error.fields) == ["store"]


def test_too_far_in_the_zone_but_past_the_tiers():
    courier = settings(per_km_beyond=None)
    refused(pr.TooFar, "too_far", lambda: ask(courier, to=north_of(STORE, 7_001),
                                             now=at(WED, 10)))


def test_outside_the_zone_is_said_before_too_far():
    courier = settings(per_km_beyond=None)
    refused(pr.OutsideZone, "outside_zone",
            lambda: ask(courier, to=north_of(STORE, 25_000), now=at(WED, 10)))


def test_a_naive_now_is_a_programming_error():
    with pytest.raises(ValueError, match="aware"):
        ask(now=datetime(2026, 12, 2, 10, 0))


# --- Settings -----------------------------------------------------------------------------


def test_settings_from_stored_json():
    courier = pr.parse_settings({
        "tiers": [[3, 15000], [7, 25000]], "per_km_beyond": 5000, "free_above": 500000,
        "zones": [{"kind": "radius", "km": 10},
                  {"kind": "districts", "districts": ["Quận 1", "Thủ Đức"]}],
        "same_day": {"cutoff": "15:00"}, "express": {"hours": 2, "fee": 20000}, "cod": True,
        "cod_max_basket": 3000000, "inspect_before_accept": True, "attempts": 2,
        "redelivery_fee": 15000})
    assert courier == pr.CourierSettings(
        tiers=(pr.Tier(3_000, 15_000), pr.Tier(7_000, 25_000)),
        zones=(pr.RadiusZone(10_000), pr.DistrictZone(frozenset({"quan 1", "thu duc"}))),
        per_km_beyond=5_000, free_above=500_000, same_day=pr.SameDay(time(15)),
        express=pr.Express(2, 20_000), cod=True, cod_max_basket=3_000_000,
        inspect_before_accept=True, attempts=2, redelivery_fee=15_000)


def test_settings_defaults():
    courier = pr.parse_settings({"tiers": [[5, 20000]], "zones": [{"kind": "radius", "km": 5}],
                                 "express": {"hours": 1}})
    assert (courier.per_km_beyond, courier.free_above, courier.same_day, courier.cod,
            courier.inspect_before_accept, courier.attempts, courier.redelivery_fee,
            courier.express) == (None, None, None, False, False, 1, 0, pr.Express(1, 0))


@pytest.mark.parametrize(("changes", "field"), [
    ({"tiers": []}, "tiers"),
    ({"tiers": None}, "tiers"),
    ({"tiers": [[3]]}, "tiers[0]"),
    ({"tiers": ["3:15000"]}, "tiers[0]"),
    ({"tiers": [[3, -1]]}, "tiers[0]"),  # a negative fee
    ({"tiers": [[3, 1.5]]}, "tiers[0]"),  # money is whole minor units
    ({"tiers": [[0, 15000]]}, "tiers[0]"),
    ({"tiers": [[-2, 15000]]}, "tiers[0]"),
    ({"tiers": [["far", 15000]]}, "tiers[0]"),
    ({"tiers": [[True, 15000]]}, "tiers[0]"),
    ({"tiers": [["nan", 15000]]}, "tiers[0]"),
    ({"tiers": [[1001, 15000]]}, "tiers[0]"),
    ({"tiers": [[7, 15000], [3, 25000]]}, "tiers[1]"),  # not ascending
    ({"tiers": [[3, 15000], [3, 25000]]}, "tiers[1]"),
    ({"tiers": [[3, 25000], [7, 15000]]}, "tiers[1]"),  # a farther tier cheaper
    ({"per_km_beyond": -5000}, "per_km_beyond"),
    ({"free_above": -1}, "free_above"),
    ({"zones": []}, "zones"),
    ({"zones": [{"kind": "polygon"}]}, "zones[0].kind"),
    ({"zones": [{"km": 5}]}, "zones[0].kind"),
    ({"zones": ["radius"]}, "zones[0].kind"),
    ({"zones": [{"kind": "radius", "km": 0}]}, "zones[0].km"),
    ({"zones": [{"kind": "radius"}]}, "zones[0].km"),
    ({"zones": [{"kind": "districts", "districts": []}]}, "zones[0].districts"),
    ({"zones": [{"kind": "districts", "districts": "Quận 1"}]}, "zones[0].districts"),
    ({"zones": [{"kind": "districts", "districts": ["Quận 1", "  "]}]}, "zones[0].districts"),
    ({"same_day": {"cutoff": "25:00"}}, "same_day.cutoff"),
    ({"same_day": {}}, "same_day.cutoff"),
    ({"express": {"hours": 0, "fee": 0}}, "express.hours"),
    ({"express": {"hours": 25, "fee": 0}}, "express.hours"),
    ({"express": {"hours": 2, "fee": -1}}, "express.fee"),
    ({"same_day": None, "express": None}, "same_day"),
    ({"cod": "yes"}, "cod"),
    ({"cod_max_basket": -1}, "cod_max_basket"),
    ({"inspect_before_accept": 1}, "inspect_before_accept"),
    ({"attempts": 0}, "attempts"),
    ({"attempts": 11}, "attempts"),
    ({"redelivery_fee": -10000}, "redelivery_fee"),
    ({"per_km_beyon": 5000}, "per_km_beyon"),  # a misspelt key would silently do nothing
])
def test_settings_refuse_nonsense_naming_the_field(changes, field):
    with pytest.raises(ValidationError) as caught:
        settings(**changes)
    assert list(caught.value.fields) == [field]
