"""What the customer is told about a booking, written with the change itself (the outbox
sends it after the commit): the confirmation with a calendar file, a move, a cancellation.

The calendar file (``calendar_file``) is one iCalendar event whose UID is the booking's
reference, so a calendar that imported the confirmation updates the same event when the
booking moves (a higher SEQUENCE) and removes it when it is cancelled (METHOD:CANCEL).
"""

from __future__ import annotations

import icalendar
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from marketplace.money import format_money
from marketplace.notifications import channels
from marketplace.notifications.mail import queue_mail
from marketplace.redemption import human
from marketplace.redemption import services as redemption
from marketplace.urls import public_url
from marketplace.web.shop import store_time

SUBJECTS = {
    "confirmed": _l("Booking %(reference)s is confirmed"),
    "rescheduled": _l("Booking %(reference)s has a new time"),
    "cancelled": _l("Booking %(reference)s is cancelled"),
    "reminder": _l("Reminder: booking %(reference)s"),
}
# The messages that carry the calendar file (a reminder changes nothing in the calendar).
WITH_CALENDAR = frozenset({"confirmed", "rescheduled", "cancelled"})


def _message(kind: str, booking) -> str:
    facts = {"reference": booking.reference, "service": booking.service.listing.title,
             "store": booking.store.name,
             "time": store_time(booking.store, booking.starts_at, "medium"),
             "address": booking.store.address_line}
    if kind == "confirmed":
        text = _l("%(service)s at %(store)s (%(address)s), %(time)s. Show the ticket in your "
                  "bookings at the counter; the calendar file is attached.", **facts)
    elif kind == "rescheduled":
        text = _l("%(service)s at %(store)s is now on %(time)s. The updated calendar file is "
                  "attached.", **facts)
    elif kind == "reminder":
        text = _l("See you soon: %(service)s at %(store)s (%(address)s), %(time)s.", **facts)
    else:
        text = _l("%(service)s at %(store)s on %(time)s is cancelled.", **facts)
    lines = [str(text)]
    money = _money_line(kind, booking)
    if money:
        lines.append(money)
    code = redemption.current("appointment", booking.id) if kind in ("confirmed", "rescheduled") \
        else None
    if code is not None:
        lines.append(str(_l("Ticket code: %(code)s",
                            code=human.display(redemption.human_code(code)))))
    return "\n".join(lines)


def _money_line(kind: str, booking) -> str | None:
    """What was paid ahead, and on cancelling whether it goes back (``prepay.py``)."""
    order = booking.order
    if order is None or order.state in ("pending_payment", "expired"):
        return None
    currency = booking.currency
    if kind == "confirmed":
        return str(_l("Paid ahead: %(paid)s. To pay at the store: %(rest)s.",
                      paid=format_money(order.total, currency),
                      rest=format_money(max(booking.price - order.total, 0), currency)))
    if kind != "cancelled":
        return None
    if order.settled_total:
        return str(_l("As the cancellation policy says, the shop keeps the %(amount)s you "
                      "paid ahead.", amount=format_money(order.settled_total, currency)))
    return str(_l("The %(amount)s you paid ahead goes back to you.",
                  amount=format_money(order.total, currency)))


def calendar_file(booking, *, cancelled: bool = False) -> bytes:
    """One event for the booking (times in UTC, which every calendar converts)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//O2O Marketplace//booking_appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = icalendar.Event()
    host = current_app.config["PUBLIC_URL"].split("://", 1)[-1].split("/", 1)[0]
    event.add("uid", f"{booking.reference}@{host}")
    event.add("sequence", booking.reschedules + (1 if cancelled else 0))
    event.add("dtstamp", booking.updated_at or booking.created_at)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", f"{booking.service.listing.title} — {booking.store.name}")
    event.add("location", ", ".join(part for part in (
        booking.store.address_line, booking.store.district, booking.store.city) if part))
    event.add("description", f"{booking.reference} · {booking.store.merchant.name}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


def send(kind: str, booking) -> None:
    """Tell the customer (mail with the calendar file, and the merchant's channel plugins)."""
    customer = booking.customer
    locale = customer.locale or "vi"
    link = public_url("booking_appointments.shop.booking", reference=booking.reference)
    with force_locale(locale):
        subject = str(SUBJECTS[kind] % {"reference": booking.reference})
        message = _message(kind, booking)
    attachments = None
    if kind in WITH_CALENDAR:
        attachments = [(f"{booking.reference}.ics", "text/calendar",
                        calendar_file(booking, cancelled=kind == "cancelled"))]
    queue_mail(to=customer.email, template="booking_appointments/mail/booking_update.txt",
               locale=locale, subject=subject, booking=booking, message=message, link=link,
               attachments=attachments)
    channels.send(booking.store.merchant, customer, kind=f"booking.{kind}",
                  object_id=booking.id, subject=subject, text=message, link=link)
