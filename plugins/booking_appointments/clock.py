"""The booking clock, run by the platform's job worker: holds that lapsed become expired, and
customers are reminded before their visit (``BOOKING_REMINDER_HOURS``, e.g. 24 and 2 hours).

Each booking is handled in its own transaction. Several workers may run the same job at once:
a hold is re-read under its row lock, and a reminder is claimed by a conditional update, so
nothing happens twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from marketplace.extensions import db

from . import booking as bookings
from . import notices
from .models import Booking
from .states import BookingState

log = logging.getLogger(__name__)
BATCH = 200


def expire_holds(now: datetime) -> int:
    """Held bookings whose hold lapsed become expired (their time is already free for others:
    availability ignores lapsed holds). Returns how many."""
    ids = list(db.session.scalars(sa.select(Booking.id).where(
        Booking.state == BookingState.HELD, Booking.hold_expires_at <= now)
        .order_by(Booking.id).limit(BATCH)))
    done = 0
    for booking_id in ids:
        booking = bookings.lock(db.session.get(Booking, booking_id))
        if booking.state == BookingState.HELD and booking.hold_expires_at <= now:
            bookings.expire(booking, now)
            done += 1
        db.session.commit()
    return done


def reminder_hours() -> list[int]:
    """The configured offsets, largest first (``"24,2"`` → [24, 2])."""
    raw = str(current_app.config.get("BOOKING_REMINDER_HOURS") or "")
    return sorted({int(part) for part in raw.split(",") if part.strip().isdigit()
                   and int(part) > 0}, reverse=True)


def send_reminders(now: datetime) -> int:
    """For each confirmed booking whose next reminder is due, send the one nearest the start
    (a customer who booked an hour ahead gets no "tomorrow" reminder). Returns how many."""
    offsets = reminder_hours()
    if not offsets:
        return 0
    due = db.session.execute(sa.select(Booking.id, Booking.starts_at, Booking.confirmed_at,
                                       Booking.reminded_hours).where(
        Booking.state == BookingState.CONFIRMED, Booking.starts_at > now,
        Booking.starts_at <= now + timedelta(hours=offsets[0]))
        .order_by(Booking.starts_at).limit(BATCH)).all()
    sent = 0
    for booking_id, starts_at, confirmed_at, reminded in due:
        hours = min(h for h in offsets if starts_at - timedelta(hours=h) <= now)
        if reminded is not None and reminded <= hours:
            continue  # this one (or a nearer one) went out already
        if confirmed_at is not None and confirmed_at > starts_at - timedelta(hours=hours):
            continue  # booked after this reminder's time: the confirmation said it all
        claimed = db.session.execute(sa.update(Booking).where(
            Booking.id == booking_id, Booking.state == BookingState.CONFIRMED,
            Booking.starts_at == starts_at,
            sa.or_(Booking.reminded_hours.is_(None), Booking.reminded_hours > hours))
            .values(reminded_hours=hours)).rowcount
        if claimed:
            notices.send("reminder", db.session.get(Booking, booking_id))
            sent += 1
        db.session.commit()
    return sent
