"""Dashboard stores: list, create, edit, weekly hours, special days; who may do what.

Each failing form is checked for what it shows and for what it did not change."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from marketplace.catalog.queries import opening_status
from marketplace.stores import services as stores
from marketplace.stores.models import OpeningInterval, Store, StoreException

STORE_FORM = {"name": "Chi nhánh Quận 3", "slug": "quan-3", "address_line": "12 Võ Văn Tần",
              "ward": "Phường 6", "district": "Quận 3", "city": "Hồ Chí Minh",
              "country_code": "vn", "latitude": "10.7772", "longitude": "106.6902",
              "phone": "028 3930 0000", "timezone": "Asia/Ho_Chi_Minh",
              "is_active": "on", "pickup_enabled": "on", "pickup_lead_minutes": "30",
              "pickup_slot_minutes": "15", "pickup_orders_per_slot": "4"}


@pytest.fixture
def shop(db, make_user, make_merchant, owner_of, make_store):
    """A merchant whose owner reads English, with two stores open 08:00–22:00 every day."""
    merchant = make_merchant(owner=make_user(locale="en"))
    first = make_store(merchant, name="An Store")
    second = make_store(merchant, name="Bình Store")
    db.session.commit()
    return merchant, owner_of(merchant), first, second


def url(merchant, path=""):
    return f"/dashboard/{merchant.slug}/stores{path}"


def hours_of(db, store) -> list[tuple]:
    db.session.expire_all()
    return [(r.weekday, r.opens, r.closes, r.overnight) for r in db.session.scalars(
        sa.select(OpeningInterval).where(OpeningInterval.store_id == store.id)
        .order_by(OpeningInterval.weekday, OpeningInterval.opens))]


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def blank_week() -> dict:
    """The hours form with every default row left empty (as a browser posts it)."""
    return {f"hours-{d}-{n}-{part}": "" for d in range(7) for n in range(2)
            for part in ("opens", "closes")}


# --- list --------------------------------------------------------------------------------------

def test_list_shows_the_stores_with_open_now(client, db, shop, login):
    merchant, owner, first, second = shop
    login(owner.user)
    response = client.get(url(merchant))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert first.name in html and second.name in html
    status = opening_status(first)
    if status.is_open:
        assert "Open now · closes 22:00" in html
    else:
        assert "Closed · opens" in html and "08:00" in html
    assert f'href="/dashboard/{merchant.slug}/stores/new"' in html


def test_store_limited_staff_sees_only_their_store(client, db, shop, make_member, login):
    merchant, _owner, first, second = shop
    member = make_member(merchant, role="staff", stores_=[first])
    db.session.commit()
    login(member.user)
    html = client.get(url(merchant)).get_data(as_text=True)
    assert first.name in html and second.name not in html
    assert "/stores/new" not in html  # staff may not manage stores
    assert client.get(url(merchant, f"/{second.id}")).status_code == 404
    for path in (f"/{second.id}", f"/{second.id}/hours", f"/{second.id}/exceptions"):
        assert client.post(url(merchant, path), data={}).status_code == 404


# --- create and edit ---------------------------------------------------------------------------

def test_create_store(client, db, shop, login):
    merchant, owner, *_ = shop
    login(owner.user)
    page = client.get(url(merchant, "/new")).get_data(as_text=True)
    assert '<option value="Asia/Ho_Chi_Minh" selected>' in page
    assert "data-use-location" in page and "dashboard-location.js" in page
    response = client.post(url(merchant, "/new"), data=STORE_FORM)
    assert response.status_code == 303
    store = db.session.scalars(sa.select(Store).where(Store.merchant_id == merchant.id,
                                                      Store.slug == "quan-3")).one()
    assert response.headers["Location"].endswith(url(merchant, f"/{store.id}"))
    assert (store.name, store.ward, store.country_code) == ("Chi nhánh Quận 3", "Phường 6", "VN")
    assert (store.latitude, store.longitude) == (10.7772, 106.6902)
    assert store.is_active and store.pickup_enabled
    assert (store.pickup_lead_minutes, store.pickup_slot_minutes,
            store.pickup_orders_per_slot) == (30, 15, 4)


@pytest.mark.parametrize(("field", "value"), [("latitude", "91"), ("longitude", "abc"),
                                              ("latitude", "")])
def test_bad_coordinates_create_nothing(client, db, shop, login, field, value):
    merchant, owner, *_ = shop
    login(owner.user)
    before = count(db, Store)
    response = client.post(url(merchant, "/new"), data=STORE_FORM | {field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="e-{field}"' in html and 'aria-invalid="true"' in html
    assert 'value="Chi nhánh Quận 3"' in html  # what was typed stays
    assert count(db, Store) == before


def test_staff_may_not_create_or_edit_stores(client, db, shop, make_member, login):
    merchant, _owner, first, _second = shop
    member = make_member(merchant, role="staff")
    db.session.commit()
    login(member.user)
    assert client.get(url(merchant, "/new")).status_code == 403
    assert client.post(url(merchant, "/new"), data=STORE_FORM).status_code == 403
    page = client.get(url(merchant, f"/{first.id}"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="address_line"' not in html and "hours-0-0-opens" not in html
    assert "08:00–22:00" in html  # the hours, read-only
    assert client.post(url(merchant, f"/{first.id}"),
                       data=STORE_FORM | {"name": "Đổi"}).status_code == 403
    assert client.post(url(merchant, f"/{first.id}/hours"), data={}).status_code == 403
    assert count(db, Store) == 2 and hours_of(db, first)


def test_edit_store_saves_the_checkboxes_as_sent(client, db, shop, login):
    merchant, owner, first, _second = shop
    login(owner.user)
    page = client.get(url(merchant, f"/{first.id}")).get_data(as_text=True)
    assert 'value="An Store"' in page
    data = STORE_FORM | {"name": "An Store mới", "slug": first.slug, "timezone": "Asia/Bangkok"}
    del data["is_active"]  # an unticked checkbox is not posted
    response = client.post(url(merchant, f"/{first.id}"), data=data)
    assert response.status_code == 303
    db.session.expire_all()
    store = db.session.get(Store, first.id)
    assert (store.name, store.timezone, store.is_active, store.pickup_enabled) == (
        "An Store mới", "Asia/Bangkok", False, True)


def test_edit_store_with_a_taken_slug_changes_nothing(client, db, shop, login):
    merchant, owner, first, second = shop
    login(owner.user)
    response = client.post(url(merchant, f"/{first.id}"),
                           data=STORE_FORM | {"name": "Khác", "slug": second.slug})
    assert response.status_code == 409
    assert 'id="e-slug"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Store, first.id).name == "An Store"


# --- weekly hours ------------------------------------------------------------------------------

def test_hours_editor_shows_the_stored_rows_and_blank_ones(client, db, shop, login):
    merchant, owner, first, _second = shop
    login(owner.user)
    html = client.get(url(merchant, f"/{first.id}")).get_data(as_text=True)
    assert 'name="hours-0-0-opens" value="08:00"' in html
    assert 'name="hours-6-0-closes" value="22:00"' in html
    assert 'name="hours-0-2-opens" value=""' in html and "hours-0-3-opens" not in html
    assert "Monday" in html and "Sunday" in html
    assert "dashboard-hours.js" in html


def test_save_hours_with_split_and_overnight_intervals(client, db, shop, login):
    merchant, owner, first, _second = shop
    login(owner.user)
    data = blank_week() | {
        "hours-0-0-opens": "07:00", "hours-0-0-closes": "11:00",
        "hours-0-1-opens": "17:00", "hours-0-1-closes": "22:00",
        "hours-4-0-opens": "18:00", "hours-4-0-closes": "02:00", "hours-4-0-overnight": "on",
        # a row added by the script, past the server-rendered ones
        "hours-5-7-opens": "09:00", "hours-5-7-closes": "12:00",
    }
    response = client.post(url(merchant, f"/{first.id}/hours"), data=data)
    assert response.status_code == 303 and response.headers["Location"].endswith("#hours")
    assert hours_of(db, first) == [
        (0, time(7), time(11), False), (0, time(17), time(22), False),
        (4, time(18), time(2), True), (5, time(9), time(12), False)]


def test_overlapping_hours_change_nothing(client, db, shop, login):
    merchant, owner, first, _second = shop
    login(owner.user)
    before = hours_of(db, first)
    data = blank_week() | {"hours-2-0-opens": "08:00", "hours-2-0-closes": "12:00",
                           "hours-2-1-opens": "11:00", "hours-2-1-closes": "15:00"}
    response = client.post(url(merchant, f"/{first.id}/hours"), data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Opening intervals overlap." in html
    assert 'value="11:00"' in html and 'value="15:00"' in html  # the typed values stay
    # the message points at the row that overlaps
    assert 'id="f-hours-2-1-opens" name="hours-2-1-opens" value="11:00" aria-invalid="true"' \
        in html
    assert hours_of(db, first) == before


@pytest.mark.parametrize(("row", "message"), [
    ({"hours-1-0-opens": "09:00"}, "Enter a time as HH:MM."),
    ({"hours-1-0-opens": "22:00", "hours-1-0-closes": "02:00"}, "next day"),
])
def test_half_filled_or_inverted_rows_are_refused(client, db, shop, login, row, message):
    merchant, owner, first, _second = shop
    login(owner.user)
    before = hours_of(db, first)
    response = client.post(url(merchant, f"/{first.id}/hours"), data=blank_week() | row)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'href="#f-hours-1-0-' in html
    assert hours_of(db, first) == before


def test_an_empty_week_closes_the_store(client, db, shop, login):
    merchant, owner, first, _second = shop
    login(owner.user)
    assert client.post(url(merchant, f"/{first.id}/hours"),
                       data=blank_week()).status_code == 303
    assert hours_of(db, first) == []
    assert "Closed" in client.get(url(merchant, f"/{first.id}")).get_data(as_text=True)


def test_store_page_says_open_around_the_clock(client, db, shop, login):
    merchant, owner, first, _second = shop
    stores.set_opening_hours(first, [{"weekday": d, "opens": "00:00", "closes": "00:00",
                                      "overnight": True} for d in range(7)])
    db.session.commit()
    login(owner.user)
    assert "Open now · around the clock" in client.get(
        url(merchant, f"/{first.id}")).get_data(as_text=True)


# --- special days ------------------------------------------------------------------------------

def local_day(store, days: int):
    return opening_status(store).local_now.date() + timedelta(days=days)


def test_closed_day_is_saved_listed_and_removed(client, db, shop, login):
    merchant, owner, first, _second = shop
    login(owner.user)
    day = local_day(first, 3)
    response = client.post(url(merchant, f"/{first.id}/exceptions"),
                           data={"date": day.isoformat(), "closed": "1", "note": "Nghỉ Tết"})
    assert response.status_code == 303
    exception = db.session.scalars(sa.select(StoreException).where(
        StoreException.store_id == first.id)).one()
    assert (exception.date, exception.closed, exception.note) == (day, True, "Nghỉ Tết")
    html = client.get(url(merchant, f"/{first.id}")).get_data(as_text=True)
    assert "Nghỉ Tết" in html and day.strftime("%Y") in html
    delete = url(merchant, f"/{first.id}/exceptions/{exception.id}/delete")
    assert delete in html
    assert client.post(delete).status_code == 303
    assert count(db, StoreException) == 0


def test_special_hours_replace_the_day(client, db, shop, login):
    merchant, owner, first, _second = shop
    login(owner.user)
    day = local_day(first, 5)
    response = client.post(url(merchant, f"/{first.id}/exceptions"), data={
        "date": day.isoformat(), "closed": "0", "intervals-0-opens": "20:00",
        "intervals-0-closes": "01:00", "intervals-0-overnight": "on",
        "intervals-1-opens": "", "intervals-1-closes": ""})
    assert response.status_code == 303
    db.session.expire_all()
    exception = db.session.scalars(sa.select(StoreException)).one()
    assert not exception.closed
    assert exception.intervals == [{"opens": "20:00", "closes": "01:00", "overnight": True}]


@pytest.mark.parametrize(("data", "field"), [
    ({"date": "", "closed": "1"}, "date"),
    ({"date": "2030-01-01", "closed": "0"}, "intervals"),
    ({"date": "2030-01-01", "closed": "0", "intervals-1-opens": "10:00",
      "intervals-1-closes": "09:00"}, "intervals-1-opens"),
])
def test_bad_special_day_changes_nothing(client, db, shop, login, data, field):
    merchant, owner, first, _second = shop
    login(owner.user)
    response = client.post(url(merchant, f"/{first.id}/exceptions"), data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'href="#f-{field}"' in html
    if data["date"]:
        assert f'value="{data["date"]}"' in html
    assert count(db, StoreException) == 0


def test_exception_of_another_store_cannot_be_deleted_through_this_one(client, db, shop, login):
    merchant, owner, first, second = shop
    other = stores.set_exception(second, {"date": local_day(second, 2).isoformat()})
    db.session.commit()
    login(owner.user)
    response = client.post(url(merchant, f"/{first.id}/exceptions/{other.id}/delete"))
    assert response.status_code in (404, 422)
    assert count(db, StoreException) == 1


def test_store_limited_manager_edits_their_own_store(client, db, shop, make_member, login):
    merchant, _owner, first, second = shop
    member = make_member(merchant, role="manager", stores_=[first])
    db.session.commit()
    login(member.user)
    data = blank_week() | {"hours-3-0-opens": "10:00", "hours-3-0-closes": "14:00"}
    assert client.post(url(merchant, f"/{first.id}/hours"), data=data).status_code == 303
    assert hours_of(db, first) == [(3, time(10), time(14), False)]
    assert client.post(url(merchant, f"/{second.id}/hours"), data=data).status_code == 404
    assert len(hours_of(db, second)) == 7
