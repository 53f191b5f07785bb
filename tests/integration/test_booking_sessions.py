"""Group sessions (a yoga class of 12 places) through the booking plugin's services: places
add up and never pass the seats, leaving gives them back, the last to leave frees the
instructor and the studio, a session's start is offered while places are left, moves are all
or nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.errors import MarketplaceError, ValidationError
from marketplace.orders.audit import Actor
from tests.support.salon import DAY, NOW, at, booking_module, make_spa

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def bookings():
    return booking_module("booking")


@pytest.fixture
def studio(db, make_merchant, make_store, make_listing):
    """A spa with one teacher and one studio for 12, who also serve its massage; its yoga
    class (60 minutes, 15 to tidy up) has 12 places, parties of up to 4."""
    setup = booking_module("setup")
    spa = make_spa(make_merchant, make_store, make_listing, therapists=1, rooms=1)
    listing = make_listing(spa.merchant, kind="service", title="Yoga 60 phút",
                           duration_minutes=60, price=150000)
    yoga = setup.configure_service(listing, {
        "needs_staff": True, "needs_resource": True, "buffer_after_minutes": 15,
        "lead_minutes": 60, "step_minutes": 30, "seats": 12, "party_max": 4,
        "store_ids": [spa.store.id]})
    [teacher], [room] = spa.therapists, spa.rooms
    for resource in (teacher, room):
        setup.update_resource(resource, {"service_ids": [spa.service.id, yoga.id]})
    setup.update_resource(room, {"capacity": 12})
    spa.yoga, spa.teacher, spa.room = yoga, teacher, room
    return spa


def models():
    return booking_module("models")


def sessions_at(start) -> list:
    from marketplace.extensions import db

    Session = models().Session
    return list(db.session.scalars(sa.select(Session).where(Session.starts_at == start)))


def count(model) -> int:
    from marketplace.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def places_add_up() -> None:
    """Every session's places taken are its live (and used) bookings' parties, no more."""
    from marketplace.extensions import db

    m = models()
    for session in db.session.scalars(sa.select(m.Session)):
        parties = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(
            m.Booking.party_size), 0)).where(
            m.Booking.session_id == session.id,
            m.Booking.state.in_(["held", "confirmed", "checked_in", "completed", "no_show"])))
        assert session.seats_taken == parties <= session.seats, session.id


def hold(studio, start, customer, *, party=1, now=NOW, **kwargs):
    return booking_module("booking").hold(studio.yoga, studio.store, start, customer=customer,
                                          party=party, now=now, **kwargs)


def starts(studio, *, party=1, now=NOW) -> dict:
    return {s.start: s.seats_left for s in booking_module("booking").day_slots(
        studio.yoga, studio.store, DAY, now=now, party=party)}


def test_places_add_up_in_one_session_that_takes_its_teacher_and_studio_once(
        db, studio, bookings, buyer, make_user):
    first = hold(studio, at(10), buyer, party=2)
    second = hold(studio, at(10), make_user(), party=3)
    third = hold(studio, at(10), make_user(), party=4)
    [session] = sessions_at(at(10))
    assert (session.seats, session.seats_taken) == (12, 9)
    assert {b.session_id for b in (first, second, third)} == {session.id}
    assert {(b.staff_id, b.resource_id) for b in (first, second, third)} == \
        {(studio.teacher.id, studio.room.id)}
    # The teacher and the studio are taken once, by the session, buffer included.
    Occupancy = models().Occupancy
    rows = db.session.execute(sa.select(Occupancy.resource_id, Occupancy.booking_id,
                                        Occupancy.session_id, Occupancy.ends_at)).all()
    assert sorted(rows) == sorted([(studio.teacher.id, None, session.id, at(11, 15)),
                                   (studio.room.id, None, session.id, at(11, 15))])
    confirmed = bookings.confirm(first, customer=buyer, now=NOW)
    assert confirmed.state == "confirmed"
    places_add_up()


def test_a_party_larger_than_the_places_left_is_refused_and_nothing_is_written(
        db, studio, buyer, make_user):
    for _ in range(3):
        hold(studio, at(10), make_user(), party=3)
    before = count(models().Booking)
    with pytest.raises(MarketplaceError) as full:
        hold(studio, at(10), buyer, party=4)
    assert (full.value.status, full.value.code) == (409, "session_full")
    assert full.value.extra["seats_left"] == 3
    assert "Only 3 places are left" in str(full.value.message)
    [session] = sessions_at(at(10))
    assert session.seats_taken == 9 and count(models().Booking) == before
    hold(studio, at(10), buyer, party=3)  # the last three places
    with pytest.raises(MarketplaceError) as full:
        hold(studio, at(10), make_user())
    assert full.value.code == "session_full" and full.value.extra["seats_left"] == 0
    assert sessions_at(at(10))[0].seats_taken == 12
    places_add_up()


def test_cancelling_and_lapsed_holds_give_places_back_and_a_no_show_does_not(
        db, studio, bookings, buyer, make_user, owner_of):
    staff = Actor.staff(owner_of(studio.merchant).user)
    mine = bookings.confirm(hold(studio, at(10), buyer, party=4), customer=buyer, now=NOW)
    lapsing = hold(studio, at(10), make_user(), party=4)
    absent = make_user()
    missing = bookings.confirm(hold(studio, at(10), absent, party=4), customer=absent,
                               now=NOW)
    [session] = sessions_at(at(10))
    assert session.seats_taken == 12
    bookings.cancel(mine, actor=Actor.customer(buyer), by_customer=True, now=NOW)
    db.session.refresh(session)
    assert session.seats_taken == 8
    # The lapsed hold's places go to the next customer who asks for them.
    later = NOW + timedelta(minutes=11)
    assert starts(studio, party=4, now=later)[at(10)] == 8
    taken = hold(studio, at(10), make_user(), party=4, now=later)
    assert (lapsing.state, taken.state) == ("expired", "held")
    db.session.refresh(session)
    assert session.seats_taken == 8
    # A no-show used the place: it stays taken.
    bookings.no_show(missing, actor=staff, now=at(10, 20))
    db.session.refresh(session)
    assert session.seats_taken == 8
    places_add_up()


def test_the_clock_expires_a_lapsed_hold_and_its_places_go_back(db, studio, buyer, make_user):
    clock = booking_module("clock")
    hold(studio, at(10), buyer, party=2)
    hold(studio, at(10), make_user(), party=3, now=NOW + timedelta(minutes=5))
    assert clock.expire_holds(NOW + timedelta(minutes=12)) == 1
    [session] = sessions_at(at(10))
    assert session.seats_taken == 3
    places_add_up()


def test_the_last_to_leave_frees_the_teacher_and_the_studio_for_other_services(
        db, studio, bookings, buyer, make_user):
    first = hold(studio, at(10), buyer, party=2)
    second = hold(studio, at(10), make_user())
    with pytest.raises(MarketplaceError) as busy:  # the massage needs the same teacher
        bookings.hold(studio.service, studio.store, at(10, 30), customer=make_user(), now=NOW)
    assert busy.value.status == 409
    bookings.cancel(first, actor=Actor.customer(buyer), by_customer=True, now=NOW)
    assert len(sessions_at(at(10))) == 1  # one customer is still in it
    bookings.cancel(second, actor=Actor.customer(second.customer), by_customer=True, now=NOW)
    assert sessions_at(at(10)) == []
    assert count(models().Occupancy) == 0
    assert (first.session_id, second.session_id) == (None, None)
    massage = bookings.hold(studio.service, studio.store, at(10, 30), customer=make_user(),
                            now=NOW)
    assert (massage.staff_id, massage.resource_id) == (studio.teacher.id, studio.room.id)


def test_a_start_is_offered_while_places_are_left_and_disappears_when_full(
        db, studio, buyer, make_user):
    before = starts(studio)
    assert before[at(10)] == 12 and before[at(11, 30)] == 12
    hold(studio, at(10), buyer, party=4)
    after = starts(studio)
    # The session's own teacher and studio do not hide it; starts that would need them
    # while it runs are gone (one teacher), 11:30 is free again after tidying.
    assert after[at(10)] == 8
    assert {at(9), at(9, 30), at(10, 30), at(11)}.isdisjoint(after)
    assert after[at(11, 30)] == 12
    for _ in range(2):
        hold(studio, at(10), make_user(), party=4)
    assert at(10) not in starts(studio)
    # Still offered to a small party while a large one no longer fits.
    clock_later = NOW + timedelta(minutes=11)  # the three holds lapse: all places free again
    assert starts(studio, party=4, now=clock_later)[at(10)] == 12
    # Time rules apply to an open session too: too soon is not offered.
    assert at(10) not in starts(studio, now=at(9, 30))


def test_a_full_class_is_not_offered_again_as_a_new_one_by_a_second_teacher(
        db, studio, buyer, make_user):
    setup = booking_module("setup")
    for body in ({"kind": "staff", "name": "Anh Tuấn"},
                 {"kind": "room", "name": "Phòng 2", "capacity": 12}):
        setup.create_resource(studio.merchant.id, {
            "store_id": studio.store.id, "service_ids": [studio.yoga.id], **body})
    for _ in range(3):
        hold(studio, at(10), make_user(), party=4)
    # The second teacher and studio are free at 10:00, but 10:00 is the full class's start:
    # booking it would join that class, never open a second one beside it.
    assert at(10) not in starts(studio) and starts(studio)[at(10, 30)] == 12
    with pytest.raises(MarketplaceError) as full:
        hold(studio, at(10), buyer)
    assert full.value.code == "session_full" and len(sessions_at(at(10))) == 1


def test_choosing_a_staff_member_for_a_group_session_is_refused(
        db, studio, bookings, buyer):
    with pytest.raises(ValidationError) as refused:
        hold(studio, at(10), buyer, staff_id=studio.teacher.id)
    assert refused.value.code == "staff_choice_refused" and "staff_id" in refused.value.fields
    with pytest.raises(ValidationError) as refused:
        bookings.day_slots(studio.yoga, studio.store, DAY, now=NOW, staff_id=studio.teacher.id)
    assert refused.value.code == "staff_choice_refused"
    assert count(models().Booking) == 0 and count(models().Session) == 0


def test_a_move_takes_the_places_to_another_session_all_or_nothing(
        db, studio, bookings, buyer, make_user):
    me = Actor.customer(buyer)
    mine = bookings.confirm(hold(studio, at(10), buyer, party=3), customer=buyer, now=NOW)
    other = hold(studio, at(10), make_user(), party=2)
    for _ in range(3):
        hold(studio, at(14), make_user(), party=4)  # 14:00 is full
    with pytest.raises(MarketplaceError) as full:
        bookings.reschedule(mine, at(14), actor=me, by_customer=True, now=NOW)
    assert full.value.code == "session_full"
    [ten] = sessions_at(at(10))
    assert (mine.starts_at, mine.session_id, ten.seats_taken) == (at(10), ten.id, 5)
    # To a session nobody opened yet: it opens; the old one keeps the other customer.
    bookings.reschedule(mine, at(12), actor=me, by_customer=True, now=NOW)
    [noon] = sessions_at(at(12))
    db.session.refresh(ten)
    assert (mine.starts_at, mine.session_id, mine.state) == (at(12), noon.id, "confirmed")
    assert (noon.seats_taken, ten.seats_taken) == (3, 2)
    # Alone in a session, a customer may move it to an overlapping time: the teacher is free
    # once they leave it.
    bookings.reschedule(mine, at(12, 30), actor=me, by_customer=True, now=NOW)
    assert sessions_at(at(12)) == [] and sessions_at(at(12, 30))[0].seats_taken == 3
    with pytest.raises(ValidationError) as refused:
        bookings.reschedule(mine, at(10), actor=me, by_customer=True, now=NOW,
                            staff_id=studio.teacher.id)
    assert refused.value.code == "staff_choice_refused"
    assert other.session_id == ten.id
    places_add_up()


def test_a_group_service_takes_parties_up_to_its_places_and_keeps_its_kind(
        db, studio, buyer):
    setup = booking_module("setup")
    with pytest.raises(ValidationError) as refused:
        setup.configure_service(studio.yoga.listing, {"party_max": 13})
    assert "party_max" in refused.value.fields
    db.session.expire(studio.yoga)  # what was refused is not kept
    # Tables keep parties larger than one without being group sessions.
    assert setup.configure_service(studio.service.listing, {"party_max": 4}).seats == 1
    hold(studio, at(10), buyer)
    with pytest.raises(ValidationError) as refused:
        setup.configure_service(studio.yoga.listing, {"seats": 1, "party_max": 1})
    assert "seats" in refused.value.fields


def test_a_room_too_small_for_the_class_is_not_offered(db, studio, buyer):
    booking_module("setup").update_resource(studio.room, {"capacity": 8})
    assert starts(studio) == {}
    with pytest.raises(MarketplaceError) as refused:
        hold(studio, at(10), buyer)
    assert refused.value.status == 409
