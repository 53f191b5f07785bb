"""Booking rules: what is free, holding a slot, confirming, moving, cancelling, and the visit.

Availability is computed by the pure engine (``availability.py``) from the store's hours, the
staff's hours and the busy time of every slot source the merchant runs (``sources.py``: our
occupancy, outside calendars). Taking time always goes through
``occupy``: it reads what overlaps (a clear error for the usual case) and inserts the rows in
a savepoint, where PostgreSQL's exclusion constraint refuses any overlap a concurrent
transaction slipped in (SQLite's write lock makes the read and the insert one step). So no
staff member or room is ever in two overlapping bookings, however many people click at once.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.database import get_scoped, utcnow
from marketplace.errors import MarketplaceError, PermissionDenied, ValidationError
from marketplace.extensions import db
from marketplace.fulfilment.options import distance_km
from marketplace.money import format_money
from marketplace.orders.audit import SYSTEM, Actor, record
from marketplace.plugins import SlotQuery
from marketplace.plugins.events import emit
from marketplace.plugins.manager import current_platform
from marketplace.redemption import services as redemption
from marketplace.redemption.human import random_reference
from marketplace.states import next_state
from marketplace.stores.hours import Interval, Schedule
from marketplace.stores.models import Store

from . import availability as engine
from . import notices, prepay, sessions, sources
from .models import Booking, Occupancy, Resource, ServiceSetup
from .setup import service_variant
from .states import BOOKING_TRANSITIONS, BookingEvent, BookingState

S, E = BookingState, BookingEvent
CODE_KIND = "appointment"
# Occupied time is read this far around a day: a span may start the day before, buffers and
# long services reach over midnight.
MARGIN = timedelta(days=2)


class TooLate(ValidationError):
    code = "past_cutoff"


# --- reading the calendar ---------------------------------------------------------------------

def rule_of(setup: ServiceSetup) -> engine.ServiceRule:
    return engine.ServiceRule(
        duration_minutes=setup.listing.duration_minutes,
        buffer_before_minutes=setup.buffer_before_minutes,
        buffer_after_minutes=setup.buffer_after_minutes, step_minutes=setup.step_minutes,
        lead_minutes=setup.lead_minutes, horizon_days=setup.horizon_days,
        needs_staff=setup.needs_staff, needs_resource=setup.needs_resource,
        party_min=setup.party_min, party_max=setup.party_max)


def stores_offering(setup: ServiceSetup, position: tuple[float, float] | None = None,
                    ) -> list[tuple[Store, float | None]]:
    """The open stores offering the service with their distance in km from ``position``:
    nearest first when the customer shared where they are, else by name."""
    stores = sorted((store for store in setup.stores if store.is_active),
                    key=lambda store: store.name)
    if position is None:
        return [(store, None) for store in stores]
    return sorted(((store, distance_km(position, store)) for store in stores),
                  key=lambda pair: (pair[1], pair[0].name))


def offered_at(setup: ServiceSetup, store: Store) -> None:
    if not setup.is_active or store.id not in {s.id for s in setup.stores} \
            or not store.is_active:
        raise ValidationError.field("store_id", _l("This service is not offered at this store."))


def _busy(setup: ServiceSetup, store: Store, resource_ids: list[int], start: datetime,
          end: datetime, now: datetime, *, ignore_booking: int | None = None,
          ) -> dict[int, list[tuple[datetime, datetime]]]:
    """Busy time per resource between ``start`` and ``end`` by every source the merchant
    runs: our occupancy (lapsed holds left out) and outside calendars (``sources.py``)."""
    return sources.busy_times(setup.listing.merchant, SlotQuery(
        merchant_id=setup.merchant_id, store_id=store.id, listing_id=setup.listing_id,
        resource_ids=tuple(resource_ids), starts_at=start, ends_at=end,
        booking_id=ignore_booking), now=now)


def _booked_counts(staff_ids: list[int], start: datetime, end: datetime) -> Counter:
    """Bookings per staff member in the period (who has done least, for a fair choice)."""
    if not staff_ids:
        return Counter()
    rows = db.session.execute(
        sa.select(Booking.staff_id, sa.func.count()).where(
            Booking.staff_id.in_(staff_ids), Booking.starts_at >= start, Booking.starts_at < end,
            Booking.state.in_([S.HELD, S.CONFIRMED, S.CHECKED_IN, S.COMPLETED]))
        .group_by(Booking.staff_id))
    return Counter(dict(rows.all()))


def staff_schedule(resource: Resource, store_schedule: Schedule) -> Schedule:
    if not resource.hours:  # works whenever the store is open
        return Schedule(store_schedule.tz, store_schedule.weekly, {})
    weekly: dict[int, list[Interval]] = {}
    for row in resource.hours:
        weekly.setdefault(row.weekday, []).append(Interval(row.opens, row.closes, row.overnight))
    return Schedule(store_schedule.tz, weekly, {})


class Calendar:
    """Everything the engine needs for one service at one store around some days."""

    def __init__(self, setup: ServiceSetup, store: Store, first: datetime, last: datetime,
                 now: datetime, *, ignore_booking: int | None = None) -> None:
        self.setup, self.store, self.now = setup, store, now
        self.rule = rule_of(setup)
        self.schedule = Schedule.for_store(store)
        serving = [r for r in setup_resources(setup, store) if r.is_active]
        self.staff_rows = [r for r in serving if r.is_staff] if setup.needs_staff else []
        self.room_rows = [r for r in serving if not r.is_staff] if setup.needs_resource else []
        ids = [r.id for r in self.staff_rows + self.room_rows]
        busy = _busy(setup, store, ids, first - MARGIN, last + MARGIN, now,
                     ignore_booking=ignore_booking)
        counts = _booked_counts([r.id for r in self.staff_rows], first - timedelta(days=7),
                                last + timedelta(days=7))
        self.staff = [engine.StaffMember(r.id, staff_schedule(r, self.schedule),
                                         engine.BusyIndex(busy[r.id]), counts[r.id])
                      for r in self.staff_rows]
        self.resources = [engine.Resource(r.id, r.capacity, engine.BusyIndex(busy[r.id]))
                          for r in self.room_rows]


def setup_resources(setup: ServiceSetup, store: Store) -> list[Resource]:
    from .models import resource_services

    return list(db.session.scalars(
        sa.select(Resource).join(resource_services,
                                 resource_services.c.resource_id == Resource.id)
        .where(resource_services.c.service_id == setup.id, Resource.store_id == store.id)
        .options(selectinload(Resource.hours))  # every staff member's, in one query
        .order_by(Resource.id)))


def day_slots(setup: ServiceSetup, store: Store, day: date, *, now: datetime | None = None,
              staff_id: int | None = None, party: int = 1) -> list[engine.Slot]:
    """The bookable starts of ``setup`` at ``store`` on the store-local ``day``."""
    now = now or utcnow()
    offered_at(setup, store)
    if setup.is_group:  # open sessions with places left, and starts for new ones
        return sessions.day_slots(setup, store, day, now=now, staff_id=staff_id, party=party)
    tz = Schedule.for_store(store).tz
    noon = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(hours=12)
    calendar = Calendar(setup, store, noon, noon, now)
    staff = calendar.staff
    if staff_id is not None:
        staff = [m for m in staff if m.id == staff_id]
        if not staff:
            raise engine.StaffNotQualified.field(
                "staff_id", _l("This staff member does not offer this service."))
    return engine.day_slots(calendar.schedule, calendar.rule, day, now=now, staff=staff,
                            resources=calendar.resources, party=party)


# --- taking time ------------------------------------------------------------------------------

def occupy(merchant_id: int, resource_ids: list[int], starts_at: datetime, ends_at: datetime,
           *, taken: MarketplaceError, booking_id: int | None = None,
           block_id: int | None = None, session_id: int | None = None,
           hold_until: datetime | None = None, now: datetime | None = None) -> None:
    """Take [starts_at, ends_at) of each resource for its owner (a booking, a block or a
    group session), or raise ``taken`` and take nothing."""
    now = now or utcnow()
    if not resource_ids:
        return
    # A lapsed hold gives its time back now, not when the expiry job next runs.
    lapsed = list(db.session.scalars(sa.select(Occupancy.booking_id).where(
        Occupancy.resource_id.in_(resource_ids), Occupancy.hold_until <= now,
        Occupancy.starts_at < ends_at, Occupancy.ends_at > starts_at)))
    if lapsed:  # locked and read again: its customer may be confirming it right now
        for booking in db.session.scalars(
                sa.select(Booking).where(Booking.id.in_(lapsed)).order_by(Booking.id)
                .with_for_update().execution_options(populate_existing=True)):
            if booking.hold_expires_at is not None and booking.hold_expires_at <= now:
                expire(booking, now)
    clash = db.session.scalar(sa.select(sa.func.count()).select_from(Occupancy).where(
        Occupancy.resource_id.in_(resource_ids), Occupancy.starts_at < ends_at,
        Occupancy.ends_at > starts_at))
    if clash:
        raise taken
    try:
        with db.session.begin_nested():
            db.session.add_all(Occupancy(
                merchant_id=merchant_id, resource_id=resource_id, booking_id=booking_id,
                block_id=block_id, session_id=session_id, starts_at=starts_at,
                ends_at=ends_at, hold_until=hold_until)
                for resource_id in resource_ids)
            db.session.flush()
    except IntegrityError:  # PostgreSQL's exclusion constraint: a concurrent booking won
        raise taken from None


def _free(booking: Booking) -> None:
    held = sources.held_slot(booking)
    if held is not None:  # our occupancy goes, and the outside calendars are told
        sources.released(booking.store.merchant, held)


def _reference() -> str:
    return random_reference("BK-", 8)


def hold_minutes() -> int:
    return current_app.config["BOOKING_HOLD_MINUTES"]


def hold(setup: ServiceSetup, store: Store, start: datetime, *, customer, party: int = 1,
         staff_id: int | None = None, note: str | None = None,
         now: datetime | None = None) -> Booking:
    """Keep ``start`` for the customer for ``BOOKING_HOLD_MINUTES`` while they confirm.

    With ``staff_id`` the customer chose a person; without, the least-booked qualified
    person who is free gets it. If a concurrent booking takes the chosen person or room
    first, the next free one is tried; when none is left the slot is taken (409)."""
    now = now or utcnow()
    offered_at(setup, store)
    if setup.is_group:  # places in a session shared with others, not time of its own
        return sessions.hold(setup, store, start, customer=customer, party=party,
                             staff_id=staff_id, note=note, now=now)
    calendar = Calendar(setup, store, start, start, now)
    slot = engine.check(calendar.schedule, calendar.rule, start, now=now, staff=calendar.staff,
                        resources=calendar.resources, party=party, staff_id=staff_id)
    emit_validation(setup, store, start, customer, party)
    booking = new_hold(setup, store, slot.start, slot.end, customer=customer, party=party,
                       staff_requested=staff_id is not None, note=note, now=now)
    _take(booking, calendar, slot, staff_id=staff_id, now=now)
    record_hold(booking, customer)
    return booking


def new_hold(setup: ServiceSetup, store: Store, starts_at: datetime, ends_at: datetime, *,
             customer, party: int, staff_requested: bool, note: str | None,
             now: datetime) -> Booking:
    """The held booking's row, flushed (it has its id); it takes no time or place yet."""
    listing = setup.listing
    variant = service_variant(listing)
    booking = Booking(
        merchant_id=setup.merchant_id, reference=_reference(), store_id=store.id,
        service_id=setup.id, customer_id=customer.id, state=S.HELD, party_size=party,
        starts_at=starts_at, ends_at=ends_at, staff_requested=staff_requested,
        hold_expires_at=now + timedelta(minutes=hold_minutes()), price=variant.price,
        currency=listing.currency, note=(note or "").strip()[:500])
    db.session.add(booking)
    db.session.flush()
    return booking


def record_hold(booking: Booking, customer) -> None:
    record(merchant_id=booking.merchant_id, order_id=None, entity="booking",
           entity_id=booking.id, event="hold", from_state=None, to_state=booking.state,
           actor=Actor.customer(customer))
    db.session.flush()


def emit_validation(setup, store, start, customer, party) -> None:
    """``marketplace_validate_booking`` on the merchant's plugins: any may refuse."""
    current_platform().validate(
        "marketplace_validate_booking", setup.listing.merchant, customer=customer,
        booking={"service_id": setup.id, "listing_id": setup.listing_id, "store_id": store.id,
                 "start": start, "party_size": party})


def _take(booking: Booking, calendar: Calendar, slot: engine.Slot, *, staff_id, now) -> None:
    """Occupy a staff member and a room for ``booking``, the fairest free pair first."""
    rule = calendar.rule
    staff_order = _fair_staff(calendar, slot) if rule.needs_staff else [None]
    if staff_id is not None:
        staff_order = [staff_id]
    rooms = _best_rooms(calendar, slot, booking.party_size) if rule.needs_resource else [None]
    blocked_from, blocked_to = rule.blocked(slot.start)
    hold_until = booking.hold_expires_at if booking.state == S.HELD else None
    for member in staff_order:
        for room in rooms:
            ids = [i for i in (member, room) if i is not None]
            try:
                occupy(booking.merchant_id, ids, blocked_from, blocked_to,
                       booking_id=booking.id, hold_until=hold_until, now=now,
                       taken=engine.SlotTaken(_l("This time is no longer available."),
                                              start=slot.start.isoformat()))
            except engine.SlotTaken:
                continue
            if not sources.taken(calendar.setup.listing.merchant, sources.taken_slot(
                    booking, calendar.setup.listing_id, ids, blocked_from, blocked_to)):
                continue  # an outside calendar refused this pair: our occupancy went back
            booking.staff_id, booking.resource_id = member, room
            return
    raise engine.SlotTaken(_l("This time is no longer available."),
                           start=slot.start.isoformat())


def _fair_staff(calendar: Calendar, slot: engine.Slot) -> list[int]:
    free = [m for m in calendar.staff if m.id in slot.staff_ids]
    return [m.id for m in sorted(free, key=lambda m: (m.booked_count, m.id))]


def _best_rooms(calendar: Calendar, slot: engine.Slot, party: int) -> list[int]:
    fitting = [r for r in calendar.resources if r.id in slot.resource_ids and r.capacity >= party]
    return [r.id for r in sorted(fitting, key=lambda r: (r.capacity, r.id))]


# --- state changes ----------------------------------------------------------------------------

def lock(booking: Booking) -> Booking:
    return db.session.scalars(
        sa.select(Booking).where(Booking.id == booking.id).with_for_update()
        .execution_options(populate_existing=True)).one()


def _apply(booking: Booking, event: BookingEvent, *, actor: Actor, note: str | None = None,
           now: datetime | None = None) -> Booking:
    old = BookingState(booking.state)
    new = next_state(BOOKING_TRANSITIONS, old, event)
    booking.state = new
    if new in (S.COMPLETED, S.NO_SHOW, S.CANCELLED, S.EXPIRED):
        booking.closed_at = now or utcnow()
    if new in (S.NO_SHOW, S.CANCELLED, S.EXPIRED):
        _free(booking)
        redemption.revoke(CODE_KIND, booking.id, reason=str(event))
    if new in (S.CANCELLED, S.EXPIRED):  # a no-show used its place: it is not given back
        sessions.leave(booking, now or utcnow())
    record(merchant_id=booking.merchant_id, order_id=None, entity="booking",
           entity_id=booking.id, event=str(event), from_state=old, to_state=new, actor=actor,
           note=note)
    emit("marketplace_booking_state_changed", booking.store.merchant, booking_id=booking.id,
         old_state=str(old), new_state=str(new))
    db.session.flush()
    return booking


def expire(booking: Booking, now: datetime) -> None:
    """A lapsed hold ends (the caller holds the row lock); so does an order still waiting
    to pay ahead for it. A hold paid in time is confirmed instead: its payment's event,
    which confirms it after the commit, may simply not have arrived yet."""
    if booking.state != S.HELD:
        return
    if prepay.asks_payment(booking) and prepay.paid(booking):
        confirm(booking, customer=booking.customer, now=now)
        return
    _apply(booking, E.EXPIRE, actor=SYSTEM, now=now)
    prepay.settle(booking, now=now)


def confirm(booking: Booking, *, customer, now: datetime | None = None) -> Booking:
    """The customer confirms their held slot (they pay at the store). A lapsed hold whose
    time nobody took meanwhile is still confirmed; one that lost its time is refused."""
    now = now or utcnow()
    booking = lock(booking)
    if booking.customer_id != customer.id:
        raise PermissionDenied()
    # A lapsed hold whose time nobody took still has its occupancies (taking the time would
    # have expired it): it may be confirmed. An expired one lost its time.
    if booking.state == S.EXPIRED:
        raise engine.SlotTaken(_l("Your hold ran out and the time was taken: choose another."),
                               start=booking.starts_at.isoformat())
    if booking.state == S.HELD and prepay.asks_payment(booking) and not prepay.paid(booking):
        raise prepay.PaymentRequired.field("payment_provider", _l(
            "Pay %(amount)s ahead to confirm this booking.",
            amount=format_money(prepay.due_ahead(booking.service, booking.price),
                                booking.currency)))
    _apply(booking, E.CONFIRM, actor=Actor.customer(customer), now=now)
    booking.confirmed_at, booking.hold_expires_at = now, None
    db.session.execute(sa.update(Occupancy).where(Occupancy.booking_id == booking.id)
                       .values(hold_until=None))
    _issue_ticket(booking)
    db.session.flush()
    notices.send("confirmed", booking)
    return booking


def _issue_ticket(booking: Booking) -> None:
    """The QR ticket staff scan on arrival: valid from a day before until the end."""
    redemption.issue(booking.merchant_id, CODE_KIND, booking.id,
                     valid_from=booking.starts_at - timedelta(days=1),
                     valid_until=booking.ends_at + timedelta(hours=2))


def cancel_until(booking: Booking) -> datetime:
    """Until when the customer may cancel (the service's policy)."""
    return booking.starts_at - timedelta(hours=booking.service.cancel_cutoff_hours)


def change_until(booking: Booking) -> datetime:
    """Until when the customer may move the booking."""
    return booking.starts_at - timedelta(hours=booking.service.reschedule_cutoff_hours)


def _before_cutoff(until: datetime, now: datetime, message) -> None:
    if now > until:
        raise TooLate.field("starts_at", message)


def cancel(booking: Booking, *, actor: Actor, by_customer: bool, reason: str | None = None,
           forfeit: bool = False, now: datetime | None = None) -> Booking:
    """Cancel: the customer until the service's cut-off, the merchant any time before the
    visit ends. Frees the time and revokes the ticket. Money paid ahead goes back, except
    after the cut-off: a customer who paid ahead may still cancel then, keeping nothing of
    it, once they said so (``forfeit``)."""
    now = now or utcnow()
    booking = lock(booking)
    late = by_customer and booking.state == S.CONFIRMED and now > cancel_until(booking)
    # After the cut-off the customer keeps nothing of what they paid ahead (prepay.py).
    keep = prepay.paid_total(booking) if late else 0
    if late and not keep:
        raise TooLate.field("starts_at", _l(
            "Free cancellation ended %(hours)d hours before the appointment: please call "
            "the store.", hours=booking.service.cancel_cutoff_hours))
    if late and not forfeit:
        raise TooLate.field("forfeit", _l(
            "Free cancellation ended %(hours)d hours before the appointment: if you cancel "
            "now, the shop keeps the %(amount)s you paid ahead.",
            hours=booking.service.cancel_cutoff_hours,
            amount=format_money(keep, booking.currency)))
    booking.cancel_reason = (reason or "").strip()[:200] or None
    was_confirmed = booking.state == S.CONFIRMED
    _apply(booking, E.CANCEL, actor=actor, note=booking.cancel_reason, now=now)
    prepay.settle(booking, keep=keep, actor=actor, note=booking.cancel_reason, now=now)
    if was_confirmed:  # a hold given up was never confirmed to anyone
        notices.send("cancelled", booking)
    return booking


def reschedule(booking: Booking, start: datetime, *, actor: Actor, by_customer: bool,
               staff_id: int | None = None, now: datetime | None = None) -> Booking:
    """Move a confirmed booking to ``start`` (the customer until the cut-off). The old time is
    given up only if the new one is taken: all or nothing."""
    now = now or utcnow()
    booking = lock(booking)
    next_state(BOOKING_TRANSITIONS, BookingState(booking.state), E.RESCHEDULE)
    if by_customer:
        _before_cutoff(change_until(booking), now, _l(
            "Changes ended %(hours)d hours before the appointment: please call the store.",
            hours=booking.service.reschedule_cutoff_hours))
    offered_at(booking.service, booking.store)
    if booking.service.is_group:  # its places go to another session, all or nothing
        slot = sessions.move(booking, start, staff_id=staff_id, now=now)
    else:
        if staff_id is None and booking.staff_requested:
            staff_id = booking.staff_id  # the person the customer chose stays theirs
        calendar = Calendar(booking.service, booking.store, start, start, now,
                            ignore_booking=booking.id)
        slot = engine.check(calendar.schedule, calendar.rule, start, now=now,
                            staff=calendar.staff, resources=calendar.resources,
                            party=booking.party_size, staff_id=staff_id)
        savepoint = db.session.begin_nested()
        try:
            _free(booking)
            _take(booking, calendar, slot, staff_id=staff_id, now=now)
        except MarketplaceError:
            savepoint.rollback()
            raise
        savepoint.commit()
    old_start = booking.starts_at
    booking.starts_at, booking.ends_at = slot.start, slot.end
    booking.reschedules += 1
    booking.reminded_hours = None  # the reminders count from the new time
    prepay.moved(booking)
    redemption.revoke(CODE_KIND, booking.id, reason="reschedule")
    _issue_ticket(booking)
    _apply(booking, E.RESCHEDULE, actor=actor, now=now,
           note=f"{old_start.isoformat()} → {slot.start.isoformat()}")
    notices.send("rescheduled", booking)
    return booking


def check_in(booking: Booking, *, actor: Actor, now: datetime | None = None,
             scanned: bool = False) -> Booking:
    """The customer arrived. ``scanned``: their ticket was redeemed at the scanner already;
    otherwise staff checked them in on the calendar and the ticket is used up too."""
    now = now or utcnow()
    booking = lock(booking)
    _apply(booking, E.CHECK_IN, actor=actor, now=now)
    booking.checked_in_at = now
    prepay.settle(booking, actor=actor, now=now)  # the deposit or the price is earned
    if not scanned:
        redemption.close(CODE_KIND, booking.id, store_id=booking.store_id,
                         staff_id=actor.user_id, now=now)
    return booking


def complete(booking: Booking, *, actor: Actor, now: datetime | None = None) -> Booking:
    return _apply(lock(booking), E.COMPLETE, actor=actor, now=now)


def no_show(booking: Booking, *, actor: Actor, now: datetime | None = None) -> Booking:
    """The customer did not come: only once the appointment has started."""
    now = now or utcnow()
    booking = lock(booking)
    if now < booking.starts_at:
        raise ValidationError.field("event", _l(
            "A no-show can be marked once the appointment has started."))
    _apply(booking, E.NO_SHOW, actor=actor, now=now)
    prepay.settle(booking, keep=prepay.paid_total(booking), actor=actor, now=now)
    return booking


def staff_event(booking: Booking, event: str, *, actor: Actor,
                reason: str | None = None) -> Booking:
    """What a member did from the calendar or the API, by event name (a move, which needs a
    new time, is ``reschedule``)."""
    if event == E.CHECK_IN:
        return check_in(booking, actor=actor)
    if event == E.COMPLETE:
        return complete(booking, actor=actor)
    if event == E.NO_SHOW:
        return no_show(booking, actor=actor)
    if event == E.CANCEL:
        return cancel(booking, actor=actor, by_customer=False, reason=reason)
    raise ValidationError.field("event", _l("Choose check_in, complete, no_show or cancel."))


def get_booking(merchant_id: int, booking_id) -> Booking:
    return get_scoped(Booking, merchant_id, booking_id)
