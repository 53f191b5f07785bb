"""Appointment bookings through the plugin's services: holds, fair assignment, no double
booking, buffers, policy cut-offs, moving, check-in by ticket, blocks."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.errors import MarketplaceError, ValidationError
from marketplace.orders.audit import Actor
from marketplace.redemption import services as redemption
from tests.support.salon import DAY, NOW, at, booking_module, make_spa

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def spa(db, make_merchant, make_store, make_listing):
    return make_spa(make_merchant, make_store, make_listing)


@pytest.fixture
def bookings():
    return booking_module("booking")


def test_a_hold_takes_a_therapist_and_the_room_and_confirming_issues_a_ticket(
        db, spa, bookings, buyer):
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    assert (booking.state, booking.starts_at, booking.ends_at) == ("held", at(10), at(11))
    assert booking.staff_id in {t.id for t in spa.therapists}
    assert booking.resource_id == spa.rooms[0].id
    assert booking.hold_expires_at == NOW + timedelta(minutes=10)
    bookings.confirm(booking, customer=buyer, now=NOW + timedelta(minutes=2))
    assert booking.state == "confirmed"
    code = redemption.current("appointment", booking.id)
    assert code is not None and code.valid_until == at(11) + timedelta(hours=2)


def test_only_free_slots_are_offered_and_the_one_room_is_never_double_booked(
        db, spa, bookings, buyer, make_user):
    before = [s.start for s in bookings.day_slots(spa.service, spa.store, DAY, now=NOW)]
    bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    after = [s.start for s in bookings.day_slots(spa.service, spa.store, DAY, now=NOW)]
    # The room is busy 10:00–11:15 (15 minutes to tidy): 9:00 would still be tidied at
    # 10:00, 9:30 ends inside it, 11:00 starts inside it; 11:30 is free again.
    assert set(before) - set(after) == {at(9), at(9, 30), at(10), at(10, 30), at(11)}
    with pytest.raises(MarketplaceError) as taken:
        bookings.hold(spa.service, spa.store, at(10, 30), customer=make_user(), now=NOW)
    assert taken.value.status == 409


def test_anyone_available_goes_to_the_least_booked_therapist(
        db, make_merchant, make_store, make_listing, bookings, buyer):
    spa = make_spa(make_merchant, make_store, make_listing, rooms=3)
    first = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    second = bookings.hold(spa.service, spa.store, at(13), customer=buyer, now=NOW)
    assert {first.staff_id, second.staff_id} == {t.id for t in spa.therapists}
    chosen = bookings.hold(spa.service, spa.store, at(15), customer=buyer, now=NOW,
                           staff_id=spa.therapists[0].id)
    assert chosen.staff_id == spa.therapists[0].id and chosen.staff_requested


def test_bad_requests_are_refused_and_change_nothing(db, spa, bookings, buyer, make_listing):
    Booking = booking_module("models").Booking
    cases = [
        (at(8), "store_closed"),                     # before opening
        (at(17, 30), "slot_exceeds_opening"),        # would run past 18:00
        (NOW - timedelta(hours=1), "slot_in_past"),
        (NOW + timedelta(minutes=30), "slot_too_soon"),
        (at(10, 10), "slot_off_grid"),
        (at(10) + timedelta(days=40), "slot_beyond_horizon"),
    ]
    for start, code in cases:
        with pytest.raises(ValidationError) as refused:
            bookings.hold(spa.service, spa.store, start, customer=buyer, now=NOW)
        assert refused.value.code == code, start
    with pytest.raises(ValidationError) as refused:
        bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW, party=3)
    assert refused.value.code == "party_out_of_range"
    not_a_therapist = booking_module("setup").create_resource(spa.merchant.id, {
        "store_id": spa.store.id, "kind": "staff", "name": "Lễ tân"})
    with pytest.raises(ValidationError) as refused:
        bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW,
                      staff_id=not_a_therapist.id)
    assert refused.value.code == "staff_not_qualified"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_a_lapsed_hold_frees_its_time_for_the_next_customer(db, spa, bookings, buyer,
                                                            make_user):
    lapsed = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    later = NOW + timedelta(minutes=11)
    taken = bookings.hold(spa.service, spa.store, at(10), customer=make_user(), now=later)
    assert (lapsed.state, taken.state) == ("expired", "held")
    with pytest.raises(MarketplaceError) as refused:
        bookings.confirm(lapsed, customer=buyer, now=later)
    assert refused.value.status == 409


def test_cancel_and_reschedule_follow_the_cut_off(db, spa, bookings, buyer):
    booking = bookings.confirm(bookings.hold(spa.service, spa.store, at(10), customer=buyer,
                                             now=NOW), customer=buyer, now=NOW)
    me = Actor.customer(buyer)
    late = at(10) - timedelta(hours=2)
    with pytest.raises(ValidationError) as refused:
        bookings.reschedule(booking, at(14), actor=me, by_customer=True, now=late)
    assert refused.value.code == "past_cutoff"
    old_ticket = redemption.current("appointment", booking.id)
    bookings.reschedule(booking, at(14), actor=me, by_customer=True, now=NOW)
    assert (booking.starts_at, booking.state, booking.reschedules) == (at(14), "confirmed", 1)
    assert old_ticket.state == "revoked"
    assert redemption.current("appointment", booking.id).valid_until == at(15) + timedelta(hours=2)
    # The old time is free again; the new one is not.
    starts = {s.start for s in bookings.day_slots(spa.service, spa.store, DAY, now=NOW)}
    assert at(10) in starts and at(14) not in starts
    with pytest.raises(ValidationError):
        bookings.cancel(booking, actor=me, by_customer=True, now=at(14) - timedelta(hours=3))
    bookings.cancel(booking, actor=me, by_customer=True, now=NOW, reason="Bận việc")
    assert booking.state == "cancelled"
    assert redemption.current("appointment", booking.id) is None


def test_a_move_onto_taken_time_keeps_the_old_time(db, spa, bookings, buyer, make_user):
    mine = bookings.confirm(bookings.hold(spa.service, spa.store, at(10), customer=buyer,
                                          now=NOW), customer=buyer, now=NOW)
    bookings.hold(spa.service, spa.store, at(14), customer=make_user(), now=NOW)
    with pytest.raises(MarketplaceError) as taken:
        bookings.reschedule(mine, at(14), actor=Actor.customer(buyer), by_customer=True,
                            now=NOW)
    assert taken.value.status == 409
    assert mine.starts_at == at(10)
    starts = {s.start for s in bookings.day_slots(spa.service, spa.store, DAY, now=NOW)}
    assert at(10) not in starts


def test_the_ticket_checks_the_customer_in_at_the_counter(db, spa, bookings, buyer, owner_of):
    booking = bookings.confirm(bookings.hold(spa.service, spa.store, at(10), customer=buyer,
                                             now=NOW), customer=buyer, now=NOW)
    code = redemption.current("appointment", booking.id)
    staff = owner_of(spa.merchant).user
    scan = redemption.Scan(text=code.payload, store=spa.store, staff=staff,
                           nonce=str(uuid.uuid4()))
    result = redemption.redeem(spa.merchant, scan, now=at(9, 50))
    assert result.outcome == "redeemed", result.answer
    assert booking.state == "checked_in"
    again = redemption.redeem(spa.merchant, redemption.Scan(
        text=code.payload, store=spa.store, staff=staff, nonce=str(uuid.uuid4())),
        now=at(9, 51))
    assert again.outcome == "already_redeemed"
    bookings.complete(booking, actor=Actor.staff(staff), now=at(11))
    assert booking.state == "completed"


def test_no_show_only_after_the_start_and_it_frees_the_time(db, spa, bookings, buyer,
                                                           owner_of):
    booking = bookings.confirm(bookings.hold(spa.service, spa.store, at(10), customer=buyer,
                                             now=NOW), customer=buyer, now=NOW)
    staff = Actor.staff(owner_of(spa.merchant).user)
    with pytest.raises(ValidationError):
        bookings.no_show(booking, actor=staff, now=at(9, 59))
    bookings.no_show(booking, actor=staff, now=at(10, 20))
    assert booking.state == "no_show"
    assert redemption.current("appointment", booking.id) is None


def test_a_block_takes_a_therapist_off_and_cannot_cover_a_booking(db, spa, bookings, buyer):
    setup = booking_module("setup")
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    busy = next(t for t in spa.therapists if t.id == booking.staff_id)
    with pytest.raises(MarketplaceError) as refused:
        setup.add_block(busy, at(9), at(12), reason="Nghỉ phép", actor_id=None)
    assert refused.value.status == 409
    other = next(t for t in spa.therapists if t.id != booking.staff_id)
    setup.add_block(other, at(13), at(18), reason="Nghỉ phép", actor_id=None)
    afternoon = [s for s in bookings.day_slots(spa.service, spa.store, DAY, now=NOW)
                 if s.start >= at(13)]
    assert afternoon and all(other.id not in s.staff_ids for s in afternoon)


def test_a_second_resource_of_the_same_name_is_refused_and_the_session_lives_on(db, spa):
    setup = booking_module("setup")
    with pytest.raises(ValidationError) as refused:
        setup.create_resource(spa.merchant.id, {"store_id": spa.store.id, "kind": "room",
                                                "name": "Phòng 1"})
    assert "name" in refused.value.fields
    with pytest.raises(ValidationError):
        setup.update_resource(spa.therapists[0], {"name": "Chị Mai"})
    # Refused before anything reached the database: it answers, and still holds the names.
    Resource = booking_module("models").Resource
    with db.session.no_autoflush:
        names = db.session.scalars(sa.select(Resource.name).where(
            Resource.store_id == spa.store.id).order_by(Resource.id)).all()
    assert names == ["Chị Hoa", "Chị Mai", "Phòng 1"]
