"""The appointment ticket as a redeemable code: staff scan it when the customer arrives, and
the booking is checked in."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.orders.audit import Actor
from marketplace.plugins import CodeKind

from . import booking as bookings
from .models import Booking
from .states import BookingState


class AppointmentKind(CodeKind):
    identifier = bookings.CODE_KIND
    label = _l("Appointment")

    def _booking(self, code) -> Booking:
        booking = db.session.get(Booking, code.subject_id)
        if booking is None or booking.merchant_id != code.merchant_id:
            raise ValidationError(_l("This booking no longer exists."))
        return booking

    def holder_id(self, code):
        return self._booking(code).customer_id

    def store_ids(self, code):
        return {self._booking(code).store_id}

    def describe(self, code) -> dict:
        booking = self._booking(code)
        local = booking.starts_at.astimezone(ZoneInfo(booking.store.timezone))
        who = [booking.staff.name] if booking.staff else []
        where = [booking.resource.name] if booking.resource else []
        return {
            "title": str(_l("%(service)s at %(time)s", service=booking.service.listing.title,
                            time=format_datetime(local, "short", rebase=False))),
            "holder": booking.customer.full_name,
            "booking": {"id": booking.id, "reference": booking.reference,
                        "state": booking.state, "starts_at": booking.starts_at.isoformat(),
                        "party_size": booking.party_size},
            "lines": [{"title": booking.service.listing.title,
                       "variant": ", ".join(who + where), "quantity": booking.party_size}],
            "needs": [],
        }

    def redeem(self, code, *, store, actor, details, now) -> dict:
        booking = self._booking(code)
        if booking.state != BookingState.CONFIRMED:
            raise ValidationError(_l("This booking cannot be checked in now."))
        bookings.check_in(booking, actor=Actor.staff(actor), now=now, scanned=True)
        return {"booking_id": booking.id, "booking_state": booking.state}
