"""The appointments plugin's REST API: the consumer holds, confirms, moves and cancels; the
merchant sets up services, staff, rooms, hours and time off, and works the calendar. Bad
input is a 422 naming the field and changes nothing; someone else's objects are 404."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from marketplace.accounts import services as accounts
from marketplace.plugins import services as plugin_services
from tests.support.salon import (
    DAY,
    NINE_TO_SIX,
    NOW,
    PLUGIN,
    SAIGON,
    at,
    booking_module,
    make_spa,
)

CONSUMER = "/api/v1/consumer"


class Clock:
    """The booking services' clock (the API passes none, so they read ``utcnow``)."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(NOW)
    for module in ("booking", "queries"):
        monkeypatch.setattr(booking_module(module), "utcnow", clock)
    return clock


@pytest.fixture
def spa(db, clock, make_merchant, make_store, make_listing):
    spa = make_spa(make_merchant, make_store, make_listing)
    db.session.commit()  # a failing request rolls back its own work only, never the setup
    return spa


@pytest.fixture
def owner_headers(spa, owner_of, api_token):
    return bearer(api_token(owner_of(spa.merchant)))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def consumer(db, user) -> dict:
    _token, plaintext = accounts.create_token(user=user, merchant_id=None, name="app")
    db.session.commit()
    return bearer(plaintext)


def local(moment) -> str:
    """What a client in Hồ Chí Minh City sends: local time with its offset."""
    return moment.astimezone(SAIGON).isoformat()


def count(model) -> int:
    from marketplace.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def models():
    return booking_module("models")


def availability(client, spa, day=DAY, **params):
    query = {"store": spa.store.id, "date": day.isoformat()} | params
    return client.get(f"{CONSUMER}/booking/services/{spa.listing.id}/availability",
                      query_string=query)


def hold(client, headers, spa, start, **body):
    return client.post(f"{CONSUMER}/bookings", headers=headers, json={
        "listing_id": spa.listing.id, "store_id": spa.store.id, "start": local(start)} | body)


def confirmed_booking(db, spa, customer, start, **kwargs):
    bookings = booking_module("booking")
    booking = bookings.confirm(bookings.hold(spa.service, spa.store, start, customer=customer,
                                             now=NOW, **kwargs), customer=customer, now=NOW)
    db.session.commit()
    return booking


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    if code is not None:
        assert problem["code"] == code, problem
    return problem


# --- the consumer's side ----------------------------------------------------------------------

def test_a_consumer_holds_confirms_moves_and_cancels(client, db, spa, clock, buyer):
    free = availability(client, spa)
    assert free.status_code == 200, free.get_json()
    names = {s["id"]: s["name"] for s in free.get_json()["staff"]}
    ten = next(s for s in free.get_json()["slots"] if s["start"] == at(10).isoformat())
    assert ten["end"] == at(11).isoformat()
    assert {names[i] for i in ten["staff_ids"]} == {"Chị Hoa", "Chị Mai"}

    me = consumer(db, buyer)
    held = hold(client, me, spa, at(10), note="Da nhạy cảm")
    assert held.status_code == 201, held.get_json()
    booking = held.get_json()
    assert (booking["state"], booking["starts_at"], booking["ends_at"]) == \
        ("held", "2026-12-09T03:00:00+00:00", "2026-12-09T04:00:00+00:00")
    assert booking["hold_expires_at"] == (NOW + timedelta(minutes=10)).isoformat()
    assert (booking["price"], booking["currency"], booking["party_size"]) == (300000, "VND", 1)
    assert booking["title"] == "Massage 60 phút" and booking["store"]["id"] == spa.store.id
    assert booking["ticket"] is None and booking["note"] == "Da nhạy cảm"
    # The one room is busy from 10:00 to 11:15 now: nobody else is offered 10:00.
    starts = {s["start"] for s in availability(client, spa).get_json()["slots"]}
    assert at(10).isoformat() not in starts and at(11, 30).isoformat() in starts

    reference = booking["reference"]
    confirmed = client.post(f"{CONSUMER}/bookings/{reference}/confirm", headers=me)
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["state"] == "confirmed"
    ticket = confirmed.get_json()["ticket"]
    assert ticket["code"] and ticket["qr"]
    assert confirmed.get_json()["hold_expires_at"] is None

    mine = client.get(f"{CONSUMER}/bookings", headers=me).get_json()
    assert [b["reference"] for b in mine] == [reference]
    assert client.get(f"{CONSUMER}/bookings/{reference.lower()}",
                      headers=me).get_json()["state"] == "confirmed"

    moved = client.post(f"{CONSUMER}/bookings/{reference}/reschedule", headers=me,
                        json={"start": local(at(14))})
    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["starts_at"], moved.get_json()["reschedules"]) == \
        (at(14).isoformat(), 1)
    assert moved.get_json()["ticket"]["code"] != ticket["code"]  # the old ticket is revoked
    starts = {s["start"] for s in availability(client, spa).get_json()["slots"]}
    assert at(10).isoformat() in starts and at(14).isoformat() not in starts

    cancelled = client.post(f"{CONSUMER}/bookings/{reference}/cancel", headers=me,
                            json={"reason": "Bận việc"})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert cancelled.get_json() | {"state": "cancelled", "cancel_reason": "Bận việc",
                                   "ticket": None} == cancelled.get_json()
    assert at(14).isoformat() in {s["start"] for s in availability(client, spa).get_json()["slots"]}


def test_a_chosen_therapist_and_the_cut_off(client, db, spa, clock, buyer):
    me = consumer(db, buyer)
    mai = spa.therapists[1]
    only_mai = availability(client, spa, staff=mai.id).get_json()["slots"]
    assert only_mai and all(slot["staff_ids"] == [mai.id] for slot in only_mai)
    held = hold(client, me, spa, at(15), staff_id=mai.id)
    assert held.status_code == 201 and held.get_json()["staff"] == {"id": mai.id,
                                                                    "name": "Chị Mai"}
    reference = held.get_json()["reference"]
    client.post(f"{CONSUMER}/bookings/{reference}/confirm", headers=me)
    clock.now = at(15) - timedelta(hours=3)  # within the 24 hours before
    late = client.post(f"{CONSUMER}/bookings/{reference}/cancel", headers=me, json={})
    assert "starts_at" in assert_problem(late, 422, "past_cutoff")["errors"]
    late = client.post(f"{CONSUMER}/bookings/{reference}/reschedule", headers=me,
                       json={"start": local(at(16))})
    assert_problem(late, 422, "past_cutoff")
    shown = client.get(f"{CONSUMER}/bookings/{reference}", headers=me).get_json()
    assert (shown["state"], shown["starts_at"]) == ("confirmed", at(15).isoformat())


# --- the merchant's side ----------------------------------------------------------------------

def test_a_merchant_sets_up_a_service_staff_rooms_hours_and_time_off(
        client, db, clock, make_merchant, make_store, make_listing, owner_of, api_token):
    merchant = make_merchant(name="Tóc Xinh")
    plugin_services.set_enabled(merchant, PLUGIN, True)
    store = make_store(merchant, hours=NINE_TO_SIX)
    listing = make_listing(merchant, kind="service", title="Gội đầu dưỡng sinh",
                           duration_minutes=45, price=150000)
    db.session.commit()
    owner = bearer(api_token(owner_of(merchant)))
    api = "/api/v1/booking"

    assert_problem(client.get(f"{api}/services/{listing.id}", headers=owner), 404)
    put = client.put(f"{api}/services/{listing.id}", headers=owner, json={
        "store_ids": [store.id], "step_minutes": 15, "buffer_after_minutes": 15,
        "needs_resource": True, "lead_minutes": 0})
    assert put.status_code == 200, put.get_json()
    service = put.get_json()
    assert service | {"listing_id": listing.id, "title": "Gội đầu dưỡng sinh",
                      "duration_minutes": 45, "store_ids": [store.id], "step_minutes": 15,
                      "needs_staff": True, "needs_resource": True, "party_max": 1,
                      "cancel_cutoff_hours": 24} == service
    assert client.get(f"{api}/services/{listing.id}", headers=owner).get_json() == service
    assert [s["id"] for s in client.get(f"{api}/services", headers=owner).get_json()[
        "items"]] == [service["id"]]

    staff = client.post(f"{api}/resources", headers=owner, json={
        "store_id": store.id, "name": "Anh Long", "service_ids": [service["id"]]})
    assert staff.status_code == 201, staff.get_json()
    assert staff.get_json() | {"kind": "staff", "capacity": 1, "store_id": store.id,
                               "service_ids": [service["id"]], "hours": []} == staff.get_json()
    staff_id = staff.get_json()["id"]
    chair = client.post(f"{api}/resources", headers=owner, json={
        "store_id": store.id, "kind": "room", "name": "Ghế 1", "service_ids": [service["id"]]})
    assert chair.status_code == 201, chair.get_json()
    renamed = client.patch(f"{api}/resources/{staff_id}", headers=owner,
                           json={"name": "Anh Long (trưởng)"})
    assert renamed.get_json()["name"] == "Anh Long (trưởng)"
    listed = client.get(f"{api}/resources", headers=owner,
                        query_string={"store": store.id}).get_json()["items"]
    assert {r["name"] for r in listed} == {"Anh Long (trưởng)", "Ghế 1"}

    mornings = [{"weekday": d, "opens": "09:00", "closes": "13:00"} for d in range(5)]
    hours = client.put(f"{api}/resources/{staff_id}/hours", headers=owner,
                       json={"hours": mornings})
    assert hours.status_code == 200, hours.get_json()
    assert hours.get_json()["hours"][0] == {"weekday": 0, "opens": "09:00", "closes": "13:00",
                                            "overnight": False}
    block = client.post(f"{api}/resources/{staff_id}/blocks", headers=owner, json={
        "starts_at": local(at(9)), "ends_at": local(at(10)), "reason": "Đi muộn"})
    assert block.status_code == 201, block.get_json()
    assert block.get_json() | {"starts_at": at(9).isoformat(), "ends_at": at(10).isoformat(),
                               "reason": "Đi muộn"} == block.get_json()

    # What the consumer is offered follows: Wednesday 10:00 (after the block) to 12:15 (the
    # last 45 minutes before 13:00).
    listed = client.get(f"{CONSUMER}/booking/services/{listing.id}/availability",
                        query_string={"store": store.id, "date": DAY.isoformat()}).get_json()
    listed = listed["slots"]
    assert (listed[0]["start"], listed[-1]["start"]) == \
        (at(10).isoformat(), at(12, 15).isoformat())

    blocks = client.get(f"{api}/resources/{staff_id}/blocks", headers=owner).get_json()
    assert [b["id"] for b in blocks["items"]] == [block.get_json()["id"]]
    gone = client.delete(f"/api/v1/booking/blocks/{block.get_json()['id']}", headers=owner)
    assert gone.status_code == 204
    assert client.get(f"{api}/resources/{staff_id}/blocks", headers=owner).get_json()[
        "items"] == []
    assert count(models().Occupancy) == 0


def test_the_calendar_check_in_complete_no_show_and_moves(client, db, spa, clock, buyer,
                                                          make_user, owner_headers):
    first = confirmed_booking(db, spa, buyer, at(10), staff_id=spa.therapists[0].id)
    second = confirmed_booking(db, spa, make_user(full_name="Lê Văn Cường"), at(13),
                               staff_id=spa.therapists[1].id)
    api = "/api/v1/booking/bookings"
    day = client.get(api, headers=owner_headers,
                     query_string={"store": spa.store.id, "date": DAY.isoformat()})
    assert day.status_code == 200, day.get_json()
    assert [(b["id"], b["customer_name"], b["starts_at"]) for b in day.get_json()] == [
        (first.id, "Trần Thị Bình", at(10).isoformat()),
        (second.id, "Lê Văn Cường", at(13).isoformat())]
    hoa = client.get(api, headers=owner_headers,
                     query_string={"staff": spa.therapists[0].id, "date": DAY.isoformat()})
    assert [b["id"] for b in hoa.get_json()] == [first.id]
    assert client.get(api, headers=owner_headers, query_string={
        "store": spa.store.id, "date": DAY.isoformat(), "state": "checked_in"}).get_json() == []
    assert client.get(api, headers=owner_headers, query_string={
        "store": spa.store.id, "date": (DAY + timedelta(days=1)).isoformat()}).get_json() == []

    def event(booking, name, **body):
        return client.post(f"{api}/{booking.id}/transitions", headers=owner_headers,
                           json={"event": name} | body)

    assert_problem(event(first, "complete"), 409, "invalid_transition")
    clock.now = at(9, 55)
    checked_in = event(first, "check_in")
    assert checked_in.status_code == 200, checked_in.get_json()
    assert checked_in.get_json()["state"] == "checked_in"
    assert checked_in.get_json()["checked_in_at"] == at(9, 55).isoformat()
    assert event(first, "complete").get_json()["state"] == "completed"

    assert_problem(event(second, "no_show"), 422)  # it has not started yet
    moved = client.post(f"{api}/{second.id}/reschedule", headers=owner_headers,
                        json={"start": local(at(15)), "staff_id": spa.therapists[0].id})
    assert moved.status_code == 200, moved.get_json()
    assert (moved.get_json()["starts_at"], moved.get_json()["staff"]["id"]) == \
        (at(15).isoformat(), spa.therapists[0].id)
    clock.now = at(15, 20)
    assert event(second, "no_show").get_json()["state"] == "no_show"
    assert client.get(f"{api}/{second.id}", headers=owner_headers).get_json()["state"] == \
        "no_show"
    Occupancy = models().Occupancy
    kept = db.session.scalars(sa.select(Occupancy.booking_id)).all()
    assert kept and set(kept) == {first.id}  # a no-show gives its time back


def test_the_merchant_cancels_with_a_reason(client, db, spa, clock, buyer, owner_headers):
    booking = confirmed_booking(db, spa, buyer, at(10))
    clock.now = at(9)  # after the customer's cut-off: the merchant may still cancel
    cancelled = client.post(f"/api/v1/booking/bookings/{booking.id}/transitions",
                            headers=owner_headers,
                            json={"event": "cancel", "reason": "Thợ ốm"})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert (cancelled.get_json()["state"], cancelled.get_json()["cancel_reason"]) == \
        ("cancelled", "Thợ ốm")


# --- refusals ---------------------------------------------------------------------------------

def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(
        client, db, spa, clock, buyer, make_merchant, make_store, owner_headers):
    me = consumer(db, buyer)
    elsewhere = make_store(make_merchant())
    reception = booking_module("setup").create_resource(spa.merchant.id, {
        "store_id": spa.store.id, "name": "Lễ tân"})
    db.session.commit()
    naive = at(10).astimezone(SAIGON).replace(tzinfo=None).isoformat()
    cases = [
        (client.post(f"{CONSUMER}/bookings", headers=me, json={
            "listing_id": spa.listing.id, "store_id": spa.store.id, "start": naive}),
         "start", None),
        (client.post(f"{CONSUMER}/bookings", headers=me, json={
            "store_id": spa.store.id, "start": local(at(10))}), "listing_id", None),
        (hold(client, me, spa, at(10), party_size=3), "party_size", "party_out_of_range"),
        (hold(client, me, spa, at(10, 10)), "start", "slot_off_grid"),
        (hold(client, me, spa, at(8)), "start", "store_closed"),
        (hold(client, me, spa, NOW + timedelta(minutes=30)), "start", "slot_too_soon"),
        (hold(client, me, spa, at(10), store_id=elsewhere.id), "store_id", None),
        (hold(client, me, spa, at(10), staff_id=reception.id), "staff_id",
         "staff_not_qualified"),
        (hold(client, me, spa, at(10), colour="red"), "colour", None),
        (availability(client, spa, staff=reception.id), "staff", "staff_not_qualified"),
        (availability(client, spa, store=elsewhere.id), "store", None),
        (availability(client, spa, party=2), "party", "party_out_of_range"),
        (client.get(f"{CONSUMER}/booking/services/{spa.listing.id}/availability",
                    query_string={"store": spa.store.id}), "date", None),
    ]
    for response, field, code in cases:
        problem = assert_problem(response, 422, code)
        assert field in problem["errors"], (field, problem)
    assert count(models().Booking) == 0 and count(models().Occupancy) == 0

    api = "/api/v1/booking"
    setup_cases = [
        (client.put(f"{api}/services/{spa.listing.id}", headers=owner_headers,
                    json={"step_minutes": 0, "lead_minutes": 5}), "step_minutes"),
        (client.put(f"{api}/services/{spa.listing.id}", headers=owner_headers,
                    json={"party_min": 4, "party_max": 2}), "party_max"),
        (client.put(f"{api}/services/{spa.listing.id}", headers=owner_headers,
                    json={"needs_staff": False, "needs_resource": False}), "needs_staff"),
        (client.put(f"{api}/services/{spa.listing.id}", headers=owner_headers,
                    json={"lead_minutes": "soon"}), "lead_minutes"),
        (client.post(f"{api}/resources", headers=owner_headers, json={
            "store_id": spa.store.id, "kind": "robot", "name": "R2"}), "kind"),
        (client.post(f"{api}/resources", headers=owner_headers, json={
            "store_id": spa.store.id, "name": "Chị Hoa"}), "name"),
        (client.patch(f"{api}/resources/{spa.rooms[0].id}", headers=owner_headers,
                      json={"kind": "staff"}), "kind"),
        (client.put(f"{api}/resources/{spa.therapists[0].id}/hours", headers=owner_headers,
                    json={"hours": [{"weekday": 0, "opens": "nine", "closes": "13:00"}]}),
         "hours[0].opens"),
        (client.put(f"{api}/resources/{spa.rooms[0].id}/hours", headers=owner_headers,
                    json={"hours": []}), "hours"),
        (client.post(f"{api}/resources/{spa.rooms[0].id}/blocks", headers=owner_headers,
                     json={"starts_at": local(at(12)), "ends_at": local(at(11))}), "ends_at"),
        (client.post(f"{api}/resources/{spa.rooms[0].id}/blocks", headers=owner_headers,
                     json={"starts_at": naive, "ends_at": local(at(11))}), "starts_at"),
        (client.get(f"{api}/bookings", headers=owner_headers,
                    query_string={"date": DAY.isoformat()}), "store"),
        (client.get(f"{api}/bookings", headers=owner_headers,
                    query_string={"store": spa.store.id, "state": "lost"}), "state"),
    ]
    for response, field in setup_cases:
        problem = assert_problem(response, 422)
        assert field in problem["errors"], (field, problem)
    db.session.expire_all()
    service = db.session.get(models().ServiceSetup, spa.service.id)
    assert (service.step_minutes, service.lead_minutes, service.party_max,
            service.needs_resource) == (30, 60, 1, True)
    assert [r.name for r in db.session.scalars(sa.select(models().Resource).order_by(
        models().Resource.id))] == ["Chị Hoa", "Chị Mai", "Phòng 1", "Lễ tân"]
    assert db.session.get(models().Resource, spa.rooms[0].id).kind == "room"
    assert count(models().Block) == 0 and count(models().WorkingHours) == 0


def test_a_taken_slot_is_a_conflict(client, db, spa, clock, buyer, make_user, owner_headers):
    first, second = consumer(db, buyer), consumer(db, make_user())
    assert hold(client, first, spa, at(10)).status_code == 201
    taken = assert_problem(hold(client, second, spa, at(10, 30)), 409)
    assert taken["code"] in {"slot_taken", "no_resource_free"}
    assert count(models().Booking) == 1
    confirmed = hold(client, second, spa, at(14)).get_json()["reference"]
    client.post(f"{CONSUMER}/bookings/{confirmed}/confirm", headers=second)
    again = client.post(f"{CONSUMER}/bookings/{confirmed}/confirm", headers=second)
    assert_problem(again, 409, "invalid_transition")
    # Moving onto the first customer's time is refused and keeps the booking where it was.
    moved = client.post(f"{CONSUMER}/bookings/{confirmed}/reschedule", headers=second,
                        json={"start": local(at(10))})
    assert_problem(moved, 409)
    assert client.get(f"{CONSUMER}/bookings/{confirmed}", headers=second).get_json()[
        "starts_at"] == at(14).isoformat()
    # Time off over a booking is refused too.
    room = spa.rooms[0].id
    blocked = client.post(f"/api/v1/booking/resources/{room}/blocks", headers=owner_headers,
                          json={"starts_at": local(at(13)), "ends_at": local(at(18))})
    assert_problem(blocked, 409, "time_taken")
    assert count(models().Block) == 0


def test_other_merchants_and_other_customers_objects_are_404(
        client, db, spa, clock, buyer, make_user, make_merchant, make_store, make_listing,
        owner_of, api_token):
    mine = confirmed_booking(db, spa, buyer, at(10))
    rival = make_spa(make_merchant, make_store, make_listing)
    db.session.commit()
    theirs = bearer(api_token(owner_of(rival.merchant)))
    api = "/api/v1/booking"
    for method, url, body in [
        ("GET", f"{api}/bookings/{mine.id}", None),
        ("POST", f"{api}/bookings/{mine.id}/transitions", {"event": "cancel"}),
        ("POST", f"{api}/bookings/{mine.id}/reschedule", {"start": local(at(14))}),
        ("GET", f"{api}/services/{spa.listing.id}", None),
        ("PUT", f"{api}/services/{spa.listing.id}", {"lead_minutes": 0}),
        ("PATCH", f"{api}/resources/{spa.therapists[0].id}", {"name": "X"}),
        ("PUT", f"{api}/resources/{spa.therapists[0].id}/hours", {"hours": []}),
        ("GET", f"{api}/bookings?store={spa.store.id}&date={DAY}", None),
        ("GET", f"{api}/bookings?staff={spa.therapists[0].id}", None),
        ("GET", f"{api}/resources?store={spa.store.id}", None),
        ("POST", f"{api}/resources", {"store_id": spa.store.id, "name": "Gián điệp"}),
    ]:
        response = client.open(url, method=method, headers=theirs, json=body)
        assert_problem(response, 404, "not_found")
    # A store of another merchant in a service's stores is not theirs to offer either.
    response = client.put(f"{api}/services/{rival.listing.id}", headers=theirs,
                          json={"store_ids": [spa.store.id]})
    assert response.status_code in (404, 422)

    stranger = consumer(db, make_user())
    reference = mine.reference
    for method, path, body in [("GET", "", None), ("POST", "/confirm", None),
                               ("POST", "/cancel", {}),
                               ("POST", "/reschedule", {"start": local(at(14))})]:
        response = client.open(f"{CONSUMER}/bookings/{reference}{path}", method=method,
                               headers=stranger, json=body)
        assert_problem(response, 404, "not_found")
    assert client.get(f"{CONSUMER}/bookings", headers=stranger).get_json() == []
    # A merchant's token is not a customer's.
    assert_problem(client.get(f"{CONSUMER}/bookings/{reference}", headers=theirs), 401)
    db.session.expire_all()
    booking = db.session.get(models().Booking, mine.id)
    assert (booking.state, booking.starts_at) == ("confirmed", at(10))
    assert db.session.get(models().Resource, spa.therapists[0].id).name == "Chị Hoa"


def test_staff_work_the_calendar_of_their_store_but_not_the_setup(
        client, db, spa, clock, buyer, make_member, make_store, api_token):
    booking = confirmed_booking(db, spa, buyer, at(10))
    staff = bearer(api_token(make_member(spa.merchant, role="staff", stores_=[spa.store])))
    api = "/api/v1/booking"
    for method, url, body in [
        ("PUT", f"{api}/services/{spa.listing.id}", {"lead_minutes": 0}),
        ("POST", f"{api}/resources", {"store_id": spa.store.id, "name": "Chị Lan"}),
        ("PATCH", f"{api}/resources/{spa.therapists[0].id}", {"name": "X"}),
        ("PUT", f"{api}/resources/{spa.therapists[0].id}/hours", {"hours": []}),
        ("POST", f"{api}/resources/{spa.therapists[0].id}/blocks",
         {"starts_at": local(at(16)), "ends_at": local(at(17))}),
    ]:
        assert_problem(client.open(url, method=method, headers=staff, json=body), 403,
                       "permission_denied")
    assert client.get(f"{api}/services/{spa.listing.id}", headers=staff).status_code == 200
    day = client.get(f"{api}/bookings", headers=staff,
                     query_string={"store": spa.store.id, "date": DAY.isoformat()})
    assert [b["id"] for b in day.get_json()] == [booking.id]
    checked_in = client.post(f"{api}/bookings/{booking.id}/transitions", headers=staff,
                             json={"event": "check_in"})
    assert checked_in.get_json()["state"] == "checked_in"

    # Someone working at another store of the merchant does not see this store's bookings.
    other_store = make_store(spa.merchant)
    elsewhere = bearer(api_token(make_member(spa.merchant, role="staff",
                                             stores_=[other_store])))
    assert_problem(client.get(f"{api}/bookings/{booking.id}", headers=elsewhere), 404)
    assert_problem(client.get(f"{api}/resources/{spa.therapists[0].id}", headers=elsewhere),
                   404)
    assert client.get(f"{api}/resources", headers=elsewhere).get_json()["items"] == []


def test_without_the_plugin_a_merchant_has_no_booking_api(client, db, spa, clock, buyer,
                                                           owner_headers):
    booking = confirmed_booking(db, spa, buyer, at(10))
    me = consumer(db, buyer)
    assert client.get("/api/v1/booking/services", headers=owner_headers).status_code == 200
    plugin_services.set_enabled(spa.merchant, PLUGIN, False)
    db.session.commit()
    for method, url in [("GET", "/api/v1/booking/services"),
                        ("GET", f"/api/v1/booking/services/{spa.listing.id}"),
                        ("GET", f"/api/v1/booking/bookings/{booking.id}"),
                        ("GET", f"/api/v1/booking/bookings?store={spa.store.id}"),
                        ("POST", "/api/v1/booking/resources")]:
        response = client.open(url, method=method, headers=owner_headers, json={})
        assert_problem(response, 404, "not_found")
    assert_problem(client.get("/api/v1/booking/services"), 401)  # still: who is asking first
    assert_problem(availability(client, spa), 404, "not_found")
    assert_problem(hold(client, me, spa, at(14)), 404, "not_found")
    assert_problem(client.get(f"{CONSUMER}/bookings/{booking.reference}", headers=me), 404)
    assert count(models().Booking) == 1


def test_the_operations_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    merchant = {
        ("get", "/api/v1/booking/services"): "view",
        ("get", "/api/v1/booking/services/{listing_id}"): "view",
        ("put", "/api/v1/booking/services/{listing_id}"): "manage_stores",
        ("get", "/api/v1/booking/resources"): "view",
        ("post", "/api/v1/booking/resources"): "manage_stores",
        ("get", "/api/v1/booking/resources/{resource_id}"): "view",
        ("patch", "/api/v1/booking/resources/{resource_id}"): "manage_stores",
        ("put", "/api/v1/booking/resources/{resource_id}/hours"): "manage_stores",
        ("get", "/api/v1/booking/resources/{resource_id}/blocks"): "view",
        ("post", "/api/v1/booking/resources/{resource_id}/blocks"): "manage_stores",
        ("delete", "/api/v1/booking/blocks/{block_id}"): "manage_stores",
        ("get", "/api/v1/booking/bookings"): "handle_orders",
        ("get", "/api/v1/booking/bookings/{booking_id}"): "handle_orders",
        ("post", "/api/v1/booking/bookings/{booking_id}/transitions"): "handle_orders",
        ("post", "/api/v1/booking/bookings/{booking_id}/reschedule"): "handle_orders",
    }
    for (method, path), permission in merchant.items():
        operation = paths[path][method]
        assert operation["x-permission"] == permission, (method, path)
        assert operation["security"] == [{"token": []}], (method, path)
        assert operation["summary"], (method, path)
    consumer_ops = [
        ("post", "/api/v1/consumer/bookings"), ("get", "/api/v1/consumer/bookings"),
        ("get", "/api/v1/consumer/bookings/{reference}"),
        ("post", "/api/v1/consumer/bookings/{reference}/confirm"),
        ("post", "/api/v1/consumer/bookings/{reference}/payment"),
        ("post", "/api/v1/consumer/bookings/{reference}/cancel"),
        ("post", "/api/v1/consumer/bookings/{reference}/reschedule")]
    for method, path in consumer_ops:
        assert paths[path][method]["security"] == [{"token": []}], (method, path)
    public = paths["/api/v1/consumer/booking/services/{listing_id}/availability"]["get"]
    assert "security" not in public
    assert {p["name"] for p in public["parameters"]} == {"store", "date", "staff", "party"}
    hold_body = paths["/api/v1/consumer/bookings"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"listing_id", "store_id", "start"} <= set(
        spec["components"]["schemas"][hold_body]["required"])
    answer = spec["components"]["schemas"]["CustomerBooking"]["properties"]
    assert {"reference", "state", "starts_at", "hold_expires_at", "ticket"} <= set(answer)


def test_the_stores_of_a_service_nearest_first(client, db, spa, make_store):
    # Spa Sen Quận 1 is at 10.7769, 106.7009 (the store factory); a second one far north.
    hanoi = make_store(spa.merchant, name="Spa Sen Hoàn Kiếm", latitude=21.0285,
                       longitude=105.8542)
    booking_module("setup").configure_service(spa.listing, {
        "store_ids": [spa.store.id, hanoi.id]})
    url = f"{CONSUMER}/booking/services/{spa.listing.id}/stores"
    plain = client.get(url).get_json()
    assert [s["id"] for s in plain] == sorted([s["id"] for s in plain],
                                              key=lambda i: {spa.store.id: spa.store.name,
                                                             hanoi.id: hanoi.name}[i])
    assert all(s["distance_km"] is None for s in plain)
    near_hanoi = client.get(url, query_string={"lat": 21.03, "lng": 105.85}).get_json()
    assert [s["id"] for s in near_hanoi] == [hanoi.id, spa.store.id]
    assert near_hanoi[0]["distance_km"] < 1 < 1000 < near_hanoi[1]["distance_km"] < 1200
    near_saigon = client.get(url, query_string={"lat": 10.78, "lng": 106.70}).get_json()
    assert [s["id"] for s in near_saigon] == [spa.store.id, hanoi.id]
    assert_problem(client.get(url, query_string={"lat": 200, "lng": 1}), 422)


def test_a_group_service_has_places_and_each_start_says_how_many_are_left(
        client, db, clock, make_merchant, make_store, make_listing, owner_of, api_token,
        buyer, make_user):
    merchant = make_merchant(name="Yoga Sen")
    plugin_services.set_enabled(merchant, PLUGIN, True)
    store = make_store(merchant, hours=NINE_TO_SIX)
    listing = make_listing(merchant, kind="service", title="Yoga buổi sáng",
                           duration_minutes=60, price=120000)
    db.session.commit()
    owner = bearer(api_token(owner_of(merchant)))
    api = "/api/v1/booking"
    setup = {"store_ids": [store.id], "step_minutes": 60, "needs_resource": True,
             "lead_minutes": 0, "seats": 12, "party_max": 13}
    too_large = client.put(f"{api}/services/{listing.id}", headers=owner, json=setup)
    assert "party_max" in assert_problem(too_large, 422)["errors"]
    put = client.put(f"{api}/services/{listing.id}", headers=owner,
                     json=setup | {"party_max": 4})
    assert put.status_code == 200, put.get_json()
    service = put.get_json()
    assert (service["seats"], service["party_max"]) == (12, 4)
    for body in ({"name": "Cô Lan"}, {"kind": "room", "name": "Phòng tập", "capacity": 12}):
        made = client.post(f"{api}/resources", headers=owner,
                           json={"store_id": store.id, "service_ids": [service["id"]]} | body)
        assert made.status_code == 201, made.get_json()
    teacher = db.session.scalars(sa.select(models().Resource).where(
        models().Resource.name == "Cô Lan")).one()
    yoga = SimpleNamespace(listing=listing, store=store)  # what availability() and hold() use

    def ten(**params):
        free = availability(client, yoga, **params)
        assert free.status_code == 200, free.get_json()
        return next((s for s in free.get_json()["slots"] if s["start"] == at(10).isoformat()),
                    None)

    assert ten()["seats_left"] == 12
    headers = consumer(db, buyer)
    held = hold(client, headers, yoga, at(10), party_size=3)
    assert held.status_code == 201, held.get_json()
    assert held.get_json()["staff"]["name"] == "Cô Lan"
    slot = ten()
    assert (slot["seats_left"], slot["staff_ids"]) == (9, [teacher.id])
    assert ten(party=4)["seats_left"] == 9
    # A group session comes with its instructor: choosing one is refused, not ignored.
    refused = availability(client, yoga, staff=teacher.id)
    assert assert_problem(refused, 422, "staff_choice_refused")["errors"].keys() == {"staff"}
    other = consumer(db, make_user())
    assert_problem(hold(client, other, yoga, at(10),
                        staff_id=teacher.id), 422, "staff_choice_refused")
    for _ in range(2):
        assert hold(client, consumer(db, make_user()), yoga, at(10),
                    party_size=4).status_code == 201
    full = assert_problem(hold(client, other, yoga, at(10),
                               party_size=2), 409, "session_full")
    assert full["seats_left"] == 1
    assert ten(party=2) is None and ten()["seats_left"] == 1
    calendar = client.get(f"{api}/bookings", headers=owner,
                          query_string={"store": store.id, "date": DAY.isoformat()}).get_json()
    assert len(calendar) == 3 and len({b["session_id"] for b in calendar}) == 1


def test_a_manager_of_one_store_changes_only_that_stores_offer(
        client, db, spa, clock, make_store, make_member, api_token):
    other = make_store(spa.merchant, name="Spa Sen Quận 7")
    setup = booking_module("setup")
    setup.configure_service(spa.listing, {"store_ids": [spa.store.id, other.id]})
    db.session.commit()
    manager = bearer(api_token(make_member(spa.merchant, role="manager", stores_=[spa.store])))
    url = f"/api/v1/booking/services/{spa.listing.id}"
    # The store they do not manage can be neither added nor taken away.
    refused = client.put(url, headers=manager, json={"store_ids": [spa.store.id, other.id]})
    assert_problem(refused, 422)
    assert "store_ids" in refused.get_json()["errors"]
    kept = client.put(url, headers=manager, json={"store_ids": []})
    assert kept.status_code == 200, kept.get_json()
    assert kept.get_json()["store_ids"] == [other.id]
