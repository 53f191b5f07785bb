"""Checkout and the order lifecycle through the services: holds, slots, payments, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.cart import services as carts
from marketplace.errors import InsufficientStock, InvalidTransition, ValidationError
from marketplace.extensions import db
from marketplace.fulfilment.models import PickupSlotLoad
from marketplace.inventory.models import StockLevel, StockMovement
from marketplace.orders import checkout, codes, lifecycle
from marketplace.orders.audit import Actor
from marketplace.orders.models import AuditEntry, Order
from marketplace.outbox.models import OutboxMessage
from marketplace.payments.states import PaymentState
from tests.support.shopping import NOW, buy, pickup_choice, slot_at


def level(store, variant):
    return db.session.scalars(sa.select(StockLevel).where(
        StockLevel.store_id == store.id, StockLevel.variant_id == variant.id)).one()


def mails():
    return [m.payload for m in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))]


def test_pickup_order_holds_stock_books_the_slot_and_confirms(selling_shop, buyer):
    merchant, (store, _), listing = selling_shop()
    variant = listing.variants[0]
    slot = slot_at(store)
    placed = buy(buyer, [(variant, 2)], [pickup_choice(merchant, store, slot)])
    order = placed.orders[0]
    assert order.state == "confirmed"
    assert (order.slot_start, order.slot_end) == (slot.start, slot.end)
    assert order.expires_at == slot.end + timedelta(minutes=store.pickup_grace_minutes)
    assert order.total == 2 * variant.price == placed.total
    assert level(store, variant).reserved == 2
    assert level(store, variant).on_hand == 10
    assert order.lines[0].held_quantity == 2
    load = db.session.scalars(sa.select(PickupSlotLoad)).one()
    assert (load.store_id, load.slot_start, load.booked) == (store.id, slot.start, 1)
    assert [p.state for p in order.payments] == [PaymentState.PENDING]
    assert order.payments[0].provider == "pay_at_store"
    assert carts.cart_of_user(buyer).lines == []
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "order")).one()
    assert (entry.to_state, entry.actor_kind, entry.actor_id) == ("confirmed", "customer",
                                                                  buyer.id)
    sent = mails()
    assert len(sent) == 1 and sent[0]["to"] == buyer.email
    assert order.number in sent[0]["subject"]
    assert codes.display(codes.pickup_code(order)) in sent[0]["body"]


def test_two_merchants_in_one_cart_become_two_orders(selling_shop, buyer):
    m1, (s1, _), l1 = selling_shop()
    m2, (s2, _), l2 = selling_shop()
    placed = buy(buyer, [(l1.variants[0], 1), (l2.variants[1], 2)],
                 [pickup_choice(m1, s1, slot_at(s1)), pickup_choice(m2, s2, slot_at(s2))])
    assert sorted((o.merchant_id, o.store_id, len(o.lines)) for o in placed.orders) == sorted(
        [(m1.id, s1.id, 1), (m2.id, s2.id, 1)])
    assert placed.total == l1.variants[0].price + 2 * l2.variants[1].price


def test_not_enough_at_the_chosen_store_changes_nothing(selling_shop, buyer):
    merchant, (_, small), listing = selling_shop()
    variant = listing.variants[0]
    cart = carts.cart_of_user(buyer, create=True)
    carts.add_item(cart, variant.id, 5)  # the first store has 10, the second only 3
    db.session.flush()
    with db.session.begin_nested():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))
    with pytest.raises(InsufficientStock) as caught, db.session.begin_nested():
        checkout.place(cart, customer=buyer, cart_version=carts.version(cart), now=NOW,
                       raw_choices=[pickup_choice(merchant, small, slot_at(small))])
    assert "3" in str(caught.value.message)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement)) == before
    assert level(small, variant).reserved == 0


@pytest.mark.parametrize("change, field", [
    (lambda c, m, s, o: c | {"store_id": o.id}, "orders[0].store_id"),
    (lambda c, m, s, o: c | {"store_id": 999999}, "orders[0].store_id"),
    (lambda c, m, s, o: c | {"merchant_id": o.merchant_id}, "orders[0].merchant_id"),
    (lambda c, m, s, o: c | {"fulfilment": "teleport"}, "orders[0].fulfilment"),
    (lambda c, m, s, o: c | {"slot_start": "2026-12-02T09:07:00+07:00"}, "orders[0].slot_start"),
    (lambda c, m, s, o: c | {"slot_start": "2026-12-02T08:00:00+07:00"}, "orders[0].slot_start"),
    (lambda c, m, s, o: c | {"slot_start": "2026-12-02T23:00:00+07:00"}, "orders[0].slot_start"),
    (lambda c, m, s, o: c | {"slot_start": "2026-12-02T10:00:00"}, "orders[0].slot_start"),
    (lambda c, m, s, o: c | {"slot_start": "2027-03-02T10:00:00+07:00"}, "orders[0].slot_start"),
    (lambda c, m, s, o: c | {"payment_provider": "stripe"}, "orders[0].payment_provider"),
])
def test_bad_choices_are_refused_with_the_field(selling_shop, buyer, change, field):
    merchant, (store, _), listing = selling_shop()
    _other, (foreign, _), _ = selling_shop()
    cart = carts.cart_of_user(buyer, create=True)
    carts.add_item(cart, listing.variants[0].id, 1)
    choice = change(pickup_choice(merchant, store, slot_at(store)), merchant, store, foreign)
    with pytest.raises(ValidationError) as caught:
        checkout.place(cart, customer=buyer, raw_choices=[choice],
                       cart_version=carts.version(cart), now=NOW)
    assert field in caught.value.fields
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_a_changed_cart_is_refused(selling_shop, buyer):
    merchant, (store, _), listing = selling_shop()
    cart = carts.cart_of_user(buyer, create=True)
    carts.add_item(cart, listing.variants[0].id, 1)
    seen = carts.version(cart)
    listing.variants[0].price += 1000
    db.session.flush()
    with pytest.raises(checkout.CartChanged):
        checkout.place(cart, customer=buyer, raw_choices=[
            pickup_choice(merchant, store, slot_at(store))], cart_version=seen, now=NOW)


def test_staff_flow_prepare_ready_collect_with_payment_at_the_counter(selling_shop, buyer,
                                                                      owner_of):
    merchant, (store, _), listing = selling_shop()
    variant = listing.variants[0]
    order = buy(buyer, [(variant, 2)], [pickup_choice(merchant, store, slot_at(store))]).orders[0]
    staff = Actor.staff(owner_of(merchant).user)
    lifecycle.prepare(order, actor=staff)
    lifecycle.mark_ready(order, actor=staff)
    with pytest.raises(lifecycle.WrongPickupCode):
        lifecycle.collect(order, actor=staff, code="AAAA-AAAA", payment_taken=True)
    with pytest.raises(ValidationError) as caught:
        lifecycle.collect(order, actor=staff, code=codes.pickup_code(order))
    assert "payment_taken" in caught.value.fields
    code = codes.display(codes.pickup_code(order)).lower()
    lifecycle.collect(order, actor=staff, code=code, payment_taken=True)
    assert order.state == "collected" and order.is_paid
    assert (level(store, variant).on_hand, level(store, variant).reserved) == (8, 0)
    assert order.payments[0].state == "captured"
    assert order.payments[0].captured_amount == order.total
    trail = [(e.entity, e.to_state, e.actor_kind) for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.order_id == order.id).order_by(AuditEntry.id))]
    assert trail == [("payment", "pending", "customer"), ("order", "confirmed", "customer"),
                     ("order", "preparing", "staff"), ("order", "ready", "staff"),
                     ("order", "collected", "staff"), ("payment", "captured", "staff")]
    kinds = [m["subject"] for m in mails()]
    assert len(kinds) == 3  # confirmed, ready, collected


def test_partial_pickup_releases_the_rest_and_charges_what_was_taken(selling_shop, buyer,
                                                                     owner_of):
    merchant, (store, _), listing = selling_shop()
    v1, v2 = listing.variants
    order = buy(buyer, [(v1, 2), (v2, 1)],
                [pickup_choice(merchant, store, slot_at(store))]).orders[0]
    staff = Actor.staff(owner_of(merchant).user)
    lifecycle.mark_ready(order, actor=staff)
    line1 = next(x for x in order.lines if x.variant_id == v1.id)
    line2 = next(x for x in order.lines if x.variant_id == v2.id)
    lifecycle.collect(order, actor=staff, code=codes.pickup_code(order),
                      quantities={line1.id: 1, line2.id: 0}, payment_taken=True)
    assert order.settled_total == v1.price
    assert order.payments[0].captured_amount == v1.price
    assert (level(store, v1).on_hand, level(store, v1).reserved) == (9, 0)
    assert (level(store, v2).on_hand, level(store, v2).reserved) == (10, 0)


def test_customer_cancels_before_ready_but_not_after(selling_shop, buyer, owner_of, make_user):
    merchant, (store, _), listing = selling_shop()
    variant = listing.variants[0]
    slot = slot_at(store)
    first = buy(buyer, [(variant, 1)], [pickup_choice(merchant, store, slot)]).orders[0]
    with pytest.raises(Exception):  # noqa: B017 - someone else's order: PermissionDenied
        lifecycle.cancel_by_customer(first, make_user(), now=NOW)
    lifecycle.cancel_by_customer(first, buyer, reason="Đổi ý", now=NOW)
    assert first.state == "cancelled" and first.payments[0].state == "cancelled"
    assert level(store, variant).reserved == 0
    assert db.session.scalars(sa.select(PickupSlotLoad)).one().booked == 0
    second = buy(buyer, [(variant, 1)], [pickup_choice(merchant, store, slot)]).orders[0]
    lifecycle.mark_ready(second, actor=Actor.staff(owner_of(merchant).user))
    with pytest.raises(ValidationError):
        lifecycle.cancel_by_customer(second, buyer, now=NOW)
    with pytest.raises(InvalidTransition):
        lifecycle.prepare(second, actor=Actor.staff(owner_of(merchant).user))


def test_reserve_and_try_buys_some_and_releases_the_rest(selling_shop, buyer, owner_of):
    merchant, (store, _), listing = selling_shop()
    v1, v2 = listing.variants
    placed = buy(buyer, [(v1, 1), (v2, 1)], [{
        "merchant_id": merchant.id, "fulfilment": "reserve", "store_id": store.id,
        "payment_provider": "pay_at_store"}])
    order = placed.orders[0]
    assert order.slot_start is None
    assert order.expires_at == NOW + timedelta(hours=48)
    staff = Actor.staff(owner_of(merchant).user)
    lifecycle.mark_ready(order, actor=staff)
    line1 = next(x for x in order.lines if x.variant_id == v1.id)
    lifecycle.collect(order, actor=staff, code=codes.pickup_code(order),
                      quantities={line1.id: 1}, payment_taken=True)
    assert order.state == "collected" and order.settled_total == v1.price
    assert level(store, v2).reserved == 0 and level(store, v2).on_hand == 10
    assert level(store, v1).on_hand == 9


def test_reserve_and_try_bought_nothing(selling_shop, buyer, owner_of):
    merchant, (store, _), listing = selling_shop()
    order = buy(buyer, [(listing.variants[0], 2)], [{
        "merchant_id": merchant.id, "fulfilment": "reserve", "store_id": store.id,
        "payment_provider": "pay_at_store"}]).orders[0]
    staff = Actor.staff(owner_of(merchant).user)
    lifecycle.mark_ready(order, actor=staff)
    lifecycle.decline(order, actor=staff)
    assert order.state == "declined" and order.payments[0].state == "cancelled"
    assert level(store, listing.variants[0]).reserved == 0
