"""Stores: validation, weekly hours, dated exceptions, pickup settings and access by staff."""

from __future__ import annotations

from datetime import date, time

import pytest
import sqlalchemy as sa

from marketplace.errors import Conflict, NotFound, ValidationError
from marketplace.stores import services as stores
from marketplace.stores.hours import Schedule
from marketplace.stores.models import OpeningInterval, Store, StoreException

TZ = "Asia/Ho_Chi_Minh"


def store_data(**overrides) -> dict:
    return {"name": "Chi nhánh Bến Thành", "address_line": "1 Lê Lợi", "city": "Hồ Chí Minh",
            "latitude": "10.7721", "longitude": "106.6983"} | overrides


def hours_rows(db, store) -> list[tuple]:
    return [(r.weekday, r.opens, r.closes, r.overnight) for r in db.session.scalars(
        sa.select(OpeningInterval).where(OpeningInterval.store_id == store.id)
        .order_by(OpeningInterval.weekday, OpeningInterval.opens))]


def stores_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Store))


def test_create_store_with_defaults(db, make_merchant):
    merchant = make_merchant()
    store = stores.create_store(merchant, store_data(latitude="10,7721"), default_timezone=TZ)
    assert store.slug == "chi-nhanh-ben-thanh"
    assert store.latitude == pytest.approx(10.7721)  # a decimal comma is accepted
    assert store.timezone == TZ and store.country_code == "VN"
    assert store.is_active and not store.pickup_enabled
    assert store.address == "1 Lê Lợi, Hồ Chí Minh"


@pytest.mark.parametrize(("field", "value"), [
    ("latitude", "91"), ("latitude", -90.0001), ("latitude", "abc"), ("latitude", "nan"),
    ("latitude", float("nan")), ("latitude", None), ("latitude", ""),
    ("longitude", "-181"), ("longitude", 180.5), ("longitude", "inf"), ("longitude", "abc"),
    ("longitude", float("nan")),
])
def test_bad_coordinates_are_refused(db, make_merchant, field, value):
    merchant = make_merchant()
    before = stores_count(db)
    with pytest.raises(ValidationError) as info:
        stores.create_store(merchant, store_data(**{field: value}), default_timezone=TZ)
    assert set(info.value.fields) == {field}
    assert stores_count(db) == before


@pytest.mark.parametrize(("lat", "lng"), [(90, 180), (-90, -180), ("0", "0")])
def test_coordinate_bounds_are_inclusive(db, make_merchant, lat, lng):
    store = stores.create_store(make_merchant(), store_data(latitude=lat, longitude=lng),
                                default_timezone=TZ)
    assert (store.latitude, store.longitude) == (float(lat), float(lng))


@pytest.mark.parametrize(("field", "value"), [
    ("timezone", "Mars/Olympus_Mons"), ("timezone", "asia/ho_chi_minh"),
    ("name", ""), ("address_line", "  "), ("city", None), ("slug", "Not A Slug"),
    ("country_code", "VNM"), ("country_code", "1A"), ("phone", "call me"),
    ("pickup_slot_minutes", 4), ("pickup_slot_minutes", 24 * 60 + 1),
    ("pickup_orders_per_slot", 0), ("pickup_lead_minutes", -1),
    ("pickup_lead_minutes", "soon"), ("pickup_orders_per_slot", 10_001),
])
def test_invalid_store_fields_are_refused(db, make_merchant, field, value):
    merchant = make_merchant()
    before = stores_count(db)
    with pytest.raises(ValidationError) as info:
        stores.create_store(merchant, store_data(**{field: value}), default_timezone=TZ)
    assert field in info.value.fields
    assert stores_count(db) == before


def test_pickup_settings_at_their_bounds(db, make_merchant):
    store = stores.create_store(make_merchant(), store_data(
        pickup_enabled=True, pickup_lead_minutes=0, pickup_slot_minutes=5,
        pickup_orders_per_slot="1", timezone="Europe/Paris"), default_timezone=TZ)
    assert (store.pickup_enabled, store.pickup_lead_minutes, store.pickup_slot_minutes,
            store.pickup_orders_per_slot, store.timezone) == (True, 0, 5, 1, "Europe/Paris")


def test_duplicate_slug_within_a_merchant_only(db, make_merchant, make_store):
    merchant, other = make_merchant(), make_merchant()
    make_store(merchant, slug="quan-1")
    with pytest.raises(Conflict) as info:
        stores.create_store(merchant, store_data(slug="quan-1"), default_timezone=TZ)
    assert "slug" in info.value.fields
    assert stores.create_store(other, store_data(slug="quan-1"), default_timezone=TZ).slug == \
        "quan-1"


def test_update_store_validates_and_changes_nothing_on_error(db, make_merchant, make_store):
    merchant = make_merchant()
    store = make_store(merchant, slug="a")
    make_store(merchant, slug="b")
    stores.update_store(store, {"name": "Tên mới", "latitude": "21.0285",
                                "longitude": "105.8542", "timezone": "Asia/Bangkok"})
    assert (store.name, store.latitude, store.timezone) == ("Tên mới", 21.0285, "Asia/Bangkok")
    for data, exc in [({"latitude": 91}, ValidationError), ({"slug": "b"}, Conflict),
                      ({"timezone": "Nowhere/City"}, ValidationError),
                      ({"name": "Đổi", "longitude": "abc"}, ValidationError)]:
        with pytest.raises(exc):
            stores.update_store(store, data)
        db.session.refresh(store)
        assert (store.name, store.slug, store.latitude, store.longitude, store.timezone) == \
            ("Tên mới", "a", 21.0285, 105.8542, "Asia/Bangkok")
    stores.update_store(store, {"slug": "a"})  # its own slug is not a clash


# --- weekly hours ------------------------------------------------------------------------------

def test_set_opening_hours_replaces_the_whole_week(db, make_merchant, make_store):
    store = make_store(make_merchant())
    assert len(hours_rows(db, store)) == 7
    stores.set_opening_hours(store, [
        {"weekday": 0, "opens": "08:00", "closes": "12:00"},
        {"weekday": 0, "opens": "13:30", "closes": "21:00"},
        {"weekday": 5, "opens": "22:00", "closes": "02:00", "overnight": True},
    ])
    assert hours_rows(db, store) == [(0, time(8), time(12), False),
                                     (0, time(13, 30), time(21), False),
                                     (5, time(22), time(2), True)]
    stores.set_opening_hours(store, [])
    assert hours_rows(db, store) == []


@pytest.mark.parametrize("rows", [
    [{"weekday": 1, "opens": "10:00", "closes": "09:00"}],                 # inverted
    [{"weekday": 1, "opens": "08:00", "closes": "12:00"},
     {"weekday": 1, "opens": "11:00", "closes": "13:00"}],                 # overlap
    [{"weekday": 6, "opens": "20:00", "closes": "03:00", "overnight": True},
     {"weekday": 0, "opens": "02:00", "closes": "10:00"}],                 # Sun night → Mon
    [{"weekday": 7, "opens": "08:00", "closes": "12:00"}],                 # no such weekday
    [{"weekday": 1, "opens": "8h", "closes": "12:00"}],                    # not a time
    [{"weekday": 1, "opens": "25:00", "closes": "26:00"}],                 # not a time either
    [{"weekday": 1, "opens": "08:00", "closes": "08:00"}],                 # empty
])
def test_bad_hours_are_refused_and_leave_the_hours_unchanged(db, make_merchant, make_store,
                                                             rows):
    store = make_store(make_merchant())
    before = hours_rows(db, store)
    with pytest.raises(ValidationError) as info:
        stores.set_opening_hours(store, rows)
    assert all(k.startswith("hours[") for k in info.value.fields)
    db.session.refresh(store)
    assert hours_rows(db, store) == before
    assert len(store.hours) == 7


# --- dated exceptions --------------------------------------------------------------------------

def test_exceptions_are_created_replaced_and_deleted(db, make_merchant, make_store):
    store = make_store(make_merchant())
    tet = date(2027, 2, 6)
    closed = stores.set_exception(store, {"date": "2027-02-06", "note": "Nghỉ Tết"})
    assert (closed.closed, closed.intervals, closed.note) == (True, [], "Nghỉ Tết")
    replaced = stores.set_exception(store, {"date": tet, "closed": False, "intervals": [
        {"opens": "09:00", "closes": "12:00"}]})
    assert replaced.id == closed.id  # one exception per date
    assert (replaced.closed, replaced.intervals, replaced.note) == \
        (False, [{"opens": "09:00", "closes": "12:00", "overnight": False}], None)
    assert [e.date for e in store.exceptions] == [tet]
    schedule = Schedule.for_store(store)
    assert schedule.intervals_starting(tet)[0][0].hour == 9
    stores.delete_exception(store, replaced.id)
    assert store.exceptions == []
    assert db.session.get(StoreException, replaced.id) is None


@pytest.mark.parametrize(("data", "field"), [
    ({"date": "06/02/2027"}, "date"),
    ({"date": ""}, "date"),
    ({"date": "2027-02-06", "closed": False}, "intervals"),
    ({"date": "2027-02-06", "closed": False,
      "intervals": [{"opens": "12:00", "closes": "09:00"}]}, "intervals[0]"),
    ({"date": "2027-02-06", "closed": False,
      "intervals": [{"opens": "08:00", "closes": "12:00"}, {"opens": "11:00", "closes": "14:00"}]},
     "intervals"),
    ({"date": "2027-02-06", "note": "x" * 201}, "note"),
])
def test_bad_exceptions_are_refused(db, make_merchant, make_store, data, field):
    store = make_store(make_merchant())
    with pytest.raises(ValidationError) as info:
        stores.set_exception(store, data)
    assert field in info.value.fields
    assert db.session.scalars(sa.select(StoreException)
                              .where(StoreException.store_id == store.id)).all() == []


def test_delete_exception_of_another_store_or_merchant_is_refused(db, make_merchant, make_store):
    merchant, other = make_merchant(), make_merchant()
    store, sibling, foreign = make_store(merchant), make_store(merchant), make_store(other)
    sibling_exc = stores.set_exception(sibling, {"date": "2027-01-01"})
    foreign_exc = stores.set_exception(foreign, {"date": "2027-01-01"})
    # A sibling store's day reached through this store is as unknown as another merchant's.
    with pytest.raises(NotFound):
        stores.delete_exception(store, sibling_exc.id)
    with pytest.raises(NotFound):
        stores.delete_exception(store, foreign_exc.id)
    assert db.session.get(StoreException, sibling_exc.id) is not None
    assert db.session.get(StoreException, foreign_exc.id) is not None


# --- who sees which store ---------------------------------------------------------------------

def test_scoped_and_accessible_stores(db, make_merchant, make_store, make_member, owner_of):
    merchant, other = make_merchant(), make_merchant()
    a1, a2, b1 = make_store(merchant), make_store(merchant), make_store(other)
    limited = make_member(merchant, stores_=[a1])
    owner = owner_of(merchant)
    assert stores.get_store(merchant.id, a2.id) is a2
    with pytest.raises(NotFound):
        stores.get_store(merchant.id, b1.id)
    with pytest.raises(NotFound):
        stores.get_store(merchant.id, "1 OR 1=1")
    for huge in (2**63, 10**30, -(2**70)):  # a URL's <int:…> takes any number of digits
        with pytest.raises(NotFound):
            stores.get_store(merchant.id, huge)
    assert stores.get_accessible_store(limited, a1.id) is a1
    with pytest.raises(NotFound):
        stores.get_accessible_store(limited, a2.id)
    with pytest.raises(NotFound):
        stores.get_accessible_store(owner, b1.id)
    assert stores.accessible_stores(limited) == [a1]
    assert {s.id for s in stores.accessible_stores(owner)} == {a1.id, a2.id}
