"""Outside calendars through ``SlotSource``: availability is the intersection of our own
bookings and every source of a plugin the merchant enabled; the sources are told when a
booking takes time and gives it back; a refusing source passes the booking to the next free
person; a broken one is logged and the booking goes on.

The outside calendar is a test double (tests/support/outside_calendar.py). Each test runs on
an app of its own, so the double's source can be registered for that test alone (a plugin
added after start-up does not run its registration hooks; the shared app's registries keep
what they are given)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from marketplace.errors import MarketplaceError
from marketplace.orders.audit import Actor
from marketplace.orders.models import AuditEntry
from marketplace.plugins import SlotQuery, TakenSlot
from marketplace.plugins import services as plugin_services
from marketplace.plugins.manager import current_platform
from tests.support.outside_calendar import NAME, OutsideCalendarPlugin
from tests.support.salon import DAY, NOW, at, booking_module, make_spa

SOURCES_LOG = "marketplace_builtins.booking_appointments.sources"


@pytest.fixture(autouse=True)
def platform(make_app, db):
    # First of all (autouse): every row of the test is made in this app's session.
    app = make_app()
    with app.app_context(), force_locale("en"):
        yield app.extensions["plugins"]


@pytest.fixture
def outside(platform, register_plugin):
    """The outside calendar's source, installed on the platform (merchants enable it)."""
    plugin = OutsideCalendarPlugin()
    register_plugin(plugin)
    plugin.marketplace_register_slot_sources(
        register=lambda source: platform.slot_sources.register(source, plugin=NAME))
    return plugin.source


@pytest.fixture
def spa(outside, make_merchant, make_store, make_listing):
    spa = make_spa(make_merchant, make_store, make_listing)
    plugin_services.set_enabled(spa.merchant, NAME, True)
    return spa


@pytest.fixture
def bookings():
    return booking_module("booking")


def count(model, *where) -> int:
    from marketplace.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def occupied_by(booking) -> set[int]:
    from marketplace.extensions import db

    Occupancy = booking_module("models").Occupancy
    return set(db.session.scalars(sa.select(Occupancy.resource_id).where(
        Occupancy.booking_id == booking.id)))


def staff_at(bookings, spa) -> dict:
    return {s.start: set(s.staff_ids)
            for s in bookings.day_slots(spa.service, spa.store, DAY, now=NOW)}


def test_a_therapist_busy_in_their_own_calendar_is_not_offered_then(db, spa, outside,
                                                                   bookings, buyer):
    hoa, mai = spa.therapists
    outside.busy[hoa.id] = [(at(10), at(11))]
    offered = staff_at(bookings, spa)
    # The massage keeps its therapist 15 minutes after it ends: 9:00 would run into 10:00.
    for start in (at(9), at(9, 30), at(10), at(10, 30)):
        assert offered[start] == {mai.id}, start
    assert offered[at(11)] == {hoa.id, mai.id}
    # Anyone available: Chị Hoa comes first on a fair tie, but she is busy elsewhere.
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    assert booking.staff_id == mai.id and occupied_by(booking) == {mai.id, spa.rooms[0].id}
    query = outside.queries[-1]
    assert (query.merchant_id, query.store_id, query.listing_id, query.booking_id) == (
        spa.merchant.id, spa.store.id, spa.listing.id, None)
    assert set(query.resource_ids) == {hoa.id, mai.id, spa.rooms[0].id}


def test_when_everyone_is_busy_outside_the_start_disappears_and_a_hold_writes_nothing(
        db, spa, outside, bookings, buyer):
    Booking, Occupancy = booking_module("models").Booking, booking_module("models").Occupancy
    hoa, mai = spa.therapists
    outside.busy = {hoa.id: [(at(10), at(11))], mai.id: [(at(9, 30), at(12))]}
    assert at(10) not in staff_at(bookings, spa)
    with pytest.raises(MarketplaceError) as anyone:
        bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    with pytest.raises(MarketplaceError) as chosen:
        bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW,
                      staff_id=hoa.id)
    assert (anyone.value.status, anyone.value.code) == (409, "no_staff_free")
    assert (chosen.value.status, chosen.value.code) == (409, "staff_busy")
    assert count(Booking) == 0 and count(Occupancy) == 0 and outside.calls == []


def test_buffers_count_against_outside_busy_time(db, outside, bookings, make_merchant,
                                                 make_store, make_listing):
    spa = make_spa(make_merchant, make_store, make_listing, buffer_after=15,
                   buffer_before_minutes=30)
    plugin_services.set_enabled(spa.merchant, NAME, True)
    hoa, mai = spa.therapists
    outside.busy[hoa.id] = [(at(10), at(11))]
    offered = staff_at(bookings, spa)
    morning = [at(9), at(9, 30), at(10), at(10, 30), at(11), at(11, 30)]
    # 9:00 is tidied until 10:15; 11:00 is prepared from 10:30; 11:30 from 11:00, free again.
    assert [start for start in morning if hoa.id in offered[start]] == [at(11, 30)]
    assert all(mai.id in offered[start] for start in morning)


def test_a_source_of_a_plugin_the_merchant_has_not_enabled_is_ignored(
        db, outside, bookings, buyer, make_merchant, make_store, make_listing):
    spa = make_spa(make_merchant, make_store, make_listing)  # the calendar is not enabled
    hoa, mai = spa.therapists
    outside.busy[hoa.id] = [(at(10), at(11)), (at(14), at(15))]
    offered = staff_at(bookings, spa)
    assert offered[at(10)] == offered[at(14)] == {hoa.id, mai.id}
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    assert booking.staff_id == hoa.id
    assert outside.queries == [] and outside.calls == []
    plugin_services.set_enabled(spa.merchant, NAME, True)  # and now it counts
    assert staff_at(bookings, spa)[at(14)] == {mai.id}


def test_the_calendar_is_told_of_the_time_taken_and_given_back(db, spa, outside, bookings,
                                                               buyer, make_user, owner_of):
    clock = booking_module("clock")
    room = spa.rooms[0].id
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    taken = TakenSlot(booking_id=booking.id, reference=booking.reference,
                      merchant_id=spa.merchant.id, store_id=spa.store.id,
                      listing_id=spa.listing.id, resource_ids=(booking.staff_id, room),
                      starts_at=at(10), ends_at=at(11, 15))  # the tidying included
    assert outside.calls == [("hold", taken)]
    bookings.confirm(booking, customer=buyer, now=NOW)
    bookings.cancel(booking, actor=Actor.customer(buyer), by_customer=True, now=NOW)
    assert outside.calls[1:] == [("release", taken)] and outside.events == {}

    lapsing = bookings.hold(spa.service, spa.store, at(14), customer=make_user(), now=NOW)
    assert outside.calls[-1][0] == "hold" and set(outside.events) == {lapsing.id}
    assert clock.expire_holds(NOW + timedelta(minutes=11)) == 1
    assert lapsing.state == "expired"
    assert outside.calls[-1] == ("release", outside.calls[-2][1]) and outside.events == {}

    missed = bookings.confirm(bookings.hold(spa.service, spa.store, at(16), customer=buyer,
                                            now=NOW), customer=buyer, now=NOW)
    bookings.no_show(missed, actor=Actor.staff(owner_of(spa.merchant).user),
                     now=at(16, 20))
    assert [call for call, slot in outside.calls if slot.booking_id == missed.id] == [
        "hold", "release"]


def test_a_move_gives_back_the_old_time_and_takes_the_new(db, spa, outside, bookings, buyer):
    hoa = spa.therapists[0]
    booking = bookings.confirm(bookings.hold(spa.service, spa.store, at(10), customer=buyer,
                                             now=NOW, staff_id=hoa.id),
                               customer=buyer, now=NOW)
    old = outside.events[booking.id]  # the event the calendar now shows for it
    # Half an hour later with the same therapist: it overlaps its own time, in our occupancy
    # and in the outside calendar, and neither blocks the move.
    bookings.reschedule(booking, at(10, 30), actor=Actor.customer(buyer), by_customer=True,
                        now=NOW)
    assert (booking.starts_at, booking.staff_id) == (at(10, 30), hoa.id)
    assert any(query.booking_id == booking.id for query in outside.queries)
    new = replace(old, starts_at=at(10, 30), ends_at=at(11, 45))
    assert outside.calls[-2:] == [("release", old), ("hold", new)]
    assert outside.events == {booking.id: new}


def test_a_refusing_calendar_passes_the_booking_to_the_next_free_therapist(
        db, spa, outside, bookings, buyer, make_user):
    Occupancy = booking_module("models").Occupancy
    hoa, mai = spa.therapists
    room = spa.rooms[0].id
    outside.refuse = {hoa.id}
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    assert booking.staff_id == mai.id
    assert occupied_by(booking) == {mai.id, room}  # Chị Hoa's try was given back
    assert [(call, slot.resource_ids) for call, slot in outside.calls] == [
        ("hold", tuple(sorted((hoa.id, room)))), ("hold", tuple(sorted((mai.id, room))))]

    outside.refuse = {room}  # now nobody can have the only room at 14:00
    with pytest.raises(MarketplaceError) as refused:
        bookings.hold(spa.service, spa.store, at(14), customer=make_user(), now=NOW)
    assert (refused.value.status, refused.value.code) == (409, "slot_taken")
    assert count(Occupancy, Occupancy.starts_at == at(14)) == 0


def test_a_broken_calendar_is_logged_and_bookings_go_on(db, spa, outside, bookings, buyer,
                                                        caplog):
    hoa, mai = spa.therapists
    outside.busy[hoa.id] = [(at(10), at(11))]
    outside.fail = {"availability", "hold", "release"}
    caplog.set_level(logging.INFO, logger=SOURCES_LOG)

    def failures(method):
        return [r for r in caplog.records if r.name == SOURCES_LOG and r.exc_info
                and f"of plugin {NAME} failed in {method}" in r.getMessage()]

    # Its busy time cannot be read, so it is left out: both are offered.
    assert staff_at(bookings, spa)[at(10)] == {hoa.id, mai.id}
    assert failures("availability")
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    assert booking.state == "held" and failures("hold")
    assert occupied_by(booking) == {booking.staff_id, spa.rooms[0].id}
    bookings.cancel(booking, actor=Actor.customer(buyer), by_customer=True, now=NOW)
    assert booking.state == "cancelled" and failures("release")
    assert occupied_by(booking) == set()
    # What it wrote before failing went back with its savepoint; the booking's did not.
    assert count(AuditEntry, AuditEntry.entity == NAME) == 0
    assert count(AuditEntry, AuditEntry.entity == "booking",
                 AuditEntry.entity_id == booking.id) == 2


def test_our_own_bookings_are_a_source_like_any_other(db, spa, bookings, buyer):
    sources = booking_module("sources")
    own = current_platform().slot_sources.get("appointments")
    assert isinstance(own, sources.OwnBookings) and own.plugin == "booking_appointments"
    # Confirmed: the contract's methods read at the real clock, where a hold may have lapsed.
    booking = bookings.confirm(bookings.hold(spa.service, spa.store, at(10), customer=buyer,
                                             now=NOW), customer=buyer, now=NOW)
    slot = sources.held_slot(booking)
    query = SlotQuery(merchant_id=spa.merchant.id, store_id=spa.store.id,
                      listing_id=spa.listing.id, resource_ids=slot.resource_ids,
                      starts_at=at(8), ends_at=at(18))
    busy = {(b.resource_id, b.starts_at, b.ends_at) for b in own.availability(query)}
    assert busy == {(i, at(10), at(11, 15)) for i in slot.resource_ids}
    moving = replace(query, booking_id=booking.id)
    assert own.availability(moving) == []  # a booking's own time does not block its move
    own.release(slot)
    assert own.availability(query) == [] and occupied_by(booking) == set()
    own.hold(slot)
    assert occupied_by(booking) == set(slot.resource_ids)
    with pytest.raises(MarketplaceError) as taken:
        own.hold(slot)  # the time is this booking's already: nobody takes it twice
    assert taken.value.code == "slot_taken"
