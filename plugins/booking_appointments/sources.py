"""Where busy time comes from: our own bookings, and the outside calendars plugins add.

Every ``SlotSource`` a merchant runs has its say on the time of the staff and rooms of a
service (``marketplace.plugins.SlotSource``): ours, ``OwnBookings``, answers from the
occupancy rows (bookings with their buffers, holds, blocks); a plugin's may answer from a staff
member's outside calendar it keeps in its own tables. A start is offered only if every source
finds the staff member and room free: availability is the intersection.

Our occupancy stays the one thing that prevents double booking (its exclusion constraint on
PostgreSQL); the outside sources are told after it was written (``taken``) and when it is given
back (``released``), each in a savepoint of its own. One that fails otherwise than by refusing
(a ``MarketplaceError``) is logged with its plugin's name and left out: a broken integration
never stops a booking.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.database import get_scoped, utcnow
from marketplace.errors import MarketplaceError
from marketplace.extensions import db
from marketplace.plugins import BusyTime, SlotQuery, SlotSource, TakenSlot
from marketplace.plugins.manager import current_platform

from .availability import SlotTaken
from .models import Booking, Occupancy
from .states import BookingState

log = logging.getLogger(__name__)

Busy = dict[int, list[tuple[datetime, datetime]]]


class OwnBookings(SlotSource):
    """Our own bookings, holds and blocks: the rows of ``booking_appointments_occupancies``.

    Occupancy is written in one place, ``booking.occupy`` (held and moved time, and blocks).
    ``booking._take`` calls it directly, with the request's clock (which also ends a lapsed
    hold standing in the way) and the hold's expiry, neither of which a ``TakenSlot`` carries;
    ``hold`` goes through the same function, at the real clock, for whoever takes a booking's
    time through the contract. ``release`` is how every booking gives its time back
    (``booking._free``, and a pair an outside source refused)."""

    identifier = "appointments"
    label = _l("Bookings of this shop")

    def availability(self, query: SlotQuery) -> list[BusyTime]:
        return self.occupied(query, now=utcnow())

    def occupied(self, query: SlotQuery, *, now: datetime) -> list[BusyTime]:
        """The occupancy rows of the query's resources in its window as of ``now``: a hold
        that lapsed takes nothing; the moved booking's own rows are left out."""
        if not query.resource_ids:
            return []
        rows = sa.select(Occupancy.resource_id, Occupancy.starts_at, Occupancy.ends_at).where(
            Occupancy.merchant_id == query.merchant_id,
            Occupancy.resource_id.in_(query.resource_ids),
            Occupancy.starts_at < query.ends_at, Occupancy.ends_at > query.starts_at,
            sa.or_(Occupancy.hold_until.is_(None), Occupancy.hold_until > now))
        if query.booking_id is not None:
            rows = rows.where(sa.or_(Occupancy.booking_id.is_(None),
                                     Occupancy.booking_id != query.booking_id))
        return [BusyTime(*row) for row in db.session.execute(rows)]

    def hold(self, slot: TakenSlot) -> None:
        from .booking import occupy  # booking.py tells the sources: imported when used

        booking = get_scoped(Booking, slot.merchant_id, slot.booking_id)
        occupy(slot.merchant_id, list(slot.resource_ids), slot.starts_at, slot.ends_at,
               booking_id=booking.id,
               hold_until=booking.hold_expires_at if booking.state == BookingState.HELD
               else None,
               taken=SlotTaken(_l("This time is no longer available."),
                               start=slot.starts_at.isoformat()))

    def release(self, slot: TakenSlot) -> None:
        db.session.execute(sa.delete(Occupancy).where(
            Occupancy.booking_id == slot.booking_id,
            Occupancy.resource_id.in_(slot.resource_ids)))


OWN = OwnBookings()


def outside(merchant) -> list[SlotSource]:
    """The merchant's other sources: those of plugins it enabled (ours is always asked)."""
    return [source for source in current_platform().slot_sources.active_in(merchant)
            if not isinstance(source, OwnBookings)]


def _name(source: SlotSource) -> str:
    return f"{source.identifier} of plugin {source.plugin or '?'}"


def busy_times(merchant, query: SlotQuery, *, now: datetime) -> Busy:
    """Busy spans per resource of ``query``, as every source the merchant runs knows them:
    our occupancy as of ``now`` first, then each outside source's answer."""
    busy: Busy = {resource_id: [] for resource_id in query.resource_ids}
    for span in OWN.occupied(query, now=now):
        busy[span.resource_id].append((span.starts_at, span.ends_at))
    for source in outside(merchant):
        try:
            answer = _checked(source.availability(query))
        except MarketplaceError:
            raise  # the source stops the booking with its own message
        except Exception:
            log.exception("slot source %s failed in availability (merchant %s)",
                          _name(source), query.merchant_id)
            continue
        for span in answer:
            if span.resource_id in busy:  # a source cannot make another store's staff busy
                busy[span.resource_id].append((span.starts_at, span.ends_at))
    return busy


def _checked(answer: Sequence[BusyTime]) -> list[BusyTime]:
    """The answer in UTC; a malformed one fails the source like an exception would, rather
    than the engine later (a naive time there would break the whole day)."""
    spans = []
    for span in answer:
        if not isinstance(span, BusyTime):
            raise TypeError(f"availability must return BusyTime items, not {span!r}")
        for moment in (span.starts_at, span.ends_at):
            if not isinstance(moment, datetime) or moment.utcoffset() is None:
                raise TypeError(f"BusyTime needs aware datetimes, got {moment!r}")
        spans.append(BusyTime(span.resource_id, span.starts_at.astimezone(UTC),
                              span.ends_at.astimezone(UTC)))
    return spans


def taken_slot(booking: Booking, listing_id: int, resource_ids: Sequence[int],
               starts_at: datetime, ends_at: datetime) -> TakenSlot:
    # Resources in id order: the slot told on release equals the one told on hold.
    return TakenSlot(booking_id=booking.id, reference=booking.reference,
                     merchant_id=booking.merchant_id, store_id=booking.store_id,
                     listing_id=listing_id, resource_ids=tuple(sorted(resource_ids)),
                     starts_at=starts_at, ends_at=ends_at)


def held_slot(booking: Booking) -> TakenSlot | None:
    """The time ``booking`` holds now, read from its occupancy (None: it holds none)."""
    rows = db.session.execute(sa.select(Occupancy.resource_id, Occupancy.starts_at,
                                        Occupancy.ends_at)
                              .where(Occupancy.booking_id == booking.id)).all()
    if not rows:
        return None
    return taken_slot(booking, booking.service.listing_id, [r.resource_id for r in rows],
                      min(r.starts_at for r in rows), max(r.ends_at for r in rows))


def taken(merchant, slot: TakenSlot) -> bool:
    """Tell the outside sources that a booking took ``slot`` (our occupancy of it is written).

    False when one refused: then every source that had taken it gives it back, ours
    included, so that staff member and room stay free and the caller tries the next pair."""
    told: list[SlotSource] = []
    for source in outside(merchant):
        try:
            with db.session.begin_nested():  # what a failing source wrote is undone alone
                source.hold(slot)
        except MarketplaceError as refusal:
            log.info("slot source %s refused booking %s: %s", _name(source), slot.reference,
                     refusal.message)
            for earlier in reversed(told):
                _release(earlier, slot)
            OWN.release(slot)
            return False
        except Exception:
            log.exception("slot source %s failed in hold of booking %s", _name(source),
                          slot.reference)
            continue
        told.append(source)
    return True


def released(merchant, slot: TakenSlot) -> None:
    """Give the time of ``slot`` back: our occupancy first, then every outside source."""
    OWN.release(slot)
    for source in outside(merchant):
        _release(source, slot)


def _release(source: SlotSource, slot: TakenSlot) -> None:
    try:
        with db.session.begin_nested():
            source.release(slot)
    except Exception:  # time given back is ours to give: no source can stop it
        log.exception("slot source %s failed in release of booking %s", _name(source),
                      slot.reference)
