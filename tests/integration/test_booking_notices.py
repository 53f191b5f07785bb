"""What the customer is told about a booking: the confirmation with its calendar file, a
move, a cancellation, reminders before the visit; and the clock that ends lapsed holds."""

from __future__ import annotations

import base64
import email
from datetime import timedelta

import icalendar
import pytest
import sqlalchemy as sa

from marketplace.notifications import mail
from marketplace.orders.audit import Actor
from marketplace.outbox.models import OutboxMessage
from tests.support.salon import NOW, at, booking_module, make_spa

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def spa(db, make_merchant, make_store, make_listing):
    return make_spa(make_merchant, make_store, make_listing)


@pytest.fixture
def bookings():
    return booking_module("booking")


@pytest.fixture
def buyer(buyer):
    buyer.locale = "en"  # mail is written in the customer's language
    return buyer


def mails_to(db, address: str) -> list[dict]:
    return [m.payload for m in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.topic == "mail.send")
        .order_by(OutboxMessage.id)) if m.payload["to"] == address]


def event_of(payload: dict) -> icalendar.Event:
    (attached,) = payload["attachments"]
    assert attached["content_type"] == "text/calendar"
    calendar = icalendar.Calendar.from_ical(base64.b64decode(attached["data"]))
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_the_confirmation_carries_the_ticket_and_a_calendar_event(db, spa, bookings, buyer):
    booking = bookings.confirm(bookings.hold(spa.service, spa.store, at(10), customer=buyer,
                                             now=NOW), customer=buyer, now=NOW)
    (sent,) = mails_to(db, buyer.email)
    assert booking.reference in sent["subject"] and "confirmed" in sent["subject"]
    assert "Massage 60 phút" in sent["body"] and "Ticket code:" in sent["body"]
    calendar, event = event_of(sent)
    assert str(calendar["method"]) == "PUBLISH"
    assert event.decoded("dtstart") == at(10) and event.decoded("dtend") == at(11)
    assert str(event["uid"]).startswith(booking.reference + "@")
    assert str(event["status"]) == "CONFIRMED" and "Spa Sen Quận 1" in str(event["summary"])


def test_a_move_updates_the_same_event_and_a_cancellation_removes_it(db, spa, bookings, buyer):
    booking = bookings.confirm(bookings.hold(spa.service, spa.store, at(10), customer=buyer,
                                             now=NOW), customer=buyer, now=NOW)
    me = Actor.customer(buyer)
    bookings.reschedule(booking, at(14), actor=me, by_customer=True, now=NOW)
    bookings.cancel(booking, actor=me, by_customer=True, now=NOW)
    confirmed, moved, cancelled = mails_to(db, buyer.email)
    uids = {str(event_of(m)[1]["uid"]) for m in (confirmed, moved, cancelled)}
    assert len(uids) == 1  # one event, updated then cancelled
    _cal, event = event_of(moved)
    assert event.decoded("dtstart") == at(14) and int(event["sequence"]) == 1
    calendar, event = event_of(cancelled)
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert int(event["sequence"]) == 2


def test_the_calendar_file_arrives_attached_to_the_mail(db, spa, bookings, buyer, app,
                                                        tmp_path, monkeypatch):
    bookings.confirm(bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW),
                     customer=buyer, now=NOW)
    (sent,) = mails_to(db, buyer.email)
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    mail.deliver(sent)
    (eml,) = tmp_path.glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes())
    parts = [p for p in message.walk() if p.get_filename()]
    assert [p.get_content_type() for p in parts] == ["text/calendar"]
    assert b"BEGIN:VEVENT" in parts[0].get_payload(decode=True)


def test_reminders_go_out_once_each_and_never_after_a_late_booking(
        db, spa, bookings, buyer, make_user, app, monkeypatch):
    clock = booking_module("clock")
    monkeypatch.setitem(app.config, "BOOKING_REMINDER_HOURS", "24,2")
    early = bookings.confirm(bookings.hold(spa.service, spa.store, at(10), customer=buyer,
                                           now=NOW), customer=buyer, now=NOW)
    late_customer = make_user()
    late_customer.locale = "en"
    late = bookings.confirm(bookings.hold(spa.service, spa.store, at(14), customer=late_customer,
                                          now=at(9)), customer=late_customer, now=at(9))
    assert clock.send_reminders(at(10) - timedelta(hours=25)) == 0      # not yet
    assert clock.send_reminders(at(10) - timedelta(hours=23)) == 1      # the day before
    assert clock.send_reminders(at(10) - timedelta(hours=22)) == 0      # once
    assert early.reminded_hours == 24
    assert clock.send_reminders(at(8, 30)) == 1                        # 2 hours before
    # The booking made that morning gets its 2-hour reminder only: it was made after the
    # day-before one was due.
    assert clock.send_reminders(at(12, 30)) == 1
    assert clock.send_reminders(at(13)) == 0
    assert (early.reminded_hours, late.reminded_hours) == (2, 2)
    reminders = [m for m in mails_to(db, late_customer.email) if "Reminder" in m["subject"]]
    assert len(reminders) == 1 and "attachments" not in reminders[0]


def test_the_clock_ends_lapsed_holds(db, spa, bookings, buyer):
    clock = booking_module("clock")
    held = bookings.hold(spa.service, spa.store, at(10), customer=buyer, now=NOW)
    assert clock.expire_holds(NOW + timedelta(minutes=5)) == 0
    assert clock.expire_holds(NOW + timedelta(minutes=11)) == 1
    assert held.state == "expired"
    assert mails_to(db, buyer.email) == []  # a hold given up tells nobody
