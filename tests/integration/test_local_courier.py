"""The built-in ``delivery_local_courier``: the merchant's settings become quotes through the
``local_courier`` carrier (and refusals become no quote, with a reason to show); a delivery
placed at checkout with it; the rider's phone page (only their own parcels, every action,
cash on delivery, the photo, failed attempts until the parcel goes back); the assignment page
of the dashboard, scoped to the merchant and the member's stores.

The pricing rules themselves are proven by tests/unit/test_local_courier_pricing.py.
"""

from __future__ import annotations

import io
import math
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from PIL import Image

from marketplace.delivery import shipments as ship
from marketplace.delivery.models import Shipment, ShipmentEventRecord
from marketplace.errors import ValidationError
from marketplace.extensions import db as _db
from marketplace.money import format_money
from marketplace.outbox.services import drain
from marketplace.plugins import DeliveryQuote, DeliveryRequest
from marketplace.plugins import services as plugin_services
from marketplace.plugins.manager import current_platform
from marketplace.plugins.models import MerchantPlugin
from marketplace.search.geo import EARTH_RADIUS_M
from tests.support.shopping import NOW, buy, pickup_choice, slot_at

pytestmark = pytest.mark.usefixtures("english")

NAME = "delivery_local_courier"
COD = "payment_cash_on_delivery"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
HOME = {"label": "Nhà", "recipient_name": "Trần Thị Bình", "phone": "0901 234 567",
        "line": "12 Nguyễn Huệ", "ward": "Bến Nghé", "district": "Quận 1",
        "city": "Hồ Chí Minh", "latitude": 10.7741, "longitude": 106.7038}
STORE = (10.7769, 106.7009)  # where make_store puts the first store
# The merchant's form, as saved in the dashboard (Plugins → delivery_local_courier).
FORM = {"tiers": "3: 15000\n7 km: 25.000", "per_km_beyond": 5000, "free_above": 1_000_000,
        "zone_radius_km": "10", "zone_districts": "Thủ Đức\nBiên Hòa",
        "same_day": True, "same_day_cutoff": "15:00", "express": True, "express_hours": 2,
        "express_fee": 20000, "cod": True, "cod_max_basket": 2_000_000,
        "inspect_before_accept": True, "attempts": 2, "redelivery_fee": 10000}
CLOSING = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 22:00 in Hồ Chí Minh City on NOW's day


def north_of(position, metres: float) -> tuple[float, float]:
    return position[0] + math.degrees(metres / EARTH_RADIUS_M), position[1]


def courier():
    return current_platform().carriers.get("local_courier")


def courier_module(name: str):
    import importlib

    return importlib.import_module(f"marketplace_builtins.{NAME}.{name}")


def ask(merchant, store, *, to=(HOME["latitude"], HOME["longitude"]), district="Quận 1",
        basket=150_000, cod=False, at=NOW) -> DeliveryRequest:
    return DeliveryRequest(merchant_id=merchant.id, store_id=store.id,
                           origin=(store.latitude, store.longitude), destination=to,
                           district=district, city="Hồ Chí Minh", basket_total=basket,
                           currency="VND", cash_on_delivery=cod, asked_at=at)


def configure(merchant, **changes):
    plugin_services.update_merchant_settings(merchant, NAME, FORM | changes)
    _db.session.flush()


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def png(colour=(200, 30, 30)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    out.seek(0)
    return out


@pytest.fixture
def shop(selling_shop):
    """Two stores (the first in Quận 1 with 10 of each variant), the local courier enabled
    with ``FORM`` and cash on delivery."""
    merchant, stores, listing = selling_shop()
    configure(merchant)
    plugin_services.set_enabled(merchant, NAME, True)
    plugin_services.set_enabled(merchant, COD, True)
    _db.session.flush()
    return merchant, stores, listing


def delivery(merchant, *, service="same_day", provider="cash_on_delivery") -> dict:
    return {"merchant_id": merchant.id, "fulfilment": "delivery", "address": dict(HOME),
            "carrier": "local_courier", "service": service, "payment_provider": provider}


def place(merchant, listing, customer, **choice):
    (order,) = buy(customer, [(listing.variants[0], 1)], [delivery(merchant, **choice)]).orders
    (shipment,) = _db.session.scalars(sa.select(Shipment).where(Shipment.order_id == order.id))
    return order, shipment


@pytest.fixture
def customer(buyer):
    buyer.locale = "en"  # what the customer is told (a failed attempt's reason) is in English
    return buyer


@pytest.fixture
def parcel(shop, customer, make_member):
    """A cash-on-delivery order placed at checkout with the local courier, its parcel
    assigned to a rider (a staff member), committed as a request would find it."""
    merchant, (store, _other), listing = shop
    order, shipment = place(merchant, listing, customer)
    rider = make_member(merchant, role="staff")
    ship.assign_courier(shipment, rider.user_id)
    _db.session.commit()
    return shipment, order, rider.user


# --- settings → quotes --------------------------------------------------------------------------

def test_the_merchants_settings_become_quotes_through_the_carrier(shop):
    merchant, (store, _other), _listing = shop
    quotes = courier().quote(ask(merchant, store))
    same_day = DeliveryQuote(
        carrier="local_courier", service="same_day", label="Same day", fee=15000,
        currency="VND", window_start=NOW, window_end=CLOSING, cash_on_delivery=True,
        inspect_before_accept=True, delivery_attempts=2, redelivery_fee=10000)
    express = DeliveryQuote(
        carrier="local_courier", service="express", label="Express, within 2 h", fee=35000,
        currency="VND", window_start=NOW, window_end=NOW + timedelta(hours=2),
        cash_on_delivery=True, inspect_before_accept=True, delivery_attempts=2,
        redelivery_fee=10000)
    assert quotes == [same_day, express]  # cheapest first
    assert courier().quote(ask(merchant, store)) == quotes  # the same request, the same quotes
    assert courier().explain(ask(merchant, store)) is None
    # Cash at the door up to the basket limit, and only if the merchant takes cash at all.
    big = courier().quote(ask(merchant, store, basket=2_000_001))
    assert [q.cash_on_delivery for q in big] == [False, False]
    configure(merchant, cod=False)
    assert [q.cash_on_delivery for q in courier().quote(ask(merchant, store))] == [False, False]


def test_tiers_per_km_beyond_free_delivery_and_listed_districts(shop):
    merchant, (store, _other), _listing = shop
    fees = {q.service: q.fee for q in courier().quote(ask(merchant, store,
                                                           to=north_of(STORE, 5_000)))}
    assert fees == {"same_day": 25000, "express": 45000}  # "7 km: 25.000" read as 25000
    beyond = courier().quote(ask(merchant, store, to=north_of(STORE, 8_500)))
    assert beyond[0].fee == 25000 + 2 * 5000  # two started km past 7
    free = courier().quote(ask(merchant, store, to=north_of(STORE, 8_500), basket=1_000_000))
    assert [q.fee for q in free] == [0, 20000]  # the express surcharge is still due
    # 15 km away is outside the radius, but a listed district is delivered whatever the
    # distance (its name matched without accents or capitals).
    far = north_of(STORE, 15_000)
    assert courier().quote(ask(merchant, store, to=far, district="Quận 7")) == []
    in_district = courier().quote(ask(merchant, store, to=far, district="thu duc"))
    assert in_district[0].fee == 25000 + 8 * 5000


def test_refusals_are_no_quote_with_a_reason_to_show(shop, caplog):
    merchant, (store, _other), _listing = shop
    refused = {"outside_zone": ask(merchant, store, to=north_of(STORE, 15_000),
                                   district="Quận 7"),
               "no_cod": ask(merchant, store, cod=True, basket=2_000_001)}
    for code, request in refused.items():
        assert courier().quote(request) == []
        refusal = courier().explain(request)
        assert refusal.code == code and refusal.message
    # After closing: same day moves to tomorrow's closing, express is not offered.
    late = ask(merchant, store, at=CLOSING + timedelta(minutes=30))
    assert [(q.service, q.window_end) for q in courier().quote(late)] == [
        ("same_day", CLOSING + timedelta(days=1))]
    configure(merchant, same_day=False)
    assert courier().quote(late) == []
    assert courier().explain(late).code == "no_window"
    configure(merchant, per_km_beyond=None, zone_radius_km="20")
    too_far = ask(merchant, store, to=north_of(STORE, 7_001))
    assert courier().quote(too_far) == []
    assert courier().explain(too_far).code == "too_far"
    # A refusal is about the customer's address, not a broken setup: nothing to warn about.
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"tiers": "3 15000"}, "tiers", "Line 1"),
    ({"tiers": "3: 15000\n\n2: 20000"}, "tiers", "Line 3: Each tier must reach further"),
    ({"tiers": "3: 15000\n7: 10000"}, "tiers", "Line 2: A farther tier cannot cost less"),
    ({"tiers": "0: 15000"}, "tiers", "Line 1: Enter a distance above zero"),
    ({"zone_radius_km": "", "zone_districts": ""}, "zone_radius_km", "radius or a list"),
    ({"zone_radius_km": "0"}, "zone_radius_km", "above zero"),
    ({"same_day": False, "express": False}, "same_day", "same-day or express"),
])
def test_settings_the_engine_cannot_use_are_refused_naming_the_form_field(
        shop, changes, field, words):
    merchant, (store, _other), _listing = shop
    settings = courier_module("settings")
    with pytest.raises(ValidationError) as refused:
        settings.check(FORM | changes)
    assert list(refused.value.fields) == [field]
    assert words in str(refused.value.fields[field][0])
    # Saving them is refused with the same message (PluginInfo.check_merchant_settings),
    # and what was saved before stays.
    configure(merchant)
    with pytest.raises(ValidationError) as refused:
        configure(merchant, **changes)
    assert list(refused.value.fields) == [field]
    assert plugin_services.merchant_settings(merchant, NAME)["tiers"] == FORM["tiers"]
    assert settings.problem(merchant) is None


def test_settings_saved_before_a_rule_existed_offer_nothing_and_say_why(shop):
    merchant, (store, _other), _listing = shop
    settings = courier_module("settings")
    configure(merchant)
    row = _db.session.scalars(sa.select(MerchantPlugin).where(
        MerchantPlugin.merchant_id == merchant.id, MerchantPlugin.plugin_name == NAME)).one()
    row.settings = row.settings | {"tiers": "3: 15000\n7: 10000"}  # bypassing today's check
    _db.session.flush()
    assert courier().quote(ask(merchant, store)) == []
    assert courier().explain(ask(merchant, store)).code == "not_configured"
    assert list(settings.problem(merchant).fields) == ["tiers"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"tiers": "\n \n"}, "tiers"),
    ({"same_day_cutoff": "25:00"}, "same_day_cutoff"),
    ({"zone_radius_km": "ten"}, "zone_radius_km"),
    ({"express_hours": 25}, "express_hours"),
    ({"attempts": 0}, "attempts"),
    ({"per_km_beyond": -1}, "per_km_beyond"),
])
def test_what_the_settings_form_can_check_is_refused_when_saved(shop, changes, field):
    merchant, *_ = shop
    with pytest.raises(ValidationError) as refused:
        configure(merchant, **changes)
    assert field in refused.value.fields


def test_a_delivery_placed_at_checkout_with_the_riders(shop, customer):
    merchant, (store, _other), listing = shop
    order, shipment = place(merchant, listing, customer, service="express")
    assert (order.fulfilment, order.state) == ("delivery", "confirmed")
    assert [(a.code, a.amount) for a in order.adjustments] == [("delivery", 35000)]
    assert (shipment.carrier, shipment.service, shipment.fee, shipment.cod_amount,
            shipment.max_attempts, shipment.redelivery_fee, shipment.inspect_before_accept) \
        == ("local_courier", "express", 35000, order.total, 2, 10000, True)
    assert shipment.window_end == NOW + timedelta(hours=2)
    _db.session.commit()
    drain()  # "booking" the merchant's own riders: the parcel's own reference, nothing sent
    _db.session.refresh(shipment)
    assert shipment.tracking_reference == shipment.reference


# --- the rider's page ---------------------------------------------------------------------------

def test_the_rider_page_needs_a_login(client, db):
    response = client.get("/rider/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_rider_sees_their_parcels_with_what_they_need_at_the_door(
        client, login, parcel, shop, make_member, make_merchant, customer):
    shipment, order, rider = parcel
    merchant, (store, other), listing = shop
    # A colleague's parcel, another merchant's parcel of the same user, and one of the
    # rider's that goes with another carrier: none of them is shown.
    _order2, colleagues = place(merchant, listing, customer)
    colleague = make_member(merchant, role="staff")
    ship.assign_courier(colleagues, colleague.user_id)
    _db.session.commit()
    login(rider)
    page = text(client.get("/rider/"))
    assert f'data-shipment="{shipment.id}"' in page
    assert f'data-shipment="{colleagues.id}"' not in page and colleagues.reference not in page
    assert shipment.reference in page and "Trần Thị Bình" in page
    assert 'href="tel:0901234567"' in page
    assert ("https://www.google.com/maps/dir/?api=1&destination=10.7741,106.7038") in page
    assert 'href="geo:10.7741,106.7038"' in page
    assert "12 Nguyễn Huệ, Bến Nghé, Quận 1, Hồ Chí Minh" in page
    with force_locale("en"):
        cash = format_money(order.total, "VND")
    assert f"Collect {cash} in cash" in page
    assert "Inspect before accepting" in page
    assert "Delivery attempts: 0 of 2" in page
    assert f"1 × {listing.title}" in page
    assert 'data-action="pick_up"' in page and 'data-action="deliver"' not in page
    login(colleague.user)
    page = text(client.get("/rider/"))
    assert colleagues.reference in page and shipment.reference not in page


def test_a_rider_can_neither_see_nor_move_another_riders_parcel(client, login, parcel,
                                                                make_member, shop):
    shipment, _order, _rider = parcel
    merchant, *_ = shop
    colleague = make_member(merchant, role="staff")
    _db.session.commit()
    login(colleague.user)
    for action in ("pick-up", "on-my-way", "delivered", "failed"):
        response = client.post(f"/rider/{shipment.id}/{action}",
                               data={"cash_collected": "1", "reason": "nobody_home"})
        assert response.status_code == 404, action
    _db.session.refresh(shipment)
    assert shipment.state == "created"
    assert shipment.reference not in text(client.get("/rider/"))


def test_a_member_no_longer_at_the_parcels_store_no_longer_rides_it(client, login, parcel,
                                                                      shop):
    shipment, _order, rider = parcel
    merchant, (_store, other), _listing = shop
    membership = next(m for m in merchant.memberships if m.user_id == rider.id)
    membership.all_stores, membership.stores = False, [other]
    _db.session.commit()
    login(rider)
    assert shipment.reference not in text(client.get("/rider/"))
    assert client.post(f"/rider/{shipment.id}/pick-up").status_code == 404
    _db.session.refresh(shipment)
    assert shipment.state == "created"


def test_every_action_from_the_store_to_the_door(client, login, parcel):
    shipment, order, rider = parcel
    login(rider)
    assert client.post(f"/rider/{shipment.id}/pick-up").status_code == 303
    _db.session.refresh(shipment)
    _db.session.refresh(order)
    assert (shipment.state, order.state) == ("picked_up", "shipped")
    # "On my way" from the store: forwarded and out for delivery in one go.
    assert client.post(f"/rider/{shipment.id}/on-my-way").status_code == 303
    _db.session.refresh(shipment)
    assert (shipment.state, shipment.attempts) == ("out_for_delivery", 1)
    rows = _db.session.scalars(sa.select(ShipmentEventRecord).where(
        ShipmentEventRecord.shipment_id == shipment.id).order_by(ShipmentEventRecord.id)).all()
    assert [(r.event, r.source, r.actor_id) for r in rows[1:]] == [
        ("pick_up", "courier", rider.id), ("forward", "courier", rider.id),
        ("send_out", "courier", rider.id)]
    page = text(client.get("/rider/"))
    assert 'data-action="deliver"' in page and 'data-action="fail_attempt"' in page
    assert f'value="{order.total}"' in page  # the cash field is filled in with what is due
    done = client.post(f"/rider/{shipment.id}/delivered",
                       data={"cash_collected": f"{order.total:,}".replace(",", ".")})
    assert done.status_code == 303
    _db.session.refresh(shipment)
    _db.session.refresh(order)
    assert (shipment.state, shipment.cod_collected, order.state) == (
        "delivered", order.total, "delivered")
    page = text(client.get("/rider/"))
    assert "Done lately" in page and 'data-action="deliver"' not in page


def test_cash_is_required_when_there_is_cash_to_collect(client, login, parcel):
    shipment, order, rider = parcel
    ship.apply(shipment, "pick_up", source="staff")
    ship.apply(shipment, "forward", source="staff")
    ship.apply(shipment, "send_out", source="staff")
    _db.session.commit()
    login(rider)
    for typed in ("", "lots"):
        refused = client.post(f"/rider/{shipment.id}/delivered",
                              data={"cash_collected": typed, "photo": (png(), "door.png")},
                              content_type="multipart/form-data")
        assert refused.status_code == 422, typed
        assert "data-error" in text(refused)
    _db.session.refresh(shipment)
    assert (shipment.state, shipment.cod_collected) == ("out_for_delivery", None)
    photos = courier_module("models").DeliveryPhoto
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(photos)) == 0
    uploads = Path(current_app.config["UPLOAD_FOLDER"]) / NAME
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_a_photo_is_kept_with_the_delivery_and_shown_only_to_who_may_see_it(
        client, login, parcel, shop, make_member, make_merchant, owner_of, make_store):
    shipment, order, rider = parcel
    merchant, (store, other), _listing = shop
    for event in ("pick_up", "forward", "send_out"):
        ship.apply(shipment, event, source="staff")
    _db.session.commit()
    login(rider)
    done = client.post(f"/rider/{shipment.id}/delivered",
                       data={"cash_collected": str(order.total), "photo": (png(), "door.png")},
                       content_type="multipart/form-data")
    assert done.status_code == 303
    photos = courier_module("models").DeliveryPhoto
    (photo,) = _db.session.scalars(sa.select(photos)).all()
    deliver = _db.session.scalars(sa.select(ShipmentEventRecord).where(
        ShipmentEventRecord.shipment_id == shipment.id,
        ShipmentEventRecord.event == "deliver")).one()
    assert (photo.merchant_id, photo.shipment_id, photo.shipment_event_id) == (
        merchant.id, shipment.id, deliver.id)
    assert (Path(current_app.config["UPLOAD_FOLDER"]) / photo.path).is_file()
    mine = client.get(f"/rider/photos/{photo.id}")
    assert mine.status_code == 200 and mine.mimetype == "image/png"
    assert "no-store" in mine.headers["Cache-Control"]
    assert f"/rider/photos/{photo.id}" in text(client.get("/rider/"))
    staff_url = f"/dashboard/{merchant.slug}/local-courier/photos/{photo.id}"
    # Another rider of the merchant, and a stranger: 404.
    colleague = make_member(merchant, role="staff")
    stranger = make_merchant()
    configure(stranger)
    plugin_services.set_enabled(stranger, NAME, True)
    limited = make_member(merchant, role="staff", stores_=(other,))
    _db.session.commit()
    login(colleague.user)
    assert client.get(f"/rider/photos/{photo.id}").status_code == 404
    assert client.get(staff_url).status_code == 200  # staff at the parcel's store
    login(limited.user)
    assert client.get(staff_url).status_code == 404  # not their store
    login(owner_of(stranger).user)
    assert client.get(staff_url).status_code == 404
    assert client.get(f"/dashboard/{stranger.slug}/local-courier/photos/{photo.id}"
                      ).status_code == 404
    login(owner_of(merchant).user)
    assert client.get(staff_url).status_code == 200
    assert staff_url in text(client.get(f"/dashboard/{merchant.slug}/local-courier/"))


def test_a_file_that_is_not_an_image_changes_nothing(client, login, parcel):
    shipment, order, rider = parcel
    for event in ("pick_up", "forward", "send_out"):
        ship.apply(shipment, event, source="staff")
    _db.session.commit()
    login(rider)
    refused = client.post(f"/rider/{shipment.id}/delivered",
                          data={"cash_collected": str(order.total),
                                "photo": (io.BytesIO(b"not an image"), "door.png")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "not a JPEG, PNG or WebP image" in text(refused)
    _db.session.refresh(shipment)
    assert shipment.state == "out_for_delivery"


def test_a_failed_attempt_needs_a_reason_and_attempts_running_out_send_it_back(
        client, login, parcel):
    shipment, _order, rider = parcel
    login(rider)
    client.post(f"/rider/{shipment.id}/pick-up")
    client.post(f"/rider/{shipment.id}/on-my-way")
    for data, field in (({}, "reason"), ({"reason": "lost_in_space"}, "reason"),
                        ({"reason": "other", "detail": "  "}, "detail")):
        refused = client.post(f"/rider/{shipment.id}/failed", data=data)
        assert refused.status_code == 422, data
        assert f'id="e-{shipment.id}-{field}"' in refused.get_data(as_text=True)
    _db.session.refresh(shipment)
    assert shipment.state == "out_for_delivery"
    assert client.post(f"/rider/{shipment.id}/failed",
                       data={"reason": "nobody_home", "detail": "Rang twice"}).status_code == 303
    _db.session.refresh(shipment)
    assert shipment.state == "failed_attempt"
    failed = _db.session.scalars(sa.select(ShipmentEventRecord).where(
        ShipmentEventRecord.shipment_id == shipment.id,
        ShipmentEventRecord.event == "fail_attempt")).one()
    assert failed.note == "Nobody was at home: Rang twice"
    assert "On my way again" in text(client.get("/rider/"))
    assert client.post(f"/rider/{shipment.id}/on-my-way").status_code == 303
    _db.session.refresh(shipment)
    assert (shipment.state, shipment.attempts) == ("out_for_delivery", 2)
    assert client.post(f"/rider/{shipment.id}/failed",
                       data={"reason": "other", "detail": "Gate locked"}).status_code == 303
    _db.session.refresh(shipment)
    assert shipment.state == "returning"  # no attempt left: back to the store at once
    page = text(client.get("/rider/"))
    assert f"Bring the parcel back to {shipment.store.name}" in page
    assert client.post(f"/rider/{shipment.id}/on-my-way").status_code == 409


def test_picking_up_before_the_order_may_leave_shows_the_error_and_changes_nothing(
        client, login, parcel):
    shipment, order, rider = parcel
    login(rider)
    assert client.post(f"/rider/{shipment.id}/on-my-way").status_code == 409
    _db.session.refresh(shipment)
    assert shipment.state == "created"


def test_rider_forms_carry_the_csrf_token_and_a_post_without_it_changes_nothing(
        make_app, db, parcel):
    shipment, _order, rider = parcel
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = CSRF_INPUT.search(client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"email": rider.email, "csrf_token": token,
                                       "password": "correct horse battery staple"}
                       ).status_code == 303
    html = client.get("/rider/").get_data(as_text=True)
    assert html.count('<form method="post"') == html.count('name="csrf_token"') > 2
    assert client.post(f"/rider/{shipment.id}/pick-up").status_code == 400
    _db.session.refresh(shipment)
    assert shipment.state == "created"
    assert client.post(f"/rider/{shipment.id}/pick-up",
                       data={"csrf_token": CSRF_INPUT.search(html).group(1)}).status_code == 303
    _db.session.refresh(shipment)
    assert shipment.state == "picked_up"


# --- assignment in the dashboard ----------------------------------------------------------------

def test_staff_assign_and_unassign_riders_of_the_parcels_store(
        client, login, shop, customer, owner_of, make_member, make_merchant):
    merchant, (store, other), listing = shop
    _order, shipment = place(merchant, listing, customer)
    rider = make_member(merchant, role="staff")
    elsewhere = make_member(merchant, role="staff", stores_=(other,))
    outsider = make_member(make_merchant(), role="staff")
    _db.session.commit()
    login(owner_of(merchant).user)
    dash = f"/dashboard/{merchant.slug}/local-courier"
    page = text(client.get(f"{dash}/"))
    assert shipment.reference in page and f'value="{rider.user_id}"' in page
    assert f'value="{elsewhere.user_id}"' not in page  # not at the parcel's store
    assert ">Local deliveries</a>" in text(client.get(f"/dashboard/{merchant.slug}/"))
    url = f"{dash}/shipments/{shipment.id}/rider"
    assert client.post(url, data={"courier_user_id": rider.user_id}).status_code == 303
    _db.session.refresh(shipment)
    assert shipment.courier_user_id == rider.user_id
    for wrong in (outsider.user_id, elsewhere.user_id, "x"):
        refused = client.post(url, data={"courier_user_id": wrong})
        assert refused.status_code == 422, wrong
        assert "Choose a member who handles orders at this store" in text(refused)
        _db.session.refresh(shipment)
        assert shipment.courier_user_id == rider.user_id
    assert client.post(url, data={"courier_user_id": ""}).status_code == 303
    _db.session.refresh(shipment)
    assert shipment.courier_user_id is None


def test_the_assignment_page_is_scoped_to_the_merchant_and_the_members_stores(
        client, login, shop, customer, owner_of, make_member, make_merchant, make_store):
    merchant, (store, other), listing = shop
    _order, shipment = place(merchant, listing, customer)
    # A parcel going with another carrier is not the riders' business.
    (pickup,) = buy(customer, [(listing.variants[1], 1)],
                    [pickup_choice(merchant, store, slot_at(store))]).orders
    walker = ship.create_shipment(pickup, DeliveryQuote(
        carrier="walker", service="standard", label="Standard", fee=0, currency="VND",
        window_start=NOW, window_end=NOW, cash_on_delivery=False), address=HOME, now=NOW)
    limited = make_member(merchant, role="staff", stores_=(other,))
    stranger = make_merchant()
    configure(stranger)
    plugin_services.set_enabled(stranger, NAME, True)
    disabled = make_merchant()
    _db.session.commit()
    login(owner_of(merchant).user)
    dash = f"/dashboard/{merchant.slug}/local-courier"
    assert walker.reference not in text(client.get(f"{dash}/"))
    assert client.post(f"{dash}/shipments/{walker.id}/rider",
                       data={"courier_user_id": ""}).status_code == 404
    url = f"{dash}/shipments/{shipment.id}/rider"
    login(limited.user)
    page = text(client.get(f"/dashboard/{merchant.slug}/local-courier/"))
    assert shipment.reference not in page and "data-no-parcels" in page
    assert client.post(url, data={"courier_user_id": limited.user_id}).status_code == 404
    login(owner_of(stranger).user)
    assert client.post(url, data={"courier_user_id": ""}).status_code == 404
    theirs = f"/dashboard/{stranger.slug}/local-courier/shipments/{shipment.id}/rider"
    assert client.post(theirs, data={"courier_user_id": ""}).status_code == 404
    assert shipment.reference not in text(client.get(f"/dashboard/{stranger.slug}/local-courier/"))
    login(owner_of(disabled).user)
    assert client.get(f"/dashboard/{disabled.slug}/local-courier/").status_code == 404
    _db.session.refresh(shipment)
    assert shipment.courier_user_id is None


def test_the_assignment_page_says_what_is_wrong_with_the_settings(client, login, shop, owner_of):
    merchant, *_ = shop
    configure(merchant)
    row = _db.session.scalars(sa.select(MerchantPlugin).where(
        MerchantPlugin.merchant_id == merchant.id, MerchantPlugin.plugin_name == NAME)).one()
    row.settings = row.settings | {"tiers": "3: 15000\n2: 20000"}  # saved before the rule
    _db.session.commit()
    login(owner_of(merchant).user)
    page = text(client.get(f"/dashboard/{merchant.slug}/local-courier/"))
    assert "data-settings-problem" in page
    assert "Distance tiers" in page and "Line 2: Each tier must reach further" in page
