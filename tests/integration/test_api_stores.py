"""Stores through the API: CRUD, weekly hours, exceptions, open now, limits and isolation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace.stores.models import Store, StoreException

NEW_STORE = {"name": "Chi nhánh Quận 3", "address_line": "12 Võ Văn Tần", "district": "Quận 3",
             "city": "Hồ Chí Minh", "latitude": 10.7765, "longitude": 106.6903,
             "phone": "028 3930 1234"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == code
    return response.get_json()


@pytest.fixture
def merchant(make_merchant):
    return make_merchant()


@pytest.fixture
def owner(merchant, owner_of, api_token):
    return bearer(api_token(owner_of(merchant)))


def test_create_list_get_and_update_a_store(client, db, merchant, owner):
    response = client.post("/api/v1/stores", headers=owner, json=NEW_STORE)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["slug"] == "chi-nhanh-quan-3"
    assert created["timezone"] == "Asia/Ho_Chi_Minh"
    assert created["address"] == "12 Võ Văn Tần, Quận 3, Hồ Chí Minh"
    assert created["hours"] == [] and created["open_now"] is False
    assert created["next_opening"] is None
    store_id = created["id"]
    assert db.session.get(Store, store_id).merchant_id == merchant.id

    page = client.get("/api/v1/stores", headers=owner).get_json()
    assert [s["id"] for s in page["items"]] == [store_id]
    assert page["has_more"] is False and page["page"] == 1

    response = client.patch(f"/api/v1/stores/{store_id}", headers=owner,
                            json={"phone": "0909 123 456", "pickup_enabled": True})
    assert response.status_code == 200
    assert response.get_json()["phone"] == "0909 123 456"
    assert response.get_json()["pickup_enabled"] is True
    assert response.get_json()["name"] == NEW_STORE["name"]  # untouched
    assert client.get(f"/api/v1/stores/{store_id}", headers=owner).get_json()["phone"] == \
        "0909 123 456"


def test_pagination(client, merchant, owner, make_store):
    for _ in range(3):
        make_store(merchant)
    first = client.get("/api/v1/stores?page_size=2", headers=owner).get_json()
    second = client.get("/api/v1/stores?page=2&page_size=2", headers=owner).get_json()
    assert len(first["items"]) == 2 and first["has_more"] and first["next_page"] == 2
    assert len(second["items"]) == 1 and not second["has_more"]
    assert second["next_page"] is None
    assert {s["id"] for s in first["items"]}.isdisjoint(s["id"] for s in second["items"])
    response = client.get("/api/v1/stores?page_size=1000", headers=owner)
    assert "page_size" in assert_problem(response, 422, "validation_failed")["errors"]


@pytest.mark.parametrize(("body", "field"), [
    ({**NEW_STORE, "latitude": 123}, "latitude"),
    ({**NEW_STORE, "name": "  "}, "name"),
    ({**NEW_STORE, "timezone": "Mars/Olympus"}, "timezone"),
    ({**NEW_STORE, "latitude": "north"}, "latitude"),
    ({k: v for k, v in NEW_STORE.items() if k != "city"}, "city"),
    ({**NEW_STORE, "colour": "red"}, "colour"),
])
def test_invalid_store_is_422_and_creates_nothing(client, db, merchant, owner, body, field):
    response = client.post("/api/v1/stores", headers=owner, json=body)
    problem = assert_problem(response, 422, "validation_failed")
    assert field in problem["errors"]
    assert merchant.stores == []


def test_slug_clash_is_409(client, merchant, owner, make_store):
    make_store(merchant, slug="quan-1")
    response = client.post("/api/v1/stores", headers=owner, json={**NEW_STORE, "slug": "quan-1"})
    assert "slug" in assert_problem(response, 409, "conflict")["errors"]


def test_weekly_hours_and_open_now(client, merchant, owner, make_store):
    store = make_store(merchant, hours=[])
    hours = [{"weekday": d, "opens": "00:00", "closes": "00:00", "overnight": True}
             for d in range(7)]
    response = client.put(f"/api/v1/stores/{store.id}/hours", headers=owner,
                          json={"hours": hours})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["hours"][0] == {"weekday": 0, "opens": "00:00", "closes": "00:00",
                                "overnight": True}
    assert body["open_now"] is True  # around the clock

    # Closed every day but one morning two days from now (never today: the store would be
    # open, or just closed, depending on when the test runs): next opening is then, with the
    # store's offset.
    weekday = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).weekday() + 2) % 7
    response = client.put(f"/api/v1/stores/{store.id}/hours", headers=owner,
                          json={"hours": [{"weekday": weekday, "opens": "08:00",
                                           "closes": "09:00"}]})
    body = response.get_json()
    next_opening = datetime.fromisoformat(body["next_opening"])
    assert next_opening.utcoffset() == timedelta(hours=7)
    assert next_opening.weekday() == weekday and next_opening.hour == 8
    assert next_opening > datetime.now(UTC)


def test_overlapping_hours_are_422_and_keep_the_old_hours(client, db, merchant, owner,
                                                          make_store):
    store = make_store(merchant)
    db.session.commit()  # the failing requests below roll back their own work only
    before = client.get(f"/api/v1/stores/{store.id}", headers=owner).get_json()["hours"]
    response = client.put(f"/api/v1/stores/{store.id}/hours", headers=owner, json={"hours": [
        {"weekday": 1, "opens": "08:00", "closes": "12:00"},
        {"weekday": 1, "opens": "11:00", "closes": "14:00"}]})
    assert "hours[1]" in assert_problem(response, 422, "validation_failed")["errors"]
    response = client.put(f"/api/v1/stores/{store.id}/hours", headers=owner, json={"hours": [
        {"weekday": 1, "opens": "8h", "closes": "12:00"}]})
    assert "hours[0].opens" in assert_problem(response, 422, "validation_failed")["errors"]
    assert client.get(f"/api/v1/stores/{store.id}", headers=owner).get_json()["hours"] == before


def test_exceptions(client, db, merchant, owner, make_store):
    store = make_store(merchant)
    tet = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(days=30)).date()
    response = client.post(f"/api/v1/stores/{store.id}/exceptions", headers=owner,
                           json={"date": tet.isoformat(), "note": "Tết"})
    assert response.status_code == 201, response.get_json()
    closed = response.get_json()
    assert closed["closed"] is True and closed["note"] == "Tết"
    response = client.post(f"/api/v1/stores/{store.id}/exceptions", headers=owner, json={
        "date": (tet + timedelta(days=1)).isoformat(), "closed": False,
        "intervals": [{"opens": "10:00", "closes": "14:00"}]})
    special = response.get_json()
    assert special["intervals"] == [{"opens": "10:00", "closes": "14:00", "overnight": False}]

    listed = client.get(f"/api/v1/stores/{store.id}/exceptions", headers=owner).get_json()
    assert [e["date"] for e in listed["items"]] == [tet.isoformat(),
                                                    (tet + timedelta(days=1)).isoformat()]

    response = client.delete(f"/api/v1/stores/{store.id}/exceptions/{closed['id']}",
                             headers=owner)
    assert response.status_code == 204
    assert db.session.get(StoreException, closed["id"]) is None


def test_invalid_exception_is_422(client, merchant, owner, make_store):
    store = make_store(merchant)
    response = client.post(f"/api/v1/stores/{store.id}/exceptions", headers=owner,
                           json={"date": "2026-13-01"})
    assert "date" in assert_problem(response, 422, "validation_failed")["errors"]
    response = client.post(f"/api/v1/stores/{store.id}/exceptions", headers=owner,
                           json={"date": date.today().isoformat(), "closed": False})
    assert "intervals" in assert_problem(response, 422, "validation_failed")["errors"]
    assert store.exceptions == []


def test_staff_can_read_but_not_change_stores(client, merchant, make_store, make_member,
                                              api_token):
    store = make_store(merchant)
    staff = bearer(api_token(make_member(merchant, role="staff")))
    assert client.get(f"/api/v1/stores/{store.id}", headers=staff).status_code == 200
    assert_problem(client.post("/api/v1/stores", headers=staff, json=NEW_STORE), 403,
                   "permission_denied")
    assert_problem(client.patch(f"/api/v1/stores/{store.id}", headers=staff,
                                json={"name": "Đổi tên"}), 403, "permission_denied")
    assert_problem(client.put(f"/api/v1/stores/{store.id}/hours", headers=staff,
                              json={"hours": []}), 403, "permission_denied")
    assert store.name != "Đổi tên"


def test_store_limited_member_sees_only_their_stores(client, merchant, make_store, make_member,
                                                     api_token):
    mine, other = make_store(merchant), make_store(merchant)
    exception_day = (date.today() + timedelta(days=10)).isoformat()
    manager = bearer(api_token(make_member(merchant, role="manager", stores_=[mine])))
    page = client.get("/api/v1/stores", headers=manager).get_json()
    assert [s["id"] for s in page["items"]] == [mine.id]
    assert client.get(f"/api/v1/stores/{mine.id}", headers=manager).status_code == 200
    assert client.patch(f"/api/v1/stores/{mine.id}", headers=manager,
                        json={"phone": "0909 000 111"}).status_code == 200
    for method, url, body in [
        ("GET", f"/api/v1/stores/{other.id}", None),
        ("PATCH", f"/api/v1/stores/{other.id}", {"phone": "0909 000 222"}),
        ("PUT", f"/api/v1/stores/{other.id}/hours", {"hours": []}),
        ("GET", f"/api/v1/stores/{other.id}/exceptions", None),
        ("POST", f"/api/v1/stores/{other.id}/exceptions", {"date": exception_day}),
    ]:
        assert_problem(client.open(url, method=method, headers=manager, json=body), 404,
                       "not_found")
    assert other.phone != "0909 000 222" and other.exceptions == [] and other.hours


def test_exception_of_another_store_is_404(client, db, merchant, owner, make_store):
    first, second = make_store(merchant), make_store(merchant)
    response = client.post(f"/api/v1/stores/{second.id}/exceptions", headers=owner,
                           json={"date": "2031-05-01"})
    exception_id = response.get_json()["id"]
    response = client.delete(f"/api/v1/stores/{first.id}/exceptions/{exception_id}",
                             headers=owner)
    assert_problem(response, 404, "not_found")
    assert db.session.get(StoreException, exception_id) is not None
