"""Group sessions: a class, a tour, a workshop — one start of a group service at a store that
many customers book, each party taking its places, never more than the session has.

The first customer opens the session: the start is checked with the engine like any
booking's, and the session takes its instructor and room once, through occupancies of its
own (``booking.occupy``, so PostgreSQL's exclusion constraint guards them as it guards every
booking). Later customers join it. Places are taken by one conditional update
(``seats_taken + n <= seats``), so two customers can never both take the last place,
whatever the isolation level; a CHECK on the table refuses anything else. Two customers who
open the same session at once meet on its unique constraint (service, store, start): the
second joins the first's.

A booking leaves its session when it is cancelled or expires (a no-show used its place);
the last to leave a session that has not started deletes it with its occupancies, so the
instructor and the room are free again. A customer's own booking is locked before any
session, and a session's lapsed holds before the session itself, as everywhere in the plugin
(bookings first), so joining, leaving and the expiry clock never wait on each other in a
circle.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace.errors import Conflict, MarketplaceError
from marketplace.extensions import db
from marketplace.stores.hours import Schedule
from marketplace.stores.models import Store

from . import availability as engine
from . import booking as bookings
from .models import Booking, Occupancy, ServiceSetup, Session
from .states import BookingState

S = BookingState


class SessionFull(Conflict):
    """The session has fewer places left than the party (409): a smaller party, or another
    time."""

    code = "session_full"
    title = _l("This session is full.")


class StaffChoiceRefused(engine.SlotRefused):
    code = "staff_choice_refused"


def refuse_staff_choice(staff_id) -> None:
    """A group session comes with its instructor: whoever opened it decided for everyone."""
    if staff_id is not None:
        raise StaffChoiceRefused.field("staff_id", _l(
            "This is a group session with its own instructor: book it without choosing a "
            "staff member."))


def _taken(start: datetime) -> engine.SlotTaken:
    return engine.SlotTaken(_l("This time is no longer available."), start=start.isoformat())


# --- what is offered --------------------------------------------------------------------------

def day_slots(setup: ServiceSetup, store: Store, day: date, *, now: datetime,
              staff_id: int | None = None, party: int = 1) -> list[engine.Slot]:
    """The starts of a group service on the store-local ``day``: the sessions already open
    with places for ``party`` left, and the starts where a new one could open (its
    instructor and a room that holds every place free). Each says its ``seats_left``."""
    refuse_staff_choice(staff_id)
    schedule = Schedule.for_store(store)
    first = datetime.combine(day, datetime.min.time(), tzinfo=schedule.tz)
    calendar = bookings.Calendar(setup, store, first + timedelta(hours=12),
                                 first + timedelta(hours=12), now)
    fresh = engine.day_slots(calendar.schedule, calendar.rule, day, now=now,
                             staff=calendar.staff, resources=_rooms(calendar), party=party)
    offered = {slot.start: replace(slot, seats_left=setup.seats) for slot in fresh}
    last = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=schedule.tz)
    open_ = list(db.session.scalars(sa.select(Session).where(
        Session.service_id == setup.id, Session.store_id == store.id,
        Session.starts_at >= first, Session.starts_at < last)))
    lapsed = _lapsed_places([s.id for s in open_], now)
    for session in open_:
        # Its start is this session's, full or not: booking it joins it, never opens another.
        offered.pop(session.starts_at, None)
        left = session.seats_left + lapsed.get(session.id, 0)
        if left >= party and engine.in_window(calendar.schedule, calendar.rule,
                                               session.starts_at, now=now):
            offered[session.starts_at] = engine.Slot(
                session.starts_at, session.ends_at,
                tuple(i for i in (session.staff_id,) if i is not None),
                tuple(i for i in (session.resource_id,) if i is not None), left)
    return [offered[start] for start in sorted(offered)]


def _rooms(calendar: bookings.Calendar) -> list[engine.Resource]:
    """The rooms that hold a whole session (a class of 12 needs a studio for 12)."""
    return [r for r in calendar.resources if r.capacity >= calendar.setup.seats]


def _lapsed_places(session_ids: list[int], now: datetime) -> dict[int, int]:
    """Places held by lapsed holds per session: free for the next customer (a hold gives
    them back when someone asks for them), so they are offered as free."""
    if not session_ids:
        return {}
    return dict(db.session.execute(
        sa.select(Booking.session_id, sa.func.sum(Booking.party_size)).where(
            Booking.session_id.in_(session_ids), Booking.state == S.HELD,
            Booking.hold_expires_at <= now).group_by(Booking.session_id)).all())


# --- taking places ----------------------------------------------------------------------------

def hold(setup: ServiceSetup, store: Store, start: datetime, *, customer, party: int,
         staff_id: int | None, note: str | None, now: datetime) -> Booking:
    """``booking.hold`` for a group service: places in the session at ``start``, opened if
    it is not yet. Refused with nothing written: ``session_full`` (409) when fewer places
    than the party are left, ``slot_taken`` when a new session finds no instructor or room."""
    refuse_staff_choice(staff_id)
    engine.check_when(Schedule.for_store(store), bookings.rule_of(setup), start, now=now,
                      party=party)
    bookings.emit_validation(setup, store, start, customer, party)
    savepoint = db.session.begin_nested()
    try:
        session = join(setup, store, start, party, now=now)
        booking = bookings.new_hold(setup, store, session.starts_at, session.ends_at,
                                    customer=customer, party=party, staff_requested=False,
                                    note=note, now=now)
    except MarketplaceError:
        _undo(savepoint)
        raise
    savepoint.commit()
    _seat(booking, session)
    bookings.record_hold(booking, customer)
    return booking


def _undo(savepoint) -> None:
    """Roll back to ``savepoint``. Places are counted by UPDATE statements, which the ORM does
    not see: the rows it loaded meanwhile are read again rather than trusted."""
    savepoint.rollback()
    db.session.expire_all()


def _seat(booking: Booking, session: Session) -> None:
    """The booking is in ``session``; its instructor and room are shown as the booking's."""
    booking.session = session
    booking.staff_id, booking.resource_id = session.staff_id, session.resource_id
    db.session.flush()


def join(setup: ServiceSetup, store: Store, start: datetime, party: int, *,
         now: datetime) -> Session:
    """Take ``party`` places in the session at ``start``, opening it if there is none."""
    _expire_lapsed(setup, store, start, now)
    session = _locked(setup, store, start)
    if session is None:
        session = _open(setup, store, start, party, now)
    taken = db.session.execute(
        sa.update(Session).where(Session.id == session.id,
                                 Session.seats_taken + party <= Session.seats)
        .values(seats_taken=Session.seats_taken + party)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(session)
    if not taken:
        left = session.seats_left
        raise SessionFull(_places_left(left), seats_left=left)
    return session


def _places_left(left: int):
    # Two messages rather than a lazy plural: the catalog's extraction knows lazy_gettext.
    if left == 0:
        return None  # the title: the session is full
    if left == 1:
        return _l("Only one place is left in this session.")
    return _l("Only %(num)d places are left in this session.", num=left)


def _locked(setup: ServiceSetup, store: Store, start: datetime) -> Session | None:
    """The session at ``start``, its row locked (joining and leaving queue on it)."""
    return db.session.scalars(
        sa.select(Session).where(Session.service_id == setup.id,
                                 Session.store_id == store.id, Session.starts_at == start)
        .with_for_update().execution_options(populate_existing=True)).first()


def _expire_lapsed(setup: ServiceSetup, store: Store, start: datetime, now: datetime) -> None:
    """The session's lapsed holds end now and give their places back, before anyone is told
    it is full. Each is locked and read again (its customer may be confirming right now),
    before the session is: the plugin's lock order. Emptying a session deletes it; the
    caller then opens a new one."""
    lapsed = (sa.select(Booking.id).join(Session, Session.id == Booking.session_id)
              .where(Session.service_id == setup.id, Session.store_id == store.id,
                     Session.starts_at == start, Booking.state == S.HELD,
                     Booking.hold_expires_at <= now))
    for booking in db.session.scalars(
            sa.select(Booking).where(Booking.id.in_(lapsed)).order_by(Booking.id)
            .with_for_update().execution_options(populate_existing=True)).all():
        if booking.state == S.HELD and booking.hold_expires_at <= now:
            bookings.expire(booking, now)


def _open(setup: ServiceSetup, store: Store, start: datetime, party: int,
          now: datetime) -> Session:
    """A new session at ``start`` with the fairest free instructor and the smallest free room
    that holds it, or the session a concurrent customer opened there a moment ago."""
    calendar = bookings.Calendar(setup, store, start, start, now)
    rooms = _rooms(calendar)
    try:
        slot = engine.check(calendar.schedule, calendar.rule, start, now=now,
                            staff=calendar.staff, resources=rooms, party=party)
    except engine.SlotTaken as refusal:
        # Its instructor and room may be taken by the session itself, opened and committed
        # by another customer since we looked: then this customer joins it.
        return _opened_meanwhile(setup, store, start, refusal)
    # The fairest free instructor, the smallest free room that holds the session.
    staff_order = bookings._fair_staff(calendar, slot) if setup.needs_staff else [None]
    room_order = bookings._best_rooms(calendar, slot, setup.seats) \
        if setup.needs_resource else [None]
    blocked_from, blocked_to = calendar.rule.blocked(slot.start)
    for member in staff_order:
        for room in room_order:
            savepoint = db.session.begin_nested()
            try:
                session = Session(
                    merchant_id=setup.merchant_id, service_id=setup.id, store_id=store.id,
                    starts_at=slot.start, ends_at=slot.end, seats=setup.seats, seats_taken=0,
                    staff_id=member, resource_id=room)
                db.session.add(session)
                db.session.flush()
            except IntegrityError:  # the unique (service, store, start): another opened it
                savepoint.rollback()
                return _opened_meanwhile(setup, store, start, _taken(start))
            try:
                bookings.occupy(setup.merchant_id, [i for i in (member, room) if i is not None],
                                blocked_from, blocked_to, session_id=session.id, now=now,
                                taken=_taken(start))
            except engine.SlotTaken:  # a concurrent booking took this pair: the next one
                savepoint.rollback()
                continue
            savepoint.commit()
            return session
    return _opened_meanwhile(setup, store, start, _taken(start))


def _opened_meanwhile(setup: ServiceSetup, store: Store, start: datetime,
                      refusal: MarketplaceError) -> Session:
    """The session another customer opened at ``start`` meanwhile, or ``refusal``."""
    session = _locked(setup, store, start)
    if session is None:
        raise refusal
    return session


# --- leaving ----------------------------------------------------------------------------------

def leave(booking: Booking, now: datetime) -> None:
    """A cancelled or expired booking gives its places back (the caller holds its row lock).
    The last to leave a session that has not started deletes it with its occupancies: the
    instructor and the room are free again. A past session stays, as a record."""
    if booking.session_id is None:
        return
    db.session.execute(
        sa.update(Session).where(Session.id == booking.session_id)
        .values(seats_taken=Session.seats_taken - booking.party_size)
        .execution_options(synchronize_session=False))
    session = db.session.scalars(sa.select(Session).where(Session.id == booking.session_id)
                                 .execution_options(populate_existing=True)).one()
    if session.seats_taken == 0 and session.starts_at > now:
        db.session.execute(sa.delete(Occupancy).where(Occupancy.session_id == session.id))
        # Those who left before keep no link to a session that no longer exists.
        db.session.execute(sa.update(Booking).where(Booking.session_id == session.id)
                           .values(session_id=None))
        db.session.expire(booking, ["session"])
        db.session.delete(session)
        db.session.flush()


def move(booking: Booking, start: datetime, *, staff_id: int | None,
         now: datetime) -> engine.Slot:
    """A group booking's places go to the session at ``start``: all or nothing. Leaving
    first lets a customer who was alone in their session move it to an overlapping time
    (their instructor is free again); if the new session refuses, the old one is as it was."""
    refuse_staff_choice(staff_id)
    setup, store = booking.service, booking.store
    engine.check_when(Schedule.for_store(store), bookings.rule_of(setup), start, now=now,
                      party=booking.party_size)
    if booking.session is not None and booking.session.starts_at == start:
        session = booking.session  # the same session: the places stay where they are
    else:
        savepoint = db.session.begin_nested()
        try:
            leave(booking, now)
            session = join(setup, store, start, booking.party_size, now=now)
        except MarketplaceError:
            _undo(savepoint)
            raise
        savepoint.commit()
    _seat(booking, session)
    return engine.Slot(session.starts_at, session.ends_at, seats_left=session.seats_left)
