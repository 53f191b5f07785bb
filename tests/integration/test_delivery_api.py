"""The delivery API: a consumer's saved addresses and parcels (a consumer token), and the
merchant's shipments (a personal access token): the list with its filters, one shipment,
its events, its rider and its return store. Someone else's is 404 before the body is read;
bad input is a 422 naming the field and changes nothing; an event the state does not allow
is 409."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.delivery import addresses
from marketplace.delivery import shipments as ship
from marketplace.delivery.models import DeliveryAddress, Shipment
from marketplace.extensions import db
from marketplace.plugins import DeliveryQuote, TrackingUpdate
from marketplace.plugins.testing_factories import PASSWORD
from tests.support.shopping import buy, pickup_choice, slot_at

pytestmark = pytest.mark.usefixtures("english")

HOME = {"label": "Nhà", "recipient_name": "Trần Thị Bình", "phone": "0901 234 567",
        "line": "12 Nguyễn Huệ", "ward": "Bến Nghé", "district": "Quận 1",
        "city": "Hồ Chí Minh", "latitude": 10.7741, "longitude": 106.7038}
SHIPMENTS = "/api/v1/merchant/shipments"


def quote(**changes) -> DeliveryQuote:
    start = utcnow().replace(microsecond=0) + timedelta(hours=2)
    terms = {"carrier": "walker_test", "service": "same_day", "label": "Same day",
             "fee": 25000, "currency": "VND", "window_start": start,
             "window_end": start + timedelta(hours=3), "cash_on_delivery": True,
             "inspect_before_accept": False, "delivery_attempts": 2, "redelivery_fee": 0}
    return DeliveryQuote(**(terms | changes))


class Shop:
    def __init__(self, merchant, stores, listing, token):
        self.merchant, (self.store, self.other), self.listing = merchant, stores, listing
        self.headers = {"Authorization": f"Bearer {token}"}


@pytest.fixture
def make_shop(db, selling_shop, owner_of, api_token):
    def factory() -> Shop:
        merchant, stores, listing = selling_shop()
        return Shop(merchant, stores, listing, api_token(owner_of(merchant)))

    return factory


@pytest.fixture
def shop(make_shop):
    return make_shop()


@pytest.fixture
def send(db, buyer):
    """A parcel of ``customer``'s new order at ``store`` (the shop's first by default)."""

    def factory(shop: Shop, customer=None, *, store=None, cod=True, **changes) -> Shipment:
        store = store or shop.store
        order = buy(customer or buyer, [(shop.listing.variants[0], 1)],
                    [pickup_choice(shop.merchant, store, slot_at(store))]).orders[0]
        shipment = ship.create_shipment(order, quote(**changes), address=HOME,
                                        cod_amount=order.total if cod else 0)
        db.session.commit()  # a refused request rolls back its own work only
        return shipment

    return factory


def consumer(client, user) -> dict:
    response = client.post("/api/v1/consumer/tokens",
                           json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def fresh(shipment) -> Shipment:
    db.session.expire_all()
    return db.session.get(Shipment, shipment.id)


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code
    return body


def count_addresses(user) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(DeliveryAddress).where(
        DeliveryAddress.user_id == user.id))


# --- the consumer's addresses -----------------------------------------------------------------

def test_a_consumer_keeps_addresses(client, buyer):
    headers = consumer(client, buyer)
    url = "/api/v1/consumer/addresses"
    assert client.get(url, headers=headers).get_json() == []
    created = client.post(url, json=HOME, headers=headers)
    assert created.status_code == 201
    address = created.get_json()
    assert address == HOME | {"id": address["id"]}
    changed = client.put(f"{url}/{address['id']}", headers=headers,
                         json=HOME | {"line": "5 Lê Duẩn", "ward": None, "label": "Công ty"})
    assert changed.status_code == 200
    assert (changed.get_json()["line"], changed.get_json()["ward"]) == ("5 Lê Duẩn", None)
    assert [a["label"] for a in client.get(url, headers=headers).get_json()] == ["Công ty"]
    assert client.delete(f"{url}/{address['id']}", headers=headers).status_code == 204
    assert client.get(url, headers=headers).get_json() == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"phone": ""}, "phone"),
    ({"phone": "call me"}, "phone"),
    ({"recipient_name": " "}, "recipient_name"),
    ({"city": ""}, "city"),
    ({"latitude": 91}, "latitude"),
    ({"longitude": "east"}, "longitude"),
    ({"line": "x" * 301}, "line"),
])
def test_bad_addresses_are_422_naming_the_field_and_save_nothing(client, buyer, changes,
                                                                 field):
    headers = consumer(client, buyer)
    url = "/api/v1/consumer/addresses"
    body = problem(client.post(url, json=HOME | changes, headers=headers), 422,
                   "validation_failed")
    assert field in body["errors"], body
    assert count_addresses(buyer) == 0
    kept = client.post(url, json=HOME, headers=headers).get_json()
    body = problem(client.put(f"{url}/{kept['id']}", json=HOME | changes, headers=headers),
                   422, "validation_failed")
    assert field in body["errors"]
    assert client.get(url, headers=headers).get_json() == [kept]


def test_missing_fields_are_422_too(client, buyer):
    headers = consumer(client, buyer)
    body = problem(client.post("/api/v1/consumer/addresses", json={"label": "Nhà"},
                               headers=headers), 422, "validation_failed")
    assert {"recipient_name", "phone", "line", "district", "city", "latitude",
            "longitude"} <= set(body["errors"])


def test_the_twenty_first_address_is_refused(client, buyer):
    for n in range(addresses.MAX_ADDRESSES):
        addresses.save_address(buyer, HOME | {"label": f"#{n}"})
    db.session.commit()
    headers = consumer(client, buyer)
    problem(client.post("/api/v1/consumer/addresses", json=HOME, headers=headers), 422,
            "validation_failed")
    assert count_addresses(buyer) == addresses.MAX_ADDRESSES


def test_someone_elses_address_is_404_before_the_body_is_read(client, buyer, make_user):
    mine = addresses.save_address(buyer, HOME)
    db.session.commit()
    headers = consumer(client, make_user())
    url = f"/api/v1/consumer/addresses/{mine.id}"
    for body in (HOME | {"line": "Bị đổi"}, {"bad": True}):
        problem(client.put(url, json=body, headers=headers), 404, "not_found")
    problem(client.delete(url, headers=headers), 404, "not_found")
    problem(client.put("/api/v1/consumer/addresses/2147483648", json=HOME, headers=headers),
            404, "not_found")
    assert client.get("/api/v1/consumer/addresses", headers=headers).get_json() == []
    db.session.expire_all()
    assert db.session.get(DeliveryAddress, mine.id).line == "12 Nguyễn Huệ"


def test_addresses_and_parcels_need_a_consumer_token(client, shop, api_token, owner_of):
    merchant_token = {"Authorization": f"Bearer {api_token(owner_of(shop.merchant))}"}
    for method, url in (("GET", "/api/v1/consumer/addresses"),
                        ("POST", "/api/v1/consumer/addresses"),
                        ("PUT", "/api/v1/consumer/addresses/1"),
                        ("DELETE", "/api/v1/consumer/addresses/1"),
                        ("GET", "/api/v1/consumer/shipments/GH-22222222")):
        for headers in ({}, merchant_token):
            problem(client.open(url, method=method, json={"bad": True}, headers=headers),
                    401, "authentication_failed")


# --- the consumer's parcel --------------------------------------------------------------------

def test_a_consumer_follows_a_parcel(client, buyer, shop, send, make_user):
    shipment = send(shop)
    ship.apply(shipment, "pick_up", source="staff")
    ship.apply(shipment, "forward", source="staff")
    ship.report(shipment, TrackingUpdate(event_id="late", status="picked_up",
                                         occurred_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    headers = consumer(client, buyer)
    answer = client.get(f"/api/v1/consumer/shipments/{shipment.reference.lower()}",
                        headers=headers)
    assert answer.status_code == 200
    parcel = answer.get_json()
    assert {k: parcel[k] for k in ("reference", "order_number", "carrier", "carrier_label",
                                   "state", "state_label", "store", "timezone", "cod_amount",
                                   "currency", "inspect_before_accept", "attempts",
                                   "max_attempts")} == {
        "reference": shipment.reference, "order_number": shipment.order.number,
        "carrier": "walker_test", "carrier_label": "walker_test", "state": "in_transit",
        "state_label": "In transit", "store": shop.store.name,
        "timezone": "Asia/Ho_Chi_Minh", "cod_amount": shipment.order.total,
        "currency": "VND", "inspect_before_accept": False, "attempts": 0,
        "max_attempts": 2}
    assert parcel["address"]["line"] == "12 Nguyễn Huệ"
    assert datetime.fromisoformat(parcel["window_start"]) == shipment.window_start
    # The timeline without the ignored news, oldest first, each with its words.
    assert [(e["event"], e["label"]) for e in parcel["events"]] == [
        ("create", "Delivery booked"), ("pick_up", "Picked up by the courier"),
        ("forward", "In transit")]
    assert all("actor_id" not in e and "source" not in e for e in parcel["events"])
    assert [(s["state"], s["reached"], s["current"]) for s in parcel["progress"]] == [
        ("created", True, False), ("picked_up", True, False), ("in_transit", True, True),
        ("out_for_delivery", False, False), ("delivered", False, False)]
    stranger = consumer(client, make_user())
    problem(client.get(f"/api/v1/consumer/shipments/{shipment.reference}", headers=stranger),
            404, "not_found")
    problem(client.get("/api/v1/consumer/shipments/GH-NOTHING1", headers=headers), 404,
            "not_found")


# --- the merchant's shipments -----------------------------------------------------------------

def test_the_list_is_paged_and_filtered(client, shop, send, make_shop):
    first = send(shop)
    second = send(shop, store=shop.other, carrier="bike_test")
    third = send(shop)
    theirs = send(make_shop())
    ship.apply(third, "pick_up", source="staff")
    db.session.commit()

    def refs(**query):
        answer = client.get(SHIPMENTS, query_string=query, headers=shop.headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    page = refs()
    assert [s["reference"] for s in page["items"]] == [third.reference, second.reference,
                                                       first.reference]  # newest first
    assert theirs.reference not in str(page)
    assert page["items"][0]["state_label"] == "Picked up"
    assert page["items"][0]["address"]["district"] == "Quận 1"
    small = refs(page_size=2)
    assert (len(small["items"]), small["has_more"], small["next_page"]) == (2, True, 2)
    assert [s["reference"] for s in refs(page_size=2, page=2)["items"]] == [first.reference]
    assert [s["reference"] for s in refs(state="created")["items"]] == [
        second.reference, first.reference]
    assert [s["reference"] for s in refs(store_id=shop.other.id)["items"]] == [
        second.reference]
    assert [s["reference"] for s in refs(carrier="bike_test")["items"]] == [second.reference]
    problem(client.get(SHIPMENTS, query_string={"state": "lost"}, headers=shop.headers), 422,
            "validation_failed")
    problem(client.get(SHIPMENTS, query_string={"store_id": theirs.store_id},
                       headers=shop.headers), 404, "not_found")


def test_one_shipment_with_its_lines_timeline_and_allowed_events(client, shop, send):
    shipment = send(shop)
    ship.report(shipment, TrackingUpdate(event_id="c-1", status="created",
                                         occurred_at=utcnow(), note="Booked at the hub"))
    db.session.commit()
    answer = client.get(f"{SHIPMENTS}/{shipment.id}", headers=shop.headers)
    assert answer.status_code == 200
    found = answer.get_json()
    assert (found["id"], found["order_id"], found["store_id"], found["state"]) == (
        shipment.id, shipment.order_id, shop.store.id, "created")
    assert found["recipient_phone"] == "0901 234 567"
    assert found["cod_amount"] == shipment.order.total and found["cod_collected"] is None
    [line] = found["lines"]
    assert (line["variant_id"], line["quantity"], line["sku"]) == (
        shop.listing.variants[0].id, 1, shop.listing.variants[0].sku)
    assert [(e["event"], e["ignored"], e["source"]) for e in found["events"]] == [
        ("create", False, "system"), ("created", True, "carrier")]
    assert found["events"][1]["note"] == "Booked at the hub"
    assert found["allowed_events"] == ["pick_up", "cancel"]


def test_staff_record_the_way_to_the_door(client, shop, send, owner_of):
    shipment = send(shop)
    url = f"{SHIPMENTS}/{shipment.id}/events"
    for event in ("pick_up", "forward", "send_out"):
        answer = client.post(url, json={"event": event}, headers=shop.headers)
        assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["allowed_events"] == ["deliver", "fail_attempt"]
    problem(client.post(url, json={"event": "fail_attempt"}, headers=shop.headers), 422,
            "validation_failed")
    failed = client.post(url, json={"event": "fail_attempt", "note": "Vắng nhà"},
                         headers=shop.headers).get_json()
    assert (failed["state"], failed["events"][-1]["note"]) == ("failed_attempt", "Vắng nhà")
    client.post(url, json={"event": "redeliver"}, headers=shop.headers)
    # Cash on delivery: the amount taken must be said.
    body = problem(client.post(url, json={"event": "deliver"}, headers=shop.headers), 422,
                   "validation_failed")
    assert "cash_collected" in body["errors"]
    assert fresh(shipment).state == "out_for_delivery"
    when = utcnow().replace(microsecond=0) - timedelta(minutes=10)
    done = client.post(url, headers=shop.headers, json={
        "event": "deliver", "cash_collected": shipment.order.total,
        "occurred_at": when.astimezone().isoformat(), "note": "Giao tận tay"})
    assert done.status_code == 200
    shipment = fresh(shipment)
    assert (shipment.state, shipment.cod_collected, shipment.attempts) == (
        "delivered", shipment.order.total, 2)
    last = shipment.events[-1]
    assert (last.source, last.actor_id, last.occurred_at, last.note) == (
        "staff", owner_of(shop.merchant).user_id, when, "Giao tận tay")


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"event": "deliver", "cash_collected": 1}, 409, None),  # not out for delivery
    ({"event": "teleport"}, 422, "event"),
    ({}, 422, "event"),
    ({"event": "pick_up", "cash_collected": 5}, 422, "cash_collected"),
    ({"event": "pick_up", "occurred_at": "2026-12-01T10:00:00"}, 422, "occurred_at"),
    ({"event": "pick_up", "occurred_at": "2999-01-01T10:00:00+07:00"}, 422, "occurred_at"),
    ({"event": "pick_up", "note": "x" * 501}, 422, "note"),
])
def test_refused_events_change_nothing(client, shop, send, body, status, field):
    shipment = send(shop)
    answer = problem(client.post(f"{SHIPMENTS}/{shipment.id}/events", json=body,
                                 headers=shop.headers), status,
                     "invalid_transition" if status == 409 else "validation_failed")
    if field:
        assert field in answer["errors"], answer
    after = fresh(shipment)
    assert (after.state, len(after.events), after.stock_left_at) == ("created", 1, None)


def test_staff_give_a_parcel_to_a_rider_of_its_store(client, shop, send, make_member,
                                                     make_shop, owner_of):
    shipment = send(shop)
    url = f"{SHIPMENTS}/{shipment.id}/courier"
    rider = make_member(shop.merchant, role="staff", stores_=[shop.store])
    elsewhere = make_member(shop.merchant, role="staff", stores_=[shop.other])
    stranger = owner_of(make_shop().merchant)
    db.session.commit()
    for wrong in (elsewhere.user_id, stranger.user_id, 2**31 - 1):
        body = problem(client.put(url, json={"courier_user_id": wrong}, headers=shop.headers),
                       422, "validation_failed")
        assert "courier_user_id" in body["errors"]
    problem(client.put(url, json={}, headers=shop.headers), 422, "validation_failed")
    assert fresh(shipment).courier_user_id is None
    answer = client.put(url, json={"courier_user_id": rider.user_id}, headers=shop.headers)
    assert answer.status_code == 200 and answer.get_json()["courier_user_id"] == rider.user_id
    answer = client.put(url, json={"courier_user_id": None}, headers=shop.headers)
    assert answer.status_code == 200 and answer.get_json()["courier_user_id"] is None
    ship.apply(shipment, "cancel", source="staff")
    db.session.commit()
    problem(client.put(url, json={"courier_user_id": rider.user_id}, headers=shop.headers),
            422, "validation_failed")  # the delivery is over


def test_staff_choose_where_a_returned_parcel_goes(client, shop, send, make_shop,
                                                  make_member, api_token):
    shipment = send(shop)
    url = f"{SHIPMENTS}/{shipment.id}/return-store"
    foreign = make_shop().store
    body = problem(client.put(url, json={"store_id": foreign.id}, headers=shop.headers), 422,
                   "validation_failed")
    assert "store_id" in body["errors"]
    answer = client.put(url, json={"store_id": shop.other.id}, headers=shop.headers)
    assert answer.status_code == 200 and answer.get_json()["return_store_id"] == shop.other.id
    answer = client.put(url, json={"store_id": None}, headers=shop.headers)
    assert answer.get_json()["return_store_id"] == shop.store.id  # back where it left
    # A member of the parcel's store only cannot send it to a store they do not see.
    limited = make_member(shop.merchant, role="manager", stores_=[shop.store])
    headers = {"Authorization": f"Bearer {api_token(limited)}"}
    problem(client.put(url, json={"store_id": shop.other.id}, headers=headers), 422,
            "validation_failed")
    assert fresh(shipment).return_store_id == shop.store.id


def test_other_merchants_and_other_stores_shipments_are_404(client, shop, send, make_shop,
                                                            make_member, api_token):
    theirs = send(make_shop())
    mine_elsewhere = send(shop, store=shop.other)
    limited = make_member(shop.merchant, role="staff", stores_=[shop.store])
    limited_headers = {"Authorization": f"Bearer {api_token(limited)}"}
    requests = [("GET", "", None), ("POST", "/events", {"event": "pick_up"}),
                ("POST", "/events", {"bad": True}),
                ("PUT", "/courier", {"courier_user_id": None}),
                ("PUT", "/return-store", {"store_id": None})]
    for shipment_id, headers in ((theirs.id, shop.headers),
                                 (mine_elsewhere.id, limited_headers),
                                 (2**31, shop.headers), (10**20, shop.headers)):
        for method, path, body in requests:
            problem(client.open(f"{SHIPMENTS}/{shipment_id}{path}", method=method, json=body,
                                headers=headers), 404, "not_found")
    for shipment in (theirs, mine_elsewhere):
        after = fresh(shipment)
        assert (after.state, after.return_store_id, len(after.events)) == ("created", None, 1)
    listed = client.get(SHIPMENTS, headers=limited_headers).get_json()["items"]
    assert mine_elsewhere.reference not in [s["reference"] for s in listed]


def test_the_merchant_api_needs_a_token(client, shop, send):
    shipment = send(shop)
    for method, path in (("GET", ""), ("GET", f"/{shipment.id}"),
                         ("POST", f"/{shipment.id}/events"), ("PUT", f"/{shipment.id}/courier"),
                         ("PUT", f"/{shipment.id}/return-store")):
        problem(client.open(f"{SHIPMENTS}{path}", method=method, json={"event": "pick_up"}),
                401, "authentication_failed")
    assert fresh(shipment).state == "created"


def test_the_openapi_document_describes_the_delivery_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    events = paths["/api/v1/merchant/shipments/{shipment_id}/events"]["post"]
    assert {"401", "404", "409", "422"} <= set(events["responses"])
    assert events["x-permission"] == "handle_orders"
    assert {"get"} <= set(paths["/api/v1/merchant/shipments"])
    for path, methods in (("/api/v1/merchant/shipments/{shipment_id}", {"get"}),
                          ("/api/v1/merchant/shipments/{shipment_id}/courier", {"put"}),
                          ("/api/v1/merchant/shipments/{shipment_id}/return-store", {"put"}),
                          ("/api/v1/consumer/addresses", {"get", "post"}),
                          ("/api/v1/consumer/addresses/{address_id}", {"put", "delete"}),
                          ("/api/v1/consumer/shipments/{reference}", {"get"})):
        assert methods <= set(paths[path]), path
        for method in methods:
            assert "404" in paths[path][method]["responses"] or "{" not in path, (path, method)
    listing = paths["/api/v1/merchant/shipments"]["get"]
    assert {"state", "store_id", "carrier", "page", "page_size"} <= {
        p["name"] for p in listing["parameters"]}


def test_times_are_utc_with_an_offset(client, shop, send):
    shipment = send(shop)
    found = client.get(f"{SHIPMENTS}/{shipment.id}", headers=shop.headers).get_json()
    for moment in (found["window_start"], found["created_at"], found["events"][0]["occurred_at"]):
        assert datetime.fromisoformat(moment).utcoffset() == UTC.utcoffset(None)
