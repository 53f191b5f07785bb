"""Shipments through the services: created for an order, moved by staff, riders and
carriers; replays and late news never move one back; attempts run out into a return; a
returned parcel puts its stock back exactly once; customers' addresses are checked."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.delivery import addresses
from marketplace.delivery import shipments as ship
from marketplace.delivery.models import DeliveryAddress, ShipmentEventRecord
from marketplace.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.inventory.models import StockLevel, StockMovement
from marketplace.plugins import DeliveryQuote, TrackingUpdate
from tests.support.shopping import NOW, buy, pickup_choice, slot_at

pytestmark = pytest.mark.usefixtures("english")

HOME = {"label": "Nhà", "recipient_name": "Trần Thị Bình", "phone": "0901 234 567",
        "line": "12 Nguyễn Huệ", "ward": "Bến Nghé", "district": "Quận 1",
        "city": "Hồ Chí Minh", "latitude": "10.7741", "longitude": "106.7038"}


def quote(**changes) -> DeliveryQuote:
    terms = {"carrier": "walker", "service": "same_day", "label": "Same day", "fee": 25000,
             "currency": "VND", "window_start": NOW, "window_end": NOW + timedelta(hours=4),
             "cash_on_delivery": True, "inspect_before_accept": True, "delivery_attempts": 2,
             "redelivery_fee": 10000}
    return DeliveryQuote(**(terms | changes))


def level(store, variant) -> StockLevel:
    return db.session.scalars(sa.select(StockLevel).where(
        StockLevel.store_id == store.id, StockLevel.variant_id == variant.id)).one()


def timeline(shipment) -> list[tuple]:
    return [(e.event, e.from_state, e.to_state, e.source, e.ignored) for e in db.session.scalars(
        sa.select(ShipmentEventRecord).where(ShipmentEventRecord.shipment_id == shipment.id)
        .order_by(ShipmentEventRecord.id))]


def returns(shipment) -> list[StockMovement]:
    return list(db.session.scalars(sa.select(StockMovement).where(
        StockMovement.reference == shipment.reference, StockMovement.reason == "return")))


@pytest.fixture
def parcel(selling_shop, buyer):
    """An order of 2 + 1 items held at the first store, and a shipment of all of it."""
    merchant, (store, other), listing = selling_shop()
    first, second = listing.variants
    placed = buy(buyer, [(first, 2), (second, 1)],
                 [pickup_choice(merchant, store, slot_at(store))])
    order = placed.orders[0]
    shipment = ship.create_shipment(order, quote(), address=HOME, cod_amount=order.total,
                                    now=NOW)
    return shipment, order, store, other, (first, second)


def at(minutes: int):
    return NOW + timedelta(minutes=minutes)


def news(event_id: str, status: str, minutes: int, **extra) -> TrackingUpdate:
    return TrackingUpdate(event_id=event_id, status=status, occurred_at=at(minutes), **extra)


# --- creating ---------------------------------------------------------------------------------

def test_a_shipment_copies_the_quote_and_address_and_carries_what_the_order_holds(parcel):
    shipment, order, store, _other, (first, second) = parcel
    assert shipment.reference.startswith("GH-") and len(shipment.reference) == 11
    assert (shipment.state, shipment.merchant_id, shipment.store_id) == (
        "created", order.merchant_id, store.id)
    assert (shipment.fee, shipment.currency, shipment.cod_amount) == (25000, "VND",
                                                                       order.total)
    assert (shipment.max_attempts, shipment.redelivery_fee) == (2, 10000)
    assert shipment.inspect_before_accept is True
    assert shipment.position == (10.7741, 106.7038)
    assert shipment.recipient_phone == "0901 234 567"
    assert sorted((x.variant_id, x.quantity) for x in shipment.lines) == sorted(
        [(first.id, 2), (second.id, 1)])
    assert timeline(shipment) == [("create", None, "created", "system", False)]
    # Nothing moved in stock: the order still holds it.
    assert (level(store, first).on_hand, level(store, first).reserved) == (10, 2)


@pytest.mark.parametrize(("changes", "field"), [
    ({"currency": "USD"}, "quote"),
    ({"fee": -1}, "fee"),
    ({"delivery_attempts": 0}, "delivery_attempts"),
    ({"cash_on_delivery": False}, "cod_amount"),
])
def test_bad_terms_are_refused_and_nothing_is_written(parcel, changes, field):
    _shipment, order, *_ = parcel
    before = len(ship.shipments_of_order(order))
    with pytest.raises(ValidationError) as refused:
        ship.create_shipment(order, quote(**changes), address=HOME, cod_amount=1000, now=NOW)
    assert field in refused.value.fields
    assert len(ship.shipments_of_order(order)) == before


def test_what_a_waiting_shipment_carries_cannot_be_shipped_twice(parcel):
    _shipment, order, *_ = parcel
    with pytest.raises(ValidationError) as refused:
        ship.create_shipment(order, quote(), address=HOME, now=NOW)
    assert "lines" in refused.value.fields


# --- staff, riders, the table -----------------------------------------------------------------

def test_the_way_to_the_door_sells_the_stock_at_pick_up_and_records_cash(parcel):
    shipment, order, store, _other, (first, _second) = parcel
    for event, minutes in [("pick_up", 1), ("forward", 2), ("send_out", 3)]:
        assert ship.apply(shipment, event, source="staff", occurred_at=at(minutes)).result \
            == "applied"
    # Left the store: the hold became a sale there.
    assert (level(store, first).on_hand, level(store, first).reserved) == (8, 0)
    assert order.lines[0].held_quantity == 0
    assert shipment.attempts == 1
    with pytest.raises(ValidationError) as refused:  # the rider must say what they took
        ship.apply(shipment, "deliver", source="staff")
    assert "cash_collected" in refused.value.fields
    ship.apply(shipment, "deliver", source="staff", cash_collected=order.total)
    assert (shipment.state, shipment.cod_collected) == ("delivered", order.total)
    assert [row[:3] for row in timeline(shipment)][-1] == ("deliver", "out_for_delivery",
                                                            "delivered")


def test_a_refused_event_is_409_and_changes_nothing(parcel):
    shipment, *_ = parcel
    with pytest.raises(InvalidTransition) as refused:
        ship.apply(shipment, "deliver", source="staff")
    assert refused.value.status == 409
    assert shipment.state == "created" and len(timeline(shipment)) == 1


def test_a_rider_moves_only_the_shipments_assigned_to_them(parcel, make_member,
                                                           make_merchant):
    shipment, order, *_ = parcel
    rider = make_member(order.merchant, role="staff").user
    colleague = make_member(order.merchant, role="staff").user
    stranger = make_member(make_merchant(), role="owner").user
    with pytest.raises(ValidationError):  # only members who handle orders at the store ride
        ship.assign_courier(shipment, stranger.id)
    assert shipment.courier_user_id is None
    ship.assign_courier(shipment, rider.id)
    for other in (stranger, colleague):
        with pytest.raises(PermissionDenied):
            ship.apply(shipment, "pick_up", source="courier", actor_id=other.id)
    assert shipment.state == "created"
    ship.apply(shipment, "pick_up", source="courier", actor_id=rider.id)
    assert shipment.state == "picked_up"


def test_cancelled_before_pick_up_moves_no_stock_after_pick_up_puts_it_back(parcel):
    shipment, order, store, _other, (first, _second) = parcel
    ship.apply(shipment, "cancel", source="staff")
    assert (level(store, first).on_hand, level(store, first).reserved) == (10, 2)
    assert returns(shipment) == []
    # The order still holds the goods, so another shipment can carry them.
    again = ship.create_shipment(order, quote(), address=HOME, now=NOW)
    ship.apply(again, "pick_up", source="staff")
    ship.apply(again, "cancel", source="staff")
    assert (level(store, first).on_hand, level(store, first).reserved) == (10, 0)
    assert [m.on_hand_delta for m in returns(again)] == [2, 1]


# --- carriers: replays, late news, skipped news -----------------------------------------------

def test_a_replayed_update_changes_nothing_and_says_so(parcel):
    shipment, *_ = parcel
    assert ship.report(shipment, news("c-1", "picked_up", 1)).result == "applied"
    rows = timeline(shipment)
    assert ship.report(shipment, news("c-1", "picked_up", 1)).result == "duplicate"
    assert ship.report(shipment, news("c-1", "delivered", 9)).result == "duplicate"
    assert timeline(shipment) == rows and shipment.state == "picked_up"


def test_late_news_is_recorded_as_ignored_and_never_moves_back(parcel):
    shipment, *_ = parcel
    ship.report(shipment, news("c-1", "out_for_delivery", 5))
    outcome = ship.report(shipment, news("c-2", "in_transit", 3))
    assert outcome.result == "ignored" and shipment.state == "out_for_delivery"
    assert timeline(shipment)[-1] == ("in_transit", "out_for_delivery", "out_for_delivery",
                                      "carrier", True)
    # Same rank, but older than what we know: the first "out for delivery" arriving after
    # the failed attempt is not a re-delivery.
    ship.report(shipment, news("c-3", "failed_attempt", 7))
    assert ship.report(shipment, news("c-4", "out_for_delivery", 6)).result == "ignored"
    assert (shipment.state, shipment.attempts) == ("failed_attempt", 1)
    assert ship.report(shipment, news("c-5", "out_for_delivery", 8)).result == "applied"
    assert (shipment.state, shipment.attempts) == ("out_for_delivery", 2)
    # After the end, nothing moves it, not even news of another ending.
    ship.report(shipment, news("c-6", "delivered", 9))
    assert ship.report(shipment, news("c-7", "cancelled", 10)).result == "ignored"
    assert ship.report(shipment, news("c-8", "returning", 11)).result == "ignored"
    assert shipment.state == "delivered"


def test_skipped_news_is_walked_step_by_step(parcel):
    shipment, _order, store, _other, (first, _second) = parcel
    ship.report(shipment, news("c-9", "delivered", 30, cash_collected=1))
    assert [row[0] for row in timeline(shipment)] == [
        "create", "pick_up", "forward", "send_out", "deliver"]
    entries = db.session.scalars(sa.select(ShipmentEventRecord).where(
        ShipmentEventRecord.shipment_id == shipment.id, ShipmentEventRecord.source == "carrier")
        .order_by(ShipmentEventRecord.id)).all()
    assert [e.external_id for e in entries] == [None, None, None, "c-9"]
    assert level(store, first).on_hand == 8  # the pick-up's rule ran
    assert shipment.cod_collected == 1


def test_impossible_or_unknown_news_is_a_clear_error(parcel):
    shipment, *_ = parcel
    ship.report(shipment, news("c-1", "in_transit", 1))
    with pytest.raises(InvalidTransition):
        ship.report(shipment, news("c-2", "cancelled", 2))
    with pytest.raises(ValidationError):
        ship.report(shipment, news("c-3", "lost_in_space", 3))
    with pytest.raises(NotFound):
        ship.by_tracking_reference("walker", "nobody-booked-this")
    assert shipment.state == "in_transit" and len(timeline(shipment)) == 3


# --- attempts and returns ---------------------------------------------------------------------

def test_failed_attempts_up_to_the_maximum_then_the_parcel_goes_back(parcel):
    shipment, *_ = parcel
    for event in ("pick_up", "forward", "send_out", "fail_attempt", "redeliver"):
        ship.apply(shipment, event, source="staff")
    assert (shipment.state, shipment.attempts, shipment.max_attempts) == (
        "out_for_delivery", 2, 2)
    ship.apply(shipment, "fail_attempt", source="staff")
    assert shipment.state == "returning"
    assert timeline(shipment)[-2:] == [
        ("fail_attempt", "out_for_delivery", "failed_attempt", "staff", False),
        ("send_back", "failed_attempt", "returning", "system", False)]
    with pytest.raises(InvalidTransition):
        ship.apply(shipment, "redeliver", source="staff")


def test_a_returned_parcel_restocks_its_return_store_exactly_once(parcel):
    shipment, _order, store, other, (first, second) = parcel
    ship.report(shipment, news("c-1", "picked_up", 1))
    ship.set_return_store(shipment, other)
    ship.report(shipment, news("c-2", "returning", 2))  # carriers may skip the attempt news
    assert ship.report(shipment, news("c-3", "returned_to_store", 3)).result == "applied"
    # The same news twice, and the same news under another id: nothing moves again.
    assert ship.report(shipment, news("c-3", "returned_to_store", 3)).result == "duplicate"
    assert ship.report(shipment, news("c-4", "returned_to_store", 4)).result == "ignored"
    with pytest.raises(InvalidTransition):
        ship.apply(shipment, "receive_back", source="staff")
    assert sorted((m.store_id, m.variant_id, m.on_hand_delta) for m in returns(shipment)) == \
        sorted([(other.id, first.id, 2), (other.id, second.id, 1)])
    assert (level(store, first).on_hand, level(other, first).on_hand) == (8, 5)
    assert shipment.stock_back_at is not None


# --- addresses --------------------------------------------------------------------------------

def test_a_customer_saves_lists_changes_and_deletes_addresses(buyer, make_user):
    saved = addresses.save_address(buyer, HOME)
    assert (saved.latitude, saved.longitude, saved.ward) == (10.7741, 106.7038, "Bến Nghé")
    addresses.save_address(buyer, HOME | {"label": "Work", "ward": ""}, address_id=saved.id)
    assert [(a.label, a.ward) for a in addresses.list_addresses(buyer)] == [("Work", None)]
    with pytest.raises(NotFound):  # never someone else's
        addresses.delete_address(make_user(), saved.id)
    addresses.delete_address(buyer, saved.id)
    assert addresses.list_addresses(buyer) == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"latitude": ""}, "latitude"),
    ({"longitude": None}, "latitude"),
    ({"latitude": "91"}, "latitude"),
    ({"longitude": "-180.5"}, "longitude"),
    ({"latitude": "north"}, "latitude"),
    ({"phone": ""}, "phone"),
    ({"phone": "call me"}, "phone"),
    ({"recipient_name": " "}, "recipient_name"),
    ({"district": ""}, "district"),
    ({"line": "x" * 301}, "line"),
])
def test_a_bad_address_is_refused_and_nothing_is_saved(buyer, changes, field):
    with pytest.raises(ValidationError) as refused:
        addresses.save_address(buyer, HOME | changes)
    assert field in refused.value.fields
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DeliveryAddress)) == 0


def test_a_shipment_refuses_an_address_without_a_position(parcel):
    _shipment, order, *_ = parcel
    with pytest.raises(ValidationError) as refused:
        ship.create_shipment(order, quote(), address=HOME | {"latitude": None}, now=NOW)
    assert "latitude" in refused.value.fields
