"""The built-in ``delivery_rest_carrier`` against a courier's REST API.

The courier is ``tests/support/courier_double.py``: a TEST DOUBLE of an outside courier's
API (a local HTTP server), not a real service; the plugin's real HTTP code talks to it.
Quotes (mapped, malformed answers refused, a courier down gives none), booking once per
shipment however often it is retried, cancelling, polling, and signed status notifications:
a bad, missing or old signature, a replay, late news, an unknown shipment, an impossible move
and another merchant's parcel all change nothing.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import socket
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from marketplace.delivery import shipments as ship
from marketplace.delivery import tracking
from marketplace.delivery.models import Shipment, ShipmentEventRecord
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.outbox.models import OutboxMessage
from marketplace.outbox.services import drain
from marketplace.plugins import DeliveryRequest
from marketplace.plugins import services as plugin_services
from marketplace.plugins.manager import current_platform
from tests.support.courier_double import API_KEY, WEBHOOK_SECRET, CourierApiTestDouble
from tests.support.shopping import NOW, buy, pickup_choice, slot_at

pytestmark = pytest.mark.usefixtures("english")

NAME = "delivery_rest_carrier"
COD = "payment_cash_on_delivery"
HOME = {"label": "Nhà", "recipient_name": "Trần Thị Bình", "phone": "0901 234 567",
        "line": "12 Nguyễn Huệ", "ward": "Bến Nghé", "district": "Quận 1",
        "city": "Hồ Chí Minh", "latitude": 10.7741, "longitude": 106.7038}


def plugin(module: str = ""):
    """The plugin's module as the app loaded it (built-ins import as marketplace_builtins.*)."""
    return importlib.import_module(f"marketplace_builtins.{NAME}" + (f".{module}" if module
                                                                     else ""))


def carrier():
    return current_platform().carriers.get("rest_courier")


def connect(merchant, url: str, *, secret: str = WEBHOOK_SECRET, **extra) -> None:
    plugin_services.update_merchant_settings(
        merchant, NAME, {"base_url": url, "api_key": API_KEY, "webhook_secret": secret}
        | extra)
    plugin_services.set_enabled(merchant, NAME, True)
    db.session.flush()


@pytest.fixture
def courier():
    with CourierApiTestDouble() as double:
        yield double


@pytest.fixture
def shop(selling_shop, courier):
    merchant, stores, listing = selling_shop()
    connect(merchant, courier.url)
    return merchant, stores, listing


def asking(merchant, store, *, cod: bool = False, total: int = 150000) -> DeliveryRequest:
    return DeliveryRequest(
        merchant_id=merchant.id, store_id=store.id, origin=(store.latitude, store.longitude),
        destination=(HOME["latitude"], HOME["longitude"]), district=HOME["district"],
        city=HOME["city"], basket_total=total, currency="VND", cash_on_delivery=cod,
        asked_at=NOW)


def booked_parcel(merchant, store, listing, buyer) -> Shipment:
    """A shipment of one item on the courier's "standard" terms, booked with the courier."""
    placed = buy(buyer, [(listing.variants[0], 1)],
                 [pickup_choice(merchant, store, slot_at(store))])
    offer = next(q for q in carrier().quote(asking(merchant, store)) if q.service == "standard")
    shipment = ship.create_shipment(placed.orders[0], offer, address=HOME, now=NOW)
    shipment.tracking_reference = carrier().create_shipment(tracking.shipment_info(shipment))
    db.session.commit()
    return shipment


@pytest.fixture
def parcel(shop, buyer):
    merchant, (store, _second), listing = shop
    return booked_parcel(merchant, store, listing, buyer)


def news(shipment, event_id: str, status: str, minutes: int, **extra) -> dict:
    return {"tracking_reference": shipment.tracking_reference, "event_id": event_id,
            "status": status, "occurred_at": (NOW + timedelta(minutes=minutes)).isoformat()
            } | extra


def notify(client, merchant_id, updates, **signing):
    body, headers = CourierApiTestDouble.signed(updates, **signing)
    return client.post(f"/webhooks/carriers/rest_courier/{merchant_id}", data=body,
                       headers=headers)


def written(shipment) -> tuple:
    """What a notification may change: the state, the timeline, the outbox."""
    db.session.expire_all()
    fresh = db.session.get(Shipment, shipment.id)
    timeline = db.session.scalar(sa.select(sa.func.count()).select_from(ShipmentEventRecord)
                                 .where(ShipmentEventRecord.shipment_id == shipment.id))
    outbox = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    return fresh.state, timeline, outbox, fresh.last_event_at


# --- quotes ----------------------------------------------------------------------------------

def test_quotes_are_asked_with_the_api_key_and_mapped_cheapest_first(shop, courier):
    merchant, (store, _), _listing = shop
    quotes = carrier().quote(asking(merchant, store))
    assert [(q.carrier, q.service, q.label, q.fee, q.currency) for q in quotes] == [
        ("rest_courier", "standard", "Standard", 22000, "VND"),
        ("rest_courier", "express", "Express", 40000, "VND")]
    standard, express = quotes
    assert (standard.cash_on_delivery, standard.inspect_before_accept,
            standard.delivery_attempts, standard.redelivery_fee) == (True, True, 2, 10000)
    # Left out by the courier: the contract's defaults.
    assert (express.cash_on_delivery, express.inspect_before_accept,
            express.delivery_attempts, express.redelivery_fee) == (False, False, 1, 0)
    assert standard.window_start == NOW + timedelta(hours=1)
    assert standard.window_end == NOW + timedelta(hours=6)
    assert standard.window_start.tzinfo == UTC
    (call,) = courier.calls("POST", "/quotes")
    assert call.headers["Authorization"] == f"Bearer {API_KEY}"
    assert call.body["origin"] == {"latitude": store.latitude, "longitude": store.longitude}
    assert (call.body["basket_total"], call.body["currency"], call.body["district"],
            call.body["cash_on_delivery"]) == (150000, "VND", "Quận 1", False)


def test_cash_on_delivery_keeps_the_services_taking_cash_and_the_label_names_the_courier(
        shop, courier):
    merchant, (store, _), _listing = shop
    connect(merchant, courier.url, label="Giao Nhanh")
    assert [(q.service, q.label) for q in carrier().quote(asking(merchant, store, cod=True))] \
        == [("standard", "Giao Nhanh: Standard")]
    # Above what the courier carries in cash, nothing takes it: no offer at all.
    assert carrier().quote(asking(merchant, store, cod=True, total=3_000_000)) == []


GOOD = {"service": "standard", "label": "Standard", "fee": 22000, "currency": "VND",
        "window_start": "2026-12-02T10:00:00+07:00", "window_end": "2026-12-02T15:00:00+07:00",
        "cod": True}


@pytest.mark.parametrize(("answer", "field"), [
    ({"quotes": [GOOD | {"fee": 22000.5}]}, "quotes[0].fee"),
    ({"quotes": [GOOD | {"fee": "22000"}]}, "quotes[0].fee"),
    ({"quotes": [GOOD | {"fee": -1}]}, "quotes[0].fee"),
    ({"quotes": [GOOD, GOOD | {"service": "x", "window_start": "2026-12-02T10:00:00"}]},
     "quotes[1].window_start"),
    ({"quotes": [GOOD | {"window_end": "2026-12-02T09:00:00+07:00"}]}, "quotes[0].window_end"),
    ({"quotes": [GOOD | {"currency": "USD"}]}, "quotes[0].currency"),
    ({"quotes": [{k: v for k, v in GOOD.items() if k != "cod"}]}, "quotes[0].cod"),
    ({"quotes": [GOOD | {"attempts": 0}]}, "quotes[0].attempts"),
    ({"quotes": [GOOD | {"service": "two words"}]}, "quotes[0].service"),
    ({"quotes": [GOOD, GOOD]}, "quotes"),
    ({"quotes": "none"}, "quotes"),
    ([GOOD], "answer"),
])
def test_a_malformed_answer_never_reaches_the_customer_and_the_log_says_where(
        shop, courier, caplog, answer, field):
    merchant, (store, _), _listing = shop
    courier.quote_answer = answer
    with caplog.at_level(logging.WARNING):
        assert carrier().quote(asking(merchant, store)) == []
    assert f"{field}:" in caplog.text


def test_the_readers_name_the_field_they_refuse():
    answers = plugin("answers")
    request = DeliveryRequest(merchant_id=1, store_id=1, origin=(10.0, 106.0),
                              destination=(10.1, 106.1), district="Quận 1", city="HCM",
                              basket_total=1, currency="VND", cash_on_delivery=False,
                              asked_at=NOW)
    with pytest.raises(ValidationError) as refused:
        answers.quotes({"quotes": [GOOD | {"label": ""}]}, request, carrier="rest_courier")
    assert set(refused.value.fields) == {"quotes[0].label"}
    with pytest.raises(ValidationError) as refused:
        answers.update({"event_id": "e1", "status": "teleported",
                        "occurred_at": NOW.isoformat()}, "[2].", merchant_id=1)
    assert set(refused.value.fields) == {"[2].status"}
    assert "teleported" in str(refused.value.message)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("trouble", ["down", "refused", "wrong key", "slow"])
def test_a_courier_down_slow_or_refusing_gives_no_quotes_and_checkout_goes_on(
        shop, courier, caplog, trouble):
    merchant, (store, _), _listing = shop
    if trouble == "down":
        courier.down = True
    elif trouble == "refused":
        connect(merchant, f"http://127.0.0.1:{_closed_port()}/v1")
    elif trouble == "wrong key":
        courier.api_key = "another-key"
    else:
        connect(merchant, courier.url, timeout_seconds=1)
        courier.slow = 1.5
    with caplog.at_level(logging.WARNING):
        assert carrier().quote(asking(merchant, store)) == []
    assert "rest_courier: no quotes" in caplog.text
    assert API_KEY not in caplog.text


# --- booking and cancelling ------------------------------------------------------------------

def test_booking_is_done_once_per_shipment_however_often_it_is_retried(parcel, courier):
    info = tracking.shipment_info(parcel)
    assert carrier().create_shipment(info) == parcel.tracking_reference == "RC-0001"
    calls = courier.calls("POST", "/shipments")
    assert len(calls) == 2 and len(courier.bookings) == 1
    assert {c.headers["Idempotency-Key"] for c in calls} == {parcel.reference}
    assert {c.headers["Authorization"] for c in calls} == {f"Bearer {API_KEY}"}
    booked = courier.bookings[parcel.reference].payload
    assert (booked["reference"], booked["service"], booked["recipient"]["phone"],
            booked["currency"]) == (parcel.reference, "standard", "0901 234 567", "VND")
    assert booked["destination"] == {"latitude": 10.7741, "longitude": 106.7038}
    assert "Nguyễn Huệ" in booked["recipient"]["address"]


def test_a_courier_that_is_down_raises_for_a_retry_and_a_refusal_is_for_good(parcel, courier):
    info = tracking.shipment_info(parcel)
    courier.down = True
    with pytest.raises(plugin("client").CourierUnavailable) as down:
        carrier().create_shipment(info)
    assert not isinstance(down.value, ValidationError) and API_KEY not in str(down.value)
    courier.down, courier.booking_answer = False, {"tracking": 1}
    # Booked, but the answer cannot be read: asking again (same key) is safe, so it retries.
    with pytest.raises(plugin("client").CourierUnavailable) as unreadable:
        carrier().create_shipment(info)
    assert "tracking_reference" in str(unreadable.value)
    courier.booking_answer, courier.refuse = None, "We do not deliver to this ward."
    with pytest.raises(ValidationError) as refused:
        carrier().create_shipment(info)
    assert "We do not deliver to this ward." in str(refused.value.message)


def test_cancelling_calls_the_courier_a_repeat_is_harmless_and_after_pick_up_it_refuses(
        parcel, courier):
    info = tracking.shipment_info(parcel)
    carrier().cancel(info)
    carrier().cancel(info)
    assert courier.booking(parcel.tracking_reference).cancelled
    assert len(courier.calls("POST", f"/shipments/{parcel.tracking_reference}/cancel")) == 2
    courier.add_event(parcel.tracking_reference, "e1", "picked_up", NOW)
    with pytest.raises(ValidationError):
        carrier().cancel(info)
    before = len(courier.requests)
    carrier().cancel(dataclasses.replace(info, tracking_reference=None))
    assert len(courier.requests) == before  # never booked: nothing to call off


# --- polling ---------------------------------------------------------------------------------

def test_polling_applies_the_couriers_events_once_oldest_first(parcel, courier):
    ref = parcel.tracking_reference
    courier.add_event(ref, "e2", "at_hub", NOW + timedelta(minutes=30))
    courier.add_event(ref, "e1", "picked_up", NOW + timedelta(minutes=10))
    outcomes = tracking.poll(parcel.id)
    assert [o.result for o in outcomes] == ["applied", "applied"]
    assert written(parcel)[0] == "in_transit"
    assert courier.calls("GET", f"/shipments/{ref}/events")[0].headers["Authorization"] \
        == f"Bearer {API_KEY}"
    again = tracking.poll(parcel.id)
    assert [o.result for o in again] == ["duplicate", "duplicate"]


def test_a_status_word_nobody_agreed_on_is_refused_by_the_poll(parcel, courier):
    courier.add_event(parcel.tracking_reference, "e1", "beamed_up", NOW)
    before = written(parcel)
    with pytest.raises(ValidationError) as refused:
        tracking.poll(parcel.id)
    assert "events[0].status" in refused.value.fields
    db.session.rollback()
    assert written(parcel) == before


# --- status notifications --------------------------------------------------------------------

def test_a_signed_notification_moves_the_shipment(client, parcel, shop):
    merchant = shop[0]
    response = notify(client, merchant.id, news(parcel, "e1", "picked_up", 10,
                                                note="Rider Minh took it"))
    assert response.status_code == 200
    assert response.get_json() == {"applied": 1, "duplicate": 0, "ignored": 0}
    state, *_ = written(parcel)
    assert state == "picked_up"
    entry = db.session.scalars(sa.select(ShipmentEventRecord).where(
        ShipmentEventRecord.shipment_id == parcel.id, ShipmentEventRecord.event == "pick_up")
    ).one()
    assert (entry.source, entry.external_id, entry.note) == (
        "carrier", f"{merchant.id}:e1", "Rider Minh took it")


def test_a_list_of_updates_is_one_notification_applied_in_time_order(client, parcel, shop):
    response = notify(client, shop[0].id, [
        news(parcel, "e3", "out_for_delivery", 30), news(parcel, "e1", "picked_up", 10),
        news(parcel, "e2", "in_transit", 20)])
    assert response.get_json() == {"applied": 3, "duplicate": 0, "ignored": 0}
    assert written(parcel)[0] == "out_for_delivery"


@pytest.mark.parametrize(("signing", "status"), [
    ("missing", 400),
    ("garbage", 400),
    ("wrong secret", 401),
    ("tampered", 401),
    ("old", 401),
])
def test_a_bad_missing_or_old_signature_is_refused_and_nothing_is_written(
        client, parcel, shop, signing, status):
    import time

    before = written(parcel)
    body, headers = CourierApiTestDouble.signed(news(parcel, "e1", "picked_up", 10))
    if signing == "missing":
        del headers["X-Courier-Signature"]
    elif signing == "garbage":
        headers["X-Courier-Signature"] = "sha256=deadbeef"
    elif signing == "wrong secret":
        body, headers = CourierApiTestDouble.signed(news(parcel, "e1", "picked_up", 10),
                                                    secret="guessed")
    elif signing == "tampered":
        body = body.replace(b"picked_up", b"delivered")
    else:
        body, headers = CourierApiTestDouble.signed(news(parcel, "e1", "picked_up", 10),
                                                    timestamp=int(time.time()) - 301)
    response = client.post(f"/webhooks/carriers/rest_courier/{shop[0].id}", data=body,
                           headers=headers)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert written(parcel) == before


def test_a_replayed_notification_is_a_duplicate_and_writes_nothing(client, parcel, shop):
    body, headers = CourierApiTestDouble.signed(news(parcel, "e1", "picked_up", 10))
    url = f"/webhooks/carriers/rest_courier/{shop[0].id}"
    assert client.post(url, data=body, headers=headers).status_code == 200
    after_first = written(parcel)
    again = client.post(url, data=body, headers=headers)
    assert again.get_json() == {"applied": 0, "duplicate": 1, "ignored": 0}
    assert written(parcel) == after_first


def test_late_news_never_moves_a_shipment_back(client, parcel, shop):
    delivered = notify(client, shop[0].id, news(parcel, "e9", "delivered", 90))
    assert delivered.get_json()["applied"] == 1
    late = notify(client, shop[0].id, news(parcel, "e2", "in_transit", 20))
    assert late.status_code == 200
    assert late.get_json() == {"applied": 0, "duplicate": 0, "ignored": 1}
    state, *_ = written(parcel)
    assert state == "delivered"
    ignored = db.session.scalars(sa.select(ShipmentEventRecord).where(
        ShipmentEventRecord.external_id == f"{shop[0].id}:e2")).one()
    assert ignored.ignored and ignored.to_state == "delivered"


def test_an_unknown_shipment_is_404_and_the_whole_notification_changes_nothing(
        client, parcel, shop):
    before = written(parcel)
    response = notify(client, shop[0].id, [
        news(parcel, "e1", "picked_up", 10),
        news(parcel, "e2", "picked_up", 10) | {"tracking_reference": "RC-9999"}])
    assert response.status_code == 404
    assert written(parcel) == before


def test_an_impossible_move_is_409_and_changes_nothing(client, parcel, shop):
    notify(client, shop[0].id, [news(parcel, "e1", "picked_up", 10),
                                news(parcel, "e2", "in_transit", 20)])
    before = written(parcel)
    response = notify(client, shop[0].id, news(parcel, "e3", "cancelled", 30))
    assert response.status_code == 409
    assert response.get_json()["code"] == "invalid_transition"
    assert written(parcel) == before


@pytest.mark.parametrize(("change", "field"), [
    ({"status": "teleported"}, "status"),
    ({"occurred_at": "2026-12-02T10:00:00"}, "occurred_at"),
    ({"cash_collected": 10.5}, "cash_collected"),
    ({"event_id": ""}, "event_id"),
])
def test_a_malformed_update_is_422_naming_the_field_and_changes_nothing(
        client, parcel, shop, change, field):
    before = written(parcel)
    response = notify(client, shop[0].id, news(parcel, "e1", "picked_up", 10) | change)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert written(parcel) == before


def test_a_merchant_without_the_plugin_or_unknown_gets_404(client, parcel, shop,
                                                           selling_shop):
    other = selling_shop()[0]  # never enabled the courier
    db.session.commit()  # (a refused notification rolls back what is not committed)
    before = written(parcel)
    for merchant_id in (other.id, 999_999):
        assert notify(client, merchant_id, news(parcel, "e1", "picked_up", 10)
                      ).status_code == 404
    assert written(parcel) == before
    plugin_services.set_enabled(shop[0], NAME, False)
    db.session.commit()
    before = written(parcel)
    assert notify(client, shop[0].id, news(parcel, "e1", "picked_up", 10)).status_code == 404
    body, headers = CourierApiTestDouble.signed(news(parcel, "e1", "picked_up", 10))
    assert client.post("/webhooks/carriers/rest_courier", data=body,
                       headers=headers).status_code == 404
    assert written(parcel) == before


def test_merchant_a_cannot_move_merchant_b_parcels(client, courier, parcel, shop,
                                                   selling_shop, buyer):
    b_merchant, (b_store, _), b_listing = selling_shop()
    connect(b_merchant, courier.url, secret="b-secret-0000")
    b_parcel = booked_parcel(b_merchant, b_store, b_listing, buyer)  # (commits)
    before = written(b_parcel)
    # A's URL and A's (valid) signature, naming B's parcel: as if it did not exist.
    assert notify(client, shop[0].id, news(b_parcel, "x1", "picked_up", 10)
                  ).status_code == 404
    # B's URL signed with A's secret: refused before anything is read.
    assert notify(client, b_merchant.id, news(b_parcel, "x2", "picked_up", 10)
                  ).status_code == 401
    assert written(b_parcel) == before
    # B's own secret works, and the same event id as A's is B's own news.
    assert notify(client, shop[0].id, news(parcel, "same", "picked_up", 10)
                  ).get_json()["applied"] == 1
    assert notify(client, b_merchant.id, news(b_parcel, "same", "picked_up", 10),
                  secret="b-secret-0000").get_json()["applied"] == 1


# --- end to end: checkout, outbox, courier, notifications ------------------------------------

def test_a_cash_on_delivery_order_is_quoted_booked_and_delivered_through_the_courier(
        client, shop, courier, buyer):
    merchant, (store, _), listing = shop
    plugin_services.set_enabled(merchant, COD, True)
    placed = buy(buyer, [(listing.variants[0], 2)], [{
        "merchant_id": merchant.id, "fulfilment": "delivery", "address": dict(HOME),
        "carrier": "rest_courier", "service": "standard",
        "payment_provider": "cash_on_delivery"}])
    (order,) = placed.orders
    (parcel,) = ship.shipments_of_order(order)
    assert (order.state, parcel.carrier, parcel.fee, parcel.cod_amount, parcel.max_attempts) \
        == ("confirmed", "rest_courier", 22000, order.total, 2)
    db.session.commit()
    courier.down = True  # the first booking attempt finds the courier down
    drain()
    message = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.topic == "delivery.book")).one()
    assert (message.status, message.attempts) == ("pending", 1)
    assert API_KEY not in message.last_error
    courier.down = False
    message.available_at = NOW - timedelta(days=365)  # due again now
    db.session.commit()
    drain()
    db.session.refresh(parcel)
    assert parcel.tracking_reference == "RC-0001"
    assert courier.bookings[parcel.reference].payload["cod_amount"] == order.total
    assert {c.headers["Idempotency-Key"] for c in courier.calls("POST", "/shipments")} == {
        parcel.reference}
    steps = [("e1", "picked_up", 10), ("e2", "out_for_delivery", 60)]
    for event_id, status, minutes in steps:
        assert notify(client, merchant.id, news(parcel, event_id, status, minutes)
                      ).status_code == 200
    db.session.refresh(order)
    assert order.state == "shipped"
    done = notify(client, merchant.id, news(parcel, "e3", "delivered", 90,
                                            cash_collected=order.total))
    assert done.get_json() == {"applied": 1, "duplicate": 0, "ignored": 0}
    db.session.expire_all()
    assert (parcel.state, parcel.cod_collected, order.state) == (
        "delivered", order.total, "delivered")
