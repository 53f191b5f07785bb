"""Delivery as a way to finish an order: checkout (address, offers, the nearest store with
everything, a split the customer accepts), cash on delivery or paying online, the order
moved by its parcels (shipped at pick-up, delivered with the last parcel, cancelled and
refunded when they come back), booking and cancelling with the carrier after the commit.

The carrier is a test double (tests/support/doorstep.py); the payment plugins are the real
built-ins."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.cart import services as carts
from marketplace.delivery import shipments as ship
from marketplace.delivery.models import Shipment
from marketplace.delivery.states import EventSource
from marketplace.errors import InsufficientStock, ValidationError
from marketplace.extensions import db
from marketplace.inventory.models import StockLevel
from marketplace.jobs.order_clock import expire_due
from marketplace.orders import checkout, lifecycle
from marketplace.orders.audit import Actor
from marketplace.orders.models import Order
from marketplace.outbox.models import OutboxMessage
from marketplace.outbox.services import drain
from marketplace.plugins import services as plugin_services
from tests.support import doorstep as doorstep_double
from tests.support.doorstep import HOME, NAME, NEAR_SECOND
from tests.support.shopping import NOW, buy, stock

pytestmark = pytest.mark.usefixtures("english")

FAR_AWAY = HOME | {"city": "Hà Nội", "latitude": 21.0285, "longitude": 105.8542}


@pytest.fixture
def doorstep(app, register_plugin):
    return doorstep_double.install(app, register_plugin)


@pytest.fixture
def shop(selling_shop, doorstep):
    return doorstep_double.delivering_shop(selling_shop)


def delivery(merchant, *, address=HOME, service="standard", provider="cash_on_delivery",
             **extra) -> dict:
    return {"merchant_id": merchant.id, "fulfilment": "delivery", "address": dict(address),
            "carrier": "doorstep", "service": service, "payment_provider": provider} | extra


def level(store, variant) -> StockLevel:
    return db.session.scalars(sa.select(StockLevel).where(
        StockLevel.store_id == store.id, StockLevel.variant_id == variant.id)).one()


def shipments_of(order) -> list[Shipment]:
    return list(db.session.scalars(sa.select(Shipment).where(Shipment.order_id == order.id)))


def topics() -> list[str]:
    return list(db.session.scalars(sa.select(OutboxMessage.topic).order_by(OutboxMessage.id)))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def walk(shipment, *events, cash=None, source=EventSource.STAFF, actor_id=None, note=None):
    for event in events:
        ship.apply(shipment, event, source=source, actor_id=actor_id, now=NOW,
                   cash_collected=cash if event == "deliver" else None,
                   note=note if event == "fail_attempt" else None)


# --- checkout --------------------------------------------------------------------------------

def test_cash_on_delivery_from_the_nearest_store_with_everything(shop, buyer, doorstep):
    merchant, (first, second), listing = shop
    variant = listing.variants[0]
    placed = buy(buyer, [(variant, 2)], [delivery(merchant)])
    (order,) = placed.orders
    assert (order.fulfilment, order.state, order.store_id) == ("delivery", "confirmed", first.id)
    fee = [(a.code, a.amount) for a in order.adjustments]
    assert fee == [("delivery", 25000)]  # 20,000 + one started km
    assert order.total == 2 * variant.price + 25000 == placed.total
    (parcel,) = shipments_of(order)
    assert (parcel.store_id, parcel.carrier, parcel.service, parcel.cod_amount,
            parcel.fee, parcel.max_attempts, parcel.inspect_before_accept) == (
        first.id, "doorstep", "standard", order.total, 25000, 2, True)
    assert (parcel.recipient_name, parcel.latitude) == ("Trần Thị Bình", 10.7741)
    assert level(first, variant).reserved == 2 and level(second, variant).reserved == 0
    assert order.payments[0].provider == "cash_on_delivery"
    assert order.payments[0].state == "pending"
    # No pickup code for a delivery; the carrier is asked to book it after the commit.
    assert "delivery.book" in topics()
    db.session.commit()
    drain()
    db.session.refresh(parcel)
    assert parcel.tracking_reference == f"D-{parcel.reference}"
    assert doorstep.booked == [parcel.reference]
    drain()
    assert doorstep.booked == [parcel.reference]  # booked once


def test_the_next_nearest_store_ships_when_the_nearest_lacks_something(shop, buyer):
    merchant, (first, second), listing = shop
    variant = listing.variants[0]
    placed = buy(buyer, [(variant, 2)], [delivery(merchant, address=NEAR_SECOND)])
    assert placed.orders[0].store_id == second.id  # has 3: enough, and nearest
    carts.add_item(carts.cart_of_user(buyer, create=True), variant.id, 2)
    # Now the second store has 1 left: the first, farther away, has everything.
    cart = carts.cart_of_user(buyer)
    again = checkout.place(cart, customer=buyer, raw_choices=[
        delivery(merchant, address=NEAR_SECOND)], cart_version=carts.version(cart), now=NOW)
    assert again.orders[0].store_id == first.id


def test_a_split_is_shown_and_must_be_accepted(shop, buyer, make_listing):
    merchant, (first, second), listing = shop
    only_first, only_second = listing.variants[0], make_listing(merchant).variants[0]
    stock(second, only_second, 4)  # the second listing is stocked at the second store only
    db.session.flush()
    cart = carts.cart_of_user(buyer, create=True)
    carts.add_item(cart, only_first.id, 5)  # the second store has 3 of these
    carts.add_item(cart, only_second.id, 4)
    first_level = level(first, only_first).reserved
    with pytest.raises(ValidationError) as refused:
        checkout.place(cart, customer=buyer, raw_choices=[delivery(merchant)],
                       cart_version=carts.version(cart), now=NOW)
    assert refused.value.code == "split_not_accepted"
    assert "2 parcels" in str(refused.value.message)
    assert count(Order) == 0 and level(first, only_first).reserved == first_level
    placed = checkout.place(cart, customer=buyer, raw_choices=[
        delivery(merchant, accept_split=True)], cart_version=carts.version(cart), now=NOW)
    by_store = {o.store_id: o for o in placed.orders}
    assert set(by_store) == {first.id, second.id}
    assert [(line.variant_id, line.quantity) for line in by_store[first.id].lines] == [
        (only_first.id, 5)]
    assert [(line.variant_id, line.quantity) for line in by_store[second.id].lines] == [
        (only_second.id, 4)]
    for order in placed.orders:
        (parcel,) = shipments_of(order)
        assert parcel.store_id == order.store_id and parcel.cod_amount == order.total
        assert sum(a.amount for a in order.adjustments if a.code == "delivery") == parcel.fee
    assert placed.total == sum(o.total for o in placed.orders)
    assert level(second, only_second).reserved == 4


def test_a_voucher_is_refused_on_a_split_delivery(shop, buyer, make_listing):
    merchant, (first, second), listing = shop
    other = make_listing(merchant).variants[0]
    stock(second, other, 1)
    cart = carts.cart_of_user(buyer, create=True)
    carts.add_item(cart, listing.variants[0].id, 5)
    carts.add_item(cart, other.id, 1)
    with pytest.raises(ValidationError) as refused:
        checkout.place(cart, customer=buyer, raw_choices=[
            delivery(merchant, accept_split=True, voucher_code="ANYCODE")],
            cart_version=carts.version(cart), now=NOW)
    assert "orders[0].voucher_code" in refused.value.fields


@pytest.mark.parametrize(("address", "field"), [
    (FAR_AWAY, "orders[0].carrier"),
    (HOME | {"latitude": ""}, "orders[0].address.latitude"),
    (HOME | {"phone": ""}, "orders[0].address.phone"),
    (HOME | {"latitude": 95}, "orders[0].address.latitude"),
])
def test_an_address_nobody_delivers_to_or_a_bad_one_changes_nothing(shop, buyer, address,
                                                                    field):
    merchant, (first, _second), listing = shop
    before = level(first, listing.variants[0]).reserved
    with pytest.raises(ValidationError) as refused:
        buy(buyer, [(listing.variants[0], 1)], [delivery(merchant, address=address)])
    assert field in refused.value.fields
    assert count(Order) == 0 and count(Shipment) == 0
    assert level(first, listing.variants[0]).reserved == before


def test_an_unknown_service_and_a_saved_address_of_someone_else_are_refused(
        shop, buyer, make_user):
    from marketplace.delivery import addresses

    merchant, _stores, listing = shop
    with pytest.raises(ValidationError) as refused:
        buy(buyer, [(listing.variants[0], 1)], [delivery(merchant, service="teleport")])
    assert "orders[0].service" in refused.value.fields
    stranger = addresses.save_address(make_user(), HOME)
    cart = carts.cart_of_user(buyer)
    with pytest.raises(ValidationError) as refused:
        checkout.place(cart, customer=buyer, raw_choices=[
            delivery(merchant) | {"address": None, "address_id": stranger.id}],
            cart_version=carts.version(cart), now=NOW)
    assert "orders[0].address_id" in refused.value.fields


def test_a_saved_address_is_copied_onto_the_parcel(shop, buyer):
    from marketplace.delivery import addresses

    merchant, _stores, listing = shop
    home = addresses.save_address(buyer, HOME)
    placed = buy(buyer, [(listing.variants[0], 1)], [
        delivery(merchant) | {"address": None, "address_id": home.id}])
    (parcel,) = shipments_of(placed.orders[0])
    addresses.delete_address(buyer, home.id)
    db.session.refresh(parcel)
    assert (parcel.address_line, parcel.recipient_phone) == ("12 Nguyễn Huệ", home.phone)


def test_cash_on_delivery_needs_an_offer_that_takes_cash_and_is_only_for_deliveries(
        shop, buyer, make_listing):
    merchant, (first, _second), _listing = shop
    dear = make_listing(merchant, variants=[{"sku": "TV-65", "price": 2_500_000}]).variants[0]
    stock(first, dear, 2)
    with pytest.raises(ValidationError) as refused:
        buy(buyer, [(dear, 1)], [delivery(merchant)])
    # Doorstep takes no cash above 2,000,000: asked for cash, it offers nothing.
    assert "orders[0].carrier" in refused.value.fields
    cart = carts.cart_of_user(buyer)
    with pytest.raises(ValidationError) as refused:
        checkout.place(cart, customer=buyer, raw_choices=[
            {"merchant_id": merchant.id, "fulfilment": "reserve", "store_id": first.id,
             "payment_provider": "cash_on_delivery"}],
            cart_version=carts.version(cart), now=NOW)
    assert "orders[0].payment_provider" in refused.value.fields
    with pytest.raises(ValidationError) as refused:
        checkout.place(cart, customer=buyer, raw_choices=[
            delivery(merchant, provider="pay_at_store")],
            cart_version=carts.version(cart), now=NOW)
    assert "orders[0].payment_provider" in refused.value.fields
    assert count(Order) == 0


def test_not_enough_anywhere_is_insufficient_stock(shop, buyer, make_listing):
    merchant, (first, second), _listing = shop
    scarce = make_listing(merchant).variants[0]
    stock(first, scarce, 1)
    cart = carts.cart_of_user(buyer, create=True)
    carts.add_item(cart, scarce.id, 1)
    db.session.execute(sa.update(StockLevel).where(StockLevel.variant_id == scarce.id)
                       .values(on_hand=0))
    with pytest.raises(InsufficientStock):
        checkout.place(cart, customer=buyer, raw_choices=[delivery(merchant)],
                       cart_version=carts.version(cart), now=NOW)


# --- the order moved by its parcel ------------------------------------------------------------

def test_a_delivered_parcel_completes_the_order_which_is_paid_when_the_cash_is_confirmed(
        shop, buyer):
    merchant, (first, _second), listing = shop
    variant = listing.variants[0]
    order = buy(buyer, [(variant, 2)], [delivery(merchant)]).orders[0]
    (parcel,) = shipments_of(order)
    on_hand = level(first, variant).on_hand
    walk(parcel, "pick_up")
    assert order.state == "shipped"
    assert (level(first, variant).on_hand, level(first, variant).reserved) == (on_hand - 2, 0)
    walk(parcel, "forward", "send_out")
    assert order.state == "shipped"
    with pytest.raises(ValidationError):  # staff must say what the courier took
        walk(parcel, "deliver")
    walk(parcel, "deliver", cash=order.total)
    assert order.state == "delivered" and order.closed_at is not None
    assert [line.collected_quantity for line in order.lines] == [2]
    assert parcel.cod_collected == order.total
    # The cash is with the courier: paid once the merchant confirms it (reconciliation).
    assert order.payments[0].state == "pending" and not order.is_paid


def test_a_parcel_that_comes_back_cancels_the_order_and_puts_the_goods_back(shop, buyer):
    merchant, (first, _second), listing = shop
    variant = listing.variants[0]
    order = buy(buyer, [(variant, 1)], [delivery(merchant)]).orders[0]
    (parcel,) = shipments_of(order)
    on_hand = level(first, variant).on_hand
    walk(parcel, "pick_up", "forward", "send_out")
    walk(parcel, "fail_attempt", note="Nobody home")
    assert (parcel.state, order.state) == ("failed_attempt", "shipped")
    walk(parcel, "redeliver", "fail_attempt", note="Phone unreachable")
    assert parcel.state == "returning"  # no attempt left
    walk(parcel, "receive_back")
    assert (parcel.state, order.state) == ("returned_to_store", "cancelled")
    assert level(first, variant).on_hand == on_hand  # sold at pick-up, back once
    assert order.payments[0].state == "cancelled"
    assert "did not reach you" in order.cancel_reason


def test_the_customer_cancels_before_pick_up_and_the_carrier_is_told(shop, buyer, doorstep):
    merchant, (first, _second), listing = shop
    order = buy(buyer, [(listing.variants[0], 1)], [delivery(merchant)]).orders[0]
    (parcel,) = shipments_of(order)
    db.session.commit()
    drain()
    lifecycle.cancel_by_customer(db.session.get(Order, order.id), buyer, reason="Đổi ý",
                                 now=NOW)
    db.session.commit()
    db.session.refresh(parcel)
    assert parcel.state == "cancelled"
    assert level(first, listing.variants[0]).reserved == 0
    drain()
    assert doorstep.cancelled == [parcel.reference]


def test_a_shipped_order_ends_only_through_its_parcels(shop, buyer):
    merchant, _stores, listing = shop
    order = buy(buyer, [(listing.variants[0], 1)], [delivery(merchant)]).orders[0]
    (parcel,) = shipments_of(order)
    assert "collect" not in lifecycle.staff_events(order)
    with pytest.raises(ValidationError):
        lifecycle.collect(order, actor=Actor("staff", None), code=None)
    walk(parcel, "pick_up")
    assert lifecycle.staff_events(order) == []
    with pytest.raises(ValidationError):
        lifecycle.cancel_by_store(order, actor=Actor("staff", None), reason="Hết hàng")
    assert order.state == "shipped"


def test_the_order_clock_leaves_a_confirmed_delivery_alone(shop, buyer):
    merchant, _stores, listing = shop
    order = buy(buyer, [(listing.variants[0], 1)], [delivery(merchant)]).orders[0]
    db.session.commit()
    assert expire_due(now=NOW + timedelta(days=30)) == {"expired": 0, "no_show": 0}
    assert db.session.get(Order, order.id).state == "confirmed"


def test_an_unpaid_online_delivery_waits_and_is_booked_once_paid(shop, buyer, doorstep):
    merchant, _stores, listing = shop
    plugin_services.update_merchant_settings(merchant, "payment_vietqr", {
        "bank_bin": "970436", "account_number": "0071000888888",
        "account_name": "CONG TY TNHH SUONG SOM"})
    plugin_services.set_enabled(merchant, "payment_vietqr", True)
    order = buy(buyer, [(listing.variants[0], 1)], [delivery(merchant, provider="vietqr")]
                ).orders[0]
    (parcel,) = shipments_of(order)
    assert (order.state, parcel.cod_amount) == ("pending_payment", 0)
    assert "delivery.book" not in topics()
    with pytest.raises(ValidationError):  # not paid: it cannot leave the store
        walk(parcel, "pick_up")
    lifecycle.payment_received(order, order.total, actor=Actor("staff", None), now=NOW)
    assert order.state == "confirmed" and "delivery.book" in topics()
    db.session.commit()
    drain()
    assert doorstep.booked == [parcel.reference]
    # An unpaid one expires with its parcel called off.
    other = buy(buyer, [(listing.variants[0], 1)], [delivery(merchant, provider="vietqr")]
                ).orders[0]
    db.session.commit()
    expire_due(now=NOW + timedelta(days=1))
    (called_off,) = shipments_of(db.session.get(Order, other.id))
    assert (db.session.get(Order, other.id).state, called_off.state) == ("expired",
                                                                         "cancelled")


def test_a_carrier_refusing_the_booking_is_recorded_for_staff(shop, buyer, doorstep):
    merchant, _stores, listing = shop
    doorstep.mode = "refuse"
    order = buy(buyer, [(listing.variants[0], 1)], [delivery(merchant)]).orders[0]
    (parcel,) = shipments_of(order)
    db.session.commit()
    drain()
    db.session.refresh(parcel)
    assert parcel.tracking_reference is None
    assert [(e.event, e.note) for e in parcel.events if e.ignored] == [
        ("booking_refused", "Doorstep does not go there.")]


def test_a_carrier_down_is_retried_by_the_outbox(shop, buyer, doorstep):
    merchant, _stores, listing = shop
    doorstep.mode = "fail"
    buy(buyer, [(listing.variants[0], 1)], [delivery(merchant)])
    db.session.commit()
    drain()
    message = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.topic == "delivery.book")).one()
    assert (message.status, message.attempts) == ("pending", 1)
    assert "Doorstep is down" in message.last_error


def test_the_customer_is_told_when_the_courier_is_on_the_way_and_when_an_attempt_failed(
        shop, buyer):
    from marketplace.notifications.mail import TOPIC

    merchant, _stores, listing = shop
    buyer.locale = "en"  # written in the customer's language
    order = buy(buyer, [(listing.variants[0], 1)], [delivery(merchant)]).orders[0]
    (parcel,) = shipments_of(order)
    walk(parcel, "pick_up", "forward", "send_out")
    walk(parcel, "fail_attempt", note="Nobody home")
    mails = [m.payload for m in db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.topic == TOPIC).order_by(OutboxMessage.id))]
    subjects = [m["subject"] for m in mails]
    assert f"Order {order.number}: the courier is on the way" in subjects
    assert f"Order {order.number}: we could not deliver it" in subjects
    failed = next(m for m in mails if "could not deliver" in m["subject"])
    assert "Nobody home" in str(failed) and "attempts made 1 of 2" in str(failed)


# --- the checkout page and the API -----------------------------------------------------------

def test_the_checkout_page_offers_delivery_and_places_it(client, login, shop, buyer):
    import re

    merchant, (first, _second), listing = shop
    mid = merchant.id
    login(buyer)
    client.post("/cart/items", data={"variant_id": listing.variants[0].id, "quantity": 1})
    typed = {f"new_{name}_{mid}": value for name, value in HOME.items()}
    asked = {f"fulfilment_{mid}": "delivery", f"address_{mid}": "new",
             f"provider_{mid}": "cash_on_delivery"} | typed
    page = client.get("/checkout", query_string=asked).get_data(as_text=True)
    assert f"Ships from {first.name}" in page
    assert 'data-offer="doorstep:standard"' in page and 'data-offer="doorstep:express"' in page
    assert "cash on delivery" in page and "inspect before you accept" in page
    # A position nobody reaches: said on the page, nothing offered.
    far = client.get("/checkout", query_string=asked | {
        f"new_latitude_{mid}": FAR_AWAY["latitude"],
        f"new_longitude_{mid}": FAR_AWAY["longitude"]}).get_data(as_text=True)
    assert "data-delivery-problem" in far and "data-offer=" not in far
    version = re.search(r'name="cart_version" value="([^"]+)"', page).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    placed = client.post("/checkout", data=asked | {
        "action": "place", "cart_version": version, "idempotency_key": key,
        f"include_{mid}": "1", f"service_{mid}": "doorstep:express"})
    assert placed.status_code == 303, placed.get_data(as_text=True)[:2000]
    order = db.session.scalars(sa.select(Order)).one()
    (parcel,) = shipments_of(order)
    assert (order.fulfilment, parcel.service, parcel.fee) == ("delivery", "express", 45000)
    shown = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "data-pickup-code" not in shown and parcel.reference in shown


def test_the_api_tells_the_options_and_checks_out_a_delivery(client, shop, buyer):
    from marketplace.plugins.testing_factories import PASSWORD

    merchant, (first, _second), listing = shop
    token = client.post("/api/v1/consumer/tokens",
                        json={"email": buyer.email, "password": PASSWORD}).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    client.post("/api/v1/consumer/cart/lines", headers=auth,
                json={"variant_id": listing.variants[0].id, "quantity": 2})
    options = client.post("/api/v1/consumer/delivery-options", headers=auth, json={
        "merchant_id": merchant.id, "address": HOME, "cash_on_delivery": True})
    assert options.status_code == 200, options.get_json()
    body = options.get_json()
    assert body["split"] is False
    assert body["parcels"][0]["store_id"] == first.id
    assert [(o["service"], o["fee"]) for o in body["offers"]] == [("standard", 25000),
                                                                   ("express", 45000)]
    bad = client.post("/api/v1/consumer/delivery-options", headers=auth, json={
        "merchant_id": merchant.id, "address": HOME | {"phone": "call me"}})
    assert bad.status_code == 422 and "address.phone" in bad.get_json()["errors"]
    assert client.post("/api/v1/consumer/delivery-options", headers=auth, json={
        "merchant_id": merchant.id + 1000, "address": HOME}).status_code == 404
    version = client.get("/api/v1/consumer/cart", headers=auth).get_json()["version"]
    placed = client.post("/api/v1/consumer/checkout", headers=auth | {
        "Idempotency-Key": "delivery-1"}, json={"cart_version": version, "orders": [
            delivery(merchant) | {"address": HOME}]})
    assert placed.status_code == 201, placed.get_json()
    (order,) = placed.get_json()["orders"]
    assert order["fulfilment"] == "delivery"
    assert order["total"] == 2 * listing.variants[0].price + 25000


def test_a_card_is_authorized_at_the_order_captured_when_the_parcel_leaves_and_refunded_when_it_comes_back(  # noqa: E501
        card_shop, buyer, doorstep, stripe_platform):
    from tests.support.cards import pay, stripe_api

    merchant, _stores, listing = card_shop()
    plugin_services.set_enabled(merchant, NAME, True)
    placed = buy(buyer, [(listing.variants[0], 1)], [delivery(merchant, provider="stripe")])
    (order,) = placed.orders
    (parcel,) = shipments_of(order)
    assert (order.state, parcel.cod_amount) == ("pending_payment", 0)
    pay(placed)
    payment = order.payments[0]
    assert (order.state, payment.state) == ("confirmed", "authorized")
    walk(parcel, "pick_up")
    assert order.state == "shipped" and payment.state == "authorized"
    db.session.commit()
    drain()  # the capture, after the commit
    intent = stripe_api(stripe_platform).v1.payment_intents.retrieve(payment.reference)
    assert (intent.status, intent.amount) == ("succeeded", order.total)
    assert (payment.state, payment.captured_amount) == ("captured", order.total)
    walk(parcel, "forward", "send_out", "fail_attempt", "redeliver", "fail_attempt",
         note="Nobody home")
    walk(parcel, "receive_back")
    assert order.state == "cancelled"
    (refund,) = order.refunds
    assert (refund.payment_id, refund.amount) == (payment.id, order.total)
    db.session.commit()
    drain()
    db.session.refresh(payment)
    assert (payment.state, payment.refunded_amount) == ("refunded", order.total)


def test_another_attempt_costs_the_redelivery_fee_in_cash_at_the_door(shop, buyer):
    merchant, _stores, listing = shop
    order = buy(buyer, [(listing.variants[0], 1)], [delivery(merchant)]).orders[0]
    (parcel,) = shipments_of(order)
    total = order.total
    walk(parcel, "pick_up", "forward", "send_out", "fail_attempt", note="Nobody home")
    assert (order.total, parcel.cod_amount) == (total, total)  # a failure costs nothing
    walk(parcel, "redeliver")
    assert (order.total, parcel.cod_amount, order.payments[0].amount) == (
        total + 10000, total + 10000, total + 10000)
    assert [(a.code, a.amount) for a in order.adjustments][-1] == ("redelivery", 10000)
    assert order.adjustments_total == sum(a.amount for a in order.adjustments)
    walk(parcel, "deliver", cash=total + 10000)
    assert order.state == "delivered" and order.settled_total == total + 10000


def test_an_order_paid_online_is_not_charged_for_another_attempt(shop, buyer):
    merchant, _stores, listing = shop
    plugin_services.update_merchant_settings(merchant, "payment_vietqr", {
        "bank_bin": "970436", "account_number": "0071000888888",
        "account_name": "CONG TY TNHH SUONG SOM"})
    plugin_services.set_enabled(merchant, "payment_vietqr", True)
    order = buy(buyer, [(listing.variants[0], 1)], [delivery(merchant, provider="vietqr")]
                ).orders[0]
    lifecycle.payment_received(order, order.total, actor=Actor("staff", None), now=NOW)
    (parcel,) = shipments_of(order)
    total = order.total
    walk(parcel, "pick_up", "forward", "send_out", "fail_attempt", "redeliver")
    assert (order.total, parcel.cod_amount) == (total, 0)
