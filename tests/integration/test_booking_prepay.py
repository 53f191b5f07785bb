"""Paying ahead for a booking: a deposit or the full price through the merchant's online ways
to pay (a VietQR transfer confirmed by staff; a card on localstripe through the real Stripe
SDK), the booking confirmed by its paid order, and the money kept or given back as the
service's policy says."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.errors import ValidationError
from marketplace.orders import lifecycle
from marketplace.orders.audit import Actor
from marketplace.orders.lifecycle import BookedAppointment
from marketplace.orders.queries import queue
from marketplace.outbox.services import drain
from marketplace.payments.models import Refund
from marketplace.plugins import services as plugin_services
from marketplace.redemption import services as redemption
from marketplace.settlement.models import LedgerEntry
from tests.support.cards import STRIPE, plugin_module
from tests.support.salon import NOW, at, booking_module, make_spa

pytestmark = pytest.mark.usefixtures("english")

VIETQR = "payment_vietqr"
ACCOUNT = {"bank_bin": "970436", "account_number": "1023456789",
           "account_name": "Spa Sen"}
DEPOSIT = 100000  # of a 300,000 đồng massage


@pytest.fixture
def bookings():
    return booking_module("booking")


@pytest.fixture
def prepay():
    return booking_module("prepay")


def paying_spa(make_merchant, make_store, make_listing, *, therapists=1, rooms=1, **policy):
    spa = make_spa(make_merchant, make_store, make_listing, therapists=therapists, rooms=rooms,
                   **({"payment": "deposit", "deposit_amount": DEPOSIT} | policy))
    plugin_services.update_merchant_settings(spa.merchant, VIETQR, ACCOUNT)
    plugin_services.set_enabled(spa.merchant, VIETQR, True)
    return spa


@pytest.fixture
def spa(db, make_merchant, make_store, make_listing):
    return paying_spa(make_merchant, make_store, make_listing)


def staff_of(spa):
    owner = next(m.user for m in spa.merchant.memberships if m.role == "owner")
    return Actor.staff(owner)


def mails_about(db, booking) -> list[str]:
    """The bodies of the mails the booking plugin queued for this booking, in order."""
    from marketplace.outbox.models import OutboxMessage

    return [m.payload["body"] for m in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.topic == "mail.send")
        .order_by(OutboxMessage.id)) if booking.reference in m.payload["body"]]


def paid_booking(spa, bookings, prepay, buyer, *, start=None):
    """Held, paid by transfer (staff saw the money), confirmed by the order's event."""
    booking = bookings.hold(spa.service, spa.store, start or at(10), customer=buyer, now=NOW)
    order = prepay.start(booking, "vietqr", customer=buyer, now=NOW)
    lifecycle.payment_received(order, DEPOSIT, actor=staff_of(spa), now=NOW)
    drain()
    return booking, order


def test_a_service_paid_ahead_is_not_confirmed_by_a_click(db, spa, bookings, buyer):
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    with pytest.raises(ValidationError) as refused:
        bookings.confirm(booking, customer=buyer, now=NOW)
    assert refused.value.code == "payment_required"
    assert "100,000" in str(refused.value.message)
    assert booking.state == "held" and redemption.current("appointment", booking.id) is None


def test_paying_the_deposit_by_transfer_confirms_the_booking(db, spa, bookings, prepay, buyer):
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    order = prepay.start(booking, "vietqr", customer=buyer, now=NOW)
    assert (order.state, order.fulfilment, order.total, order.store_id) == (
        "pending_payment", "appointment", DEPOSIT, spa.store.id)
    assert (order.slot_start, order.slot_end) == (at(10), at(11))
    assert order.lines[0].title == "Deposit: Massage 60 phút"
    # The time stays the customer's while the transfer can still come.
    assert booking.hold_expires_at == order.expires_at == NOW + timedelta(minutes=15)
    Occupancy = booking_module("models").Occupancy
    assert set(db.session.scalars(sa.select(Occupancy.hold_until).where(
        Occupancy.booking_id == booking.id))) == {order.expires_at}
    # The transfer waits for staff with the others; once paid, the calendar has it.
    assert queue(spa.store, states=["pending_payment"]) == [order]

    lifecycle.payment_received(order, DEPOSIT, actor=staff_of(spa), now=NOW)
    assert booking.state == "held"  # confirmed by the order's event, after the commit
    drain()
    db.session.refresh(booking)
    assert booking.state == "confirmed" and booking.hold_expires_at is None
    assert redemption.current("appointment", booking.id) is not None
    assert (prepay.paid_total(booking), prepay.price_left(booking)) == (DEPOSIT, 200000)
    assert queue(spa.store) == [] and queue(spa.store, states=["pending_payment"]) == []
    captured = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.order_id == order.id)).all()
    assert [e.gross for e in captured if e.kind == "capture"] == [DEPOSIT]


def test_a_pay_at_store_service_and_a_stranger_cannot_start_a_payment(
        db, make_merchant, make_store, make_listing, bookings, prepay, buyer, make_user):
    spa = paying_spa(make_merchant, make_store, make_listing, payment="at_store")
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    with pytest.raises(ValidationError):
        prepay.start(booking, "vietqr", customer=buyer, now=NOW)
    spa.service.payment = "deposit"
    with pytest.raises(ValidationError):
        prepay.start(booking, "vietqr", customer=make_user(), now=NOW)
    with pytest.raises(ValidationError) as refused:
        prepay.start(booking, "pay_at_store", customer=buyer, now=NOW)  # cannot pay ahead
    assert refused.value.fields == {"payment_provider": [refused.value.fields[
        "payment_provider"][0]]}
    assert booking.order_id is None


def test_choosing_another_way_to_pay_replaces_the_waiting_order(
        db, spa, bookings, prepay, buyer):
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    first = prepay.start(booking, "vietqr", customer=buyer, now=NOW)
    second = prepay.start(booking, "vietqr", customer=buyer, now=NOW + timedelta(minutes=1))
    assert first.state == "cancelled" and second.state == "pending_payment"
    assert booking.order_id == second.id
    assert first.payments[0].state == "cancelled"


def test_cancelling_before_the_cutoff_gives_the_deposit_back(
        db, spa, bookings, prepay, buyer):
    buyer.locale = "en"  # the mails are in the customer's language
    booking, order = paid_booking(spa, bookings, prepay, buyer)
    bookings.cancel(booking, actor=Actor.customer(buyer), by_customer=True, now=NOW)
    assert booking.state == "cancelled" and order.state == "cancelled"
    (refund,) = db.session.scalars(sa.select(Refund).where(Refund.order_id == order.id))
    assert (refund.amount, refund.state) == (DEPOSIT, "succeeded")
    assert prepay.paid_total(booking) == 0
    confirmed, cancelled = mails_about(db, booking)
    assert "Paid ahead: ₫100,000. To pay at the store: ₫200,000." in confirmed
    assert "The ₫100,000 you paid ahead goes back to you." in cancelled


def test_a_late_cancellation_keeps_the_deposit_once_the_customer_agrees(
        db, spa, bookings, prepay, buyer):
    buyer.locale = "en"  # the mails are in the customer's language
    booking, order = paid_booking(spa, bookings, prepay, buyer)
    late = at(10) - timedelta(hours=2)  # the cut-off is 24 hours before
    with pytest.raises(ValidationError) as refused:
        bookings.cancel(booking, actor=Actor.customer(buyer), by_customer=True, now=late)
    assert refused.value.code == "past_cutoff" and "forfeit" in refused.value.fields
    assert "100,000" in str(refused.value.message)
    assert booking.state == "confirmed" and order.state == "confirmed"
    bookings.cancel(booking, actor=Actor.customer(buyer), by_customer=True, forfeit=True,
                    now=late)
    assert booking.state == "cancelled" and order.state == "cancelled"
    assert order.settled_total == DEPOSIT and order.refunds == []
    assert prepay.paid_total(booking) == DEPOSIT
    assert "the shop keeps the ₫100,000 you paid ahead" in mails_about(db, booking)[-1]


def test_a_late_cancellation_of_a_booking_paid_at_the_store_is_still_for_the_store(
        db, make_merchant, make_store, make_listing, bookings, buyer):
    spa = paying_spa(make_merchant, make_store, make_listing, payment="at_store")
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    bookings.confirm(booking, customer=buyer, now=NOW)
    with pytest.raises(ValidationError) as refused:
        bookings.cancel(booking, actor=Actor.customer(buyer), by_customer=True, forfeit=True,
                        now=at(10) - timedelta(hours=2))
    assert refused.value.code == "past_cutoff" and "starts_at" in refused.value.fields
    assert booking.state == "confirmed"


def test_the_store_cancelling_late_gives_everything_back(db, spa, bookings, prepay, buyer):
    booking, order = paid_booking(spa, bookings, prepay, buyer)
    bookings.cancel(booking, actor=staff_of(spa), by_customer=False, reason="Ốm",
                    now=at(10) - timedelta(hours=1))
    assert order.state == "cancelled"
    assert [r.amount for r in order.refunds] == [DEPOSIT]


def test_a_no_show_keeps_the_deposit_and_a_visit_completes_the_order(
        db, make_merchant, make_store, make_listing, bookings, prepay, buyer):
    spa = paying_spa(make_merchant, make_store, make_listing, therapists=2, rooms=2)
    missed, missed_order = paid_booking(spa, bookings, prepay, buyer)
    kept, kept_order = paid_booking(spa, bookings, prepay, buyer, start=at(13))
    bookings.no_show(missed, actor=staff_of(spa), now=at(10, 20))
    assert missed_order.state == "no_show" and missed_order.refunds == []
    assert missed_order.settled_total == DEPOSIT
    bookings.check_in(kept, actor=staff_of(spa), now=at(12, 55))
    assert kept_order.state == "collected" and kept_order.settled_total == DEPOSIT


def test_an_unpaid_hold_ends_with_its_order_and_frees_the_time(
        db, spa, bookings, prepay, buyer, make_user):
    clock = booking_module("clock")
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    order = prepay.start(booking, "vietqr", customer=buyer, now=NOW)
    assert clock.expire_holds(NOW + timedelta(minutes=14)) == 0
    assert clock.expire_holds(NOW + timedelta(minutes=16)) == 1
    db.session.refresh(booking)
    db.session.refresh(order)
    assert booking.state == "expired" and order.state == "expired"
    assert order.payments[0].state == "cancelled"
    with pytest.raises(ValidationError):  # the transfer comes too late: not taken
        lifecycle.payment_received(order, DEPOSIT, actor=staff_of(spa),
                                   now=NOW + timedelta(minutes=20))
    other = bookings.hold(spa.service, spa.store, at(10), customer=make_user(),
                          now=NOW + timedelta(minutes=20))
    assert other.state == "held"


def test_the_order_clock_ending_an_unpaid_order_ends_the_booking(
        db, spa, bookings, prepay, buyer):
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    order = prepay.start(booking, "vietqr", customer=buyer, now=NOW)
    lifecycle.expire(order.id, now=NOW + timedelta(minutes=16))
    drain()
    db.session.refresh(booking)
    assert order.state == "expired" and booking.state == "expired"


def test_a_booking_paid_in_time_keeps_its_time_before_its_confirmation_arrives(
        db, spa, bookings, prepay, buyer, make_user):
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    order = prepay.start(booking, "vietqr", customer=buyer, now=NOW)
    lifecycle.payment_received(order, DEPOSIT, actor=staff_of(spa),
                               now=NOW + timedelta(minutes=14))
    # The hold lapses before the worker delivered the order's event; someone else asks.
    with pytest.raises(Exception) as taken:
        bookings.hold(spa.service, spa.store, at(10), customer=make_user(),
                      now=NOW + timedelta(minutes=16))
    assert getattr(taken.value, "status", None) == 409
    assert booking.state == "confirmed" and order.state == "confirmed"
    drain()  # the late event changes nothing
    db.session.refresh(booking)
    assert booking.state == "confirmed" and order.refunds == []


def test_the_order_of_a_booking_moves_only_with_the_booking(db, spa, bookings, prepay, buyer):
    booking, order = paid_booking(spa, bookings, prepay, buyer)
    with pytest.raises(BookedAppointment):
        lifecycle.cancel_by_customer(order, buyer)
    with pytest.raises(BookedAppointment):
        lifecycle.staff_event(order, "cancel", actor=staff_of(spa), reason="x")
    assert lifecycle.staff_events(order) == []
    bookings.reschedule(booking, at(14), actor=Actor.customer(buyer), by_customer=True,
                        now=NOW)
    assert (order.slot_start, order.slot_end, order.state) == (at(14), at(15), "confirmed")
    # A paid appointment is not a pickup the order clock could call a no-show.
    assert order.id not in lifecycle.due_for_expiry(at(20), limit=10)


def test_the_policy_is_checked_when_set_up(db, spa):
    setup = booking_module("setup")
    for data, field in [({"payment": "deposit", "deposit_amount": 300000}, "deposit_amount"),
                        ({"payment": "deposit", "deposit_amount": None}, "deposit_amount"),
                        ({"payment": "later"}, "payment")]:
        with pytest.raises(ValidationError) as refused:
            setup.configure_service(spa.listing, data)
        assert field in refused.value.fields, data
    full = setup.configure_service(spa.listing, {"payment": "full"})
    assert booking_module("prepay").due_ahead(full, 300000) == 300000


def test_the_full_price_paid_by_card_on_stripe_is_captured_at_check_in(
        db, make_merchant, make_store, make_listing, stripe_platform, bookings, prepay,
        buyer):
    spa = paying_spa(make_merchant, make_store, make_listing, payment="full")
    plugin_services.set_enabled(spa.merchant, STRIPE, True)
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    order = prepay.start(booking, "stripe", customer=buyer, now=NOW)
    assert order.total == 300000
    outcome = plugin_module("paying").charge(order.checkout, "pm_card_visa", now=NOW)
    assert outcome.status == "authorized" and order.state == "confirmed"
    drain()
    db.session.refresh(booking)
    assert booking.state == "confirmed" and prepay.price_left(booking) == 0
    bookings.check_in(booking, actor=staff_of(spa), now=at(9, 55))
    assert order.state == "collected"
    drain()  # the capture goes to Stripe after the commit
    db.session.refresh(order)
    payment = order.payments[0]
    assert (payment.state, payment.captured_amount) == ("captured", 300000)


# --- the REST API -----------------------------------------------------------------------------

CONSUMER = "/api/v1/consumer"


def test_the_api_pays_ahead_and_cancels_late_only_with_forfeit(
        client, db, spa, buyer, monkeypatch):
    for name in ("booking", "queries", "api"):
        monkeypatch.setattr(booking_module(name), "utcnow", lambda: NOW)
    from marketplace.accounts import services as accounts

    _token, plaintext = accounts.create_token(user=buyer, merchant_id=None, name="app")
    db.session.commit()
    me = {"Authorization": f"Bearer {plaintext}"}
    held = client.post(f"{CONSUMER}/bookings", headers=me, json={
        "listing_id": spa.listing.id, "store_id": spa.store.id, "start": at(10).isoformat()})
    assert held.status_code == 201, held.get_json()
    body = held.get_json()
    assert (body["due_ahead"], body["paid_ahead"], body["to_pay_at_store"]) == \
        (DEPOSIT, 0, 300000)
    assert body["ways_to_pay"] == ["vietqr"]
    reference = body["reference"]
    refused = client.post(f"{CONSUMER}/bookings/{reference}/confirm", headers=me)
    assert refused.status_code == 422 and refused.get_json()["code"] == "payment_required"

    bad = client.post(f"{CONSUMER}/bookings/{reference}/payment", headers=me,
                      json={"payment_provider": "pay_at_store"})
    assert bad.status_code == 422 and "payment_provider" in bad.get_json()["errors"]
    paying = client.post(f"{CONSUMER}/bookings/{reference}/payment", headers=me,
                         json={"payment_provider": "vietqr"})
    assert paying.status_code == 201, paying.get_json()
    answer = paying.get_json()
    assert (answer["amount"], answer["currency"]) == (DEPOSIT, "VND")
    assert answer["pay_url"].endswith(f"/orders/{answer['order_number']}")

    booking = db.session.scalars(sa.select(booking_module("models").Booking).where(
        booking_module("models").Booking.reference == reference)).one()
    lifecycle.payment_received(booking.order, DEPOSIT, actor=staff_of(spa), now=NOW)
    db.session.commit()
    drain()
    mine = client.get(f"{CONSUMER}/bookings/{reference}", headers=me).get_json()
    assert (mine["state"], mine["paid_ahead"], mine["to_pay_at_store"]) == \
        ("confirmed", DEPOSIT, 200000)
    assert mine["order_number"] == answer["order_number"] and mine["ticket"]["code"]

    for name in ("booking", "queries", "api"):  # two hours before: past the cut-off
        monkeypatch.setattr(booking_module(name), "utcnow", lambda: at(8))
    late = client.post(f"{CONSUMER}/bookings/{reference}/cancel", headers=me, json={})
    assert late.status_code == 422 and late.get_json()["code"] == "past_cutoff"
    assert "forfeit" in late.get_json()["errors"]
    gone = client.post(f"{CONSUMER}/bookings/{reference}/cancel", headers=me,
                       json={"forfeit": True})
    assert gone.status_code == 200 and gone.get_json()["paid_ahead"] == DEPOSIT


def test_a_place_in_a_group_class_paid_ahead_keeps_its_place_until_paid(
        db, make_merchant, make_store, make_listing, bookings, prepay, buyer, make_user):
    spa = paying_spa(make_merchant, make_store, make_listing)
    setup = booking_module("setup")
    listing = make_listing(spa.merchant, kind="service", title="Yoga 60 phút",
                           duration_minutes=60, price=150000)
    yoga = setup.configure_service(listing, {
        "needs_staff": True, "needs_resource": True, "lead_minutes": 60, "step_minutes": 30,
        "seats": 2, "party_max": 2, "store_ids": [spa.store.id], "payment": "full"})
    for resource in (spa.therapists[0], spa.rooms[0]):
        setup.update_resource(resource, {"service_ids": [yoga.id]})
    setup.update_resource(spa.rooms[0], {"capacity": 2})
    booking = bookings.hold(yoga, spa.store, at(16), customer=buyer, now=NOW)
    order = prepay.start(booking, "vietqr", customer=buyer, now=NOW)
    assert order.total == 150000 and booking.hold_expires_at == order.expires_at
    # Past the ten minutes of an unpaid hold, the place is still this customer's: the
    # last place goes to the next one, and the class is then full.
    later = NOW + timedelta(minutes=12)
    other = bookings.hold(yoga, spa.store, at(16), customer=make_user(), now=later)
    with pytest.raises(Exception) as full:
        bookings.hold(yoga, spa.store, at(16), customer=make_user(), now=later)
    assert getattr(full.value, "code", None) == "session_full"
    lifecycle.payment_received(order, 150000, actor=staff_of(spa), now=later)
    drain()
    db.session.refresh(booking)
    assert booking.state == "confirmed" and other.state == "held"
