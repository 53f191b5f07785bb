"""Booking an appointment through the real pages in Chromium (plugins/booking_appointments).

A spa, set up through the services, offers "Massage 60 phút": each massage takes a therapist
and a room at once; it has two therapists and one room at its first store (a second store
offers the service too, so the customer chooses). A consumer books "anyone available" at a
free time two days ahead, confirms (pay at the store), sees the reference and the QR ticket,
and gets the confirmation mail with its calendar file; then moves the booking to another
time and gets the updated event (same UID, SEQUENCE 1). The owner checks them in on the
dashboard's booking calendar.

The live server uses the real clock, so the days are real days ahead in the store's zone, and
the stores are open around the clock so the test does not depend on the hour it runs. Its
outbox has no worker: the test drains it, which writes the mail as .eml files.
"""

from __future__ import annotations

import email
import email.policy
import importlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from babel.dates import format_date
from playwright.sync_api import Page, expect

from marketplace.accounts.models import User
from marketplace.accounts.services import register_user
from marketplace.catalog.models import Listing
from marketplace.catalog.services import change_status, create_listing
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.merchants.services import change_status as merchant_status
from marketplace.merchants.services import create_merchant
from marketplace.outbox.services import drain
from marketplace.plugins import services as plugin_services
from marketplace.stores.services import create_store, set_opening_hours

pytestmark = pytest.mark.browser

PLUGIN = "booking_appointments"
PASSWORD = "mật khẩu đặt lịch 2026"
OWNER = "chu@spasen-trinhduyet.example.vn"
CONSUMER = "thu.le@khach-spa.example.vn"
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")
OPEN_ALL_WEEK = [{"weekday": d, "opens": "00:00", "closes": "00:00", "overnight": True}
                 for d in range(7)]
THERAPISTS = ("Chị Hoa", "Chị Mai")


@dataclass
class Spa:
    owner: str             # the e-mail addresses the owner and the customer log in with
    consumer: str
    slug: str
    listing_slug: str
    store_id: int
    store_name: str
    day: object            # the store-local date booked, two days ahead


def plugin_module(name: str):
    """A module of the built-in plugin (imported under the platform's private package)."""
    return importlib.import_module(f"marketplace_builtins.{PLUGIN}.{name}")


@pytest.fixture
def spa(live_server):
    return open_spa(live_server, OWNER, CONSUMER, "Spa Sen Trình Duyệt")


@pytest.fixture
def deposit_spa(live_server):
    """Another spa on the same live server (its people and its name are its own), asking a
    ₫100,000 deposit by VietQR transfer for the massage."""
    made = open_spa(live_server, "chu@spasen-coc.example.vn", "an.pham@khach-spa.example.vn",
                    "Spa Sen Đặt Cọc")
    setup, models = plugin_module("setup"), plugin_module("models")
    with live_server.app.app_context():
        service = db.session.scalars(sa.select(models.ServiceSetup).join(
            models.ServiceSetup.listing).where(Listing.slug == made.listing_slug,
                                               Listing.merchant.has(slug=made.slug))).one()
        setup.configure_service(service.listing, {"payment": "deposit",
                                                  "deposit_amount": 100000})
        merchant = service.listing.merchant
        plugin_services.update_merchant_settings(merchant, "payment_vietqr", {
            "bank_bin": "970436", "account_number": "1023456789",
            "account_name": "Spa Sen Dat Coc"})
        plugin_services.set_enabled(merchant, "payment_vietqr", True)
        db.session.commit()
        db.session.remove()
    return made


def open_spa(live_server, owner_email: str, consumer_email: str, name: str) -> Spa:
    setup = plugin_module("setup")
    with live_server.app.app_context():
        admin = db.session.scalars(sa.select(User).where(
            User.email == live_server.admin_email)).one()
        owner = register_user(email=owner_email, password=PASSWORD, full_name="Chủ Spa Sen")
        merchant = create_merchant(owner=owner, data={"name": name}, commission_bp=0)
        merchant_status(merchant, "approve", actor=admin)
        plugin_services.set_enabled(merchant, PLUGIN, True)
        stores = []
        for name, street in (("Spa Sen Quận 1", "12 Lê Lợi"), ("Spa Sen Quận 3", "5 Tú Xương")):
            store = create_store(merchant, {
                "name": name, "address_line": street, "city": "Hồ Chí Minh",
                "latitude": 10.7769, "longitude": 106.7009}, default_timezone="Asia/Ho_Chi_Minh")
            set_opening_hours(store, OPEN_ALL_WEEK)
            stores.append(store)
        listing = create_listing(merchant, {"title": "Massage 60 phút", "kind": "service",
                                            "description": "Massage toàn thân",
                                            "duration_minutes": 60, "price": 300000})
        change_status(listing, "publish")
        massage = setup.configure_service(listing, {
            "needs_staff": True, "needs_resource": True, "buffer_after_minutes": 15,
            "lead_minutes": 60, "step_minutes": 30, "store_ids": [s.id for s in stores]})
        first = stores[0]
        for name in THERAPISTS:
            setup.create_resource(merchant.id, {"store_id": first.id, "kind": "staff",
                                                "name": name, "service_ids": [massage.id]})
        setup.create_resource(merchant.id, {"store_id": first.id, "kind": "room",
                                            "name": "Phòng 1", "service_ids": [massage.id]})
        register_user(email=consumer_email, password=PASSWORD, full_name="Lê Thị Thu",
                      locale="en")
        db.session.commit()
        made = Spa(owner_email, consumer_email, merchant.slug, listing.slug, first.id, first.name,
                   (utcnow().astimezone(SAIGON) + timedelta(days=2)).date())
        db.session.remove()
    return made


def at(day, hour: int, minute: int = 0) -> datetime:
    """Store-local time on ``day``, as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SAIGON).astimezone(UTC)


def log_in(page: Page, email_address: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email_address)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def watch(page: Page, problems: list[str]) -> list[str]:
    """Uncaught script errors and refused content (CSP) of the page, to assert none."""
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if "Content Security Policy" in message.text else None)
    return problems


def expect_ok(page: Page, live_server) -> None:
    errors = live_server.server_errors()
    assert not errors, f"server errors on {page.url}:\n{errors}"


def calendar_mails(live_server, to: str) -> list[tuple[EmailMessage, icalendar.Calendar]]:
    """Deliver the outbox (the live server runs no worker), then read the mail folder: the
    messages to ``to`` that carry a calendar file, oldest first, with the parsed file."""
    with live_server.app.app_context():
        drain()
        db.session.remove()
    found = []
    for path in sorted(Path(live_server.app.config["MAIL_FILE_DIR"]).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] != to:
            continue
        for part in message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                found.append((message, icalendar.Calendar.from_ical(
                    part.get_payload(decode=True))))
    return found


def the_event(calendar: icalendar.Calendar) -> icalendar.Event:
    (event,) = calendar.walk("VEVENT")
    return event


def test_book_anyone_for_a_massage_get_the_ics_move_it_and_staff_check_in(
        new_context, live_server, spa, screenshot_dir):
    problems: list[str] = []
    page = new_context(locale="en-US").new_page()
    watch(page, problems)
    log_in(page, CONSUMER)

    # The listing offers booking; the customer chooses the store, then the day.
    page.goto(f"/m/{spa.slug}/l/{spa.listing_slug}")
    page.get_by_role("button", name="Book an appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book Massage 60 phút")
    page.get_by_label(re.compile(spa.store_name)).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#store")).to_contain_text(spa.store_name)
    day_tab = format_date(spa.day, "EEE d MMM", locale="en")
    page.locator("#day").get_by_role("link", name=day_tab).click()
    expect(page.locator("#day strong")).to_have_text(day_tab)
    expect(page.get_by_label("With")).to_have_value("")    # "Anyone available"
    expect(page.get_by_label("With").locator("option:checked")).to_have_text("Anyone available")
    times = page.locator("#times")
    expect(times.get_by_role("heading")).to_contain_text(
        format_date(spa.day, "EEEE d MMMM", locale="en"))
    expect_ok(page, live_server)
    times.get_by_label("10:00–11:00").check()
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "booking-free-times.png"), full_page=True)
    times.get_by_role("button", name="Hold this time").click()

    # Held: confirm, paying at the store.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your booking")
    expect(page.locator(".hold-countdown")).to_contain_text("We hold this time for you until")
    page.get_by_role("button", name="Confirm (pay at the store)").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Confirmed")
    reference = re.search(r"/bookings/(BK-[0-9A-Z]+)$", page.url).group(1)
    expect(heading).to_contain_text(f"Booking {reference}")
    expect(page.locator(".flash")).to_contain_text("Your booking is confirmed.")
    when = page.locator("[data-booking-time]")
    expect(when).to_contain_text(format_date(spa.day, "EEEE d MMMM yyyy", locale="en"))
    expect(when).to_contain_text("10:00–11:00")
    facts = page.locator("dl.booking-facts")
    expect(facts).to_contain_text("Phòng 1")
    expect(facts).to_contain_text(re.compile("|".join(THERAPISTS)))
    qr = page.locator("img[data-booking-qr]")
    expect(qr).to_be_visible()
    # decode() waits for the image and rejects if it is broken.
    assert qr.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    ticket = page.request.get(qr.get_attribute("src"))
    assert ticket.ok and ticket.headers["content-type"].startswith("image/svg")
    expect(page.locator(".booking-ticket .code")).to_have_text(re.compile(r"\S{5}-\S{5}"))
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "booking-confirmed.png"), full_page=True)
    expect_ok(page, live_server)

    # The confirmation mail carries the event at the booked time.
    ((confirmation, calendar),) = calendar_mails(live_server, CONSUMER)
    assert confirmation["Subject"] == f"Booking {reference} is confirmed"
    event = the_event(calendar)
    assert str(calendar["method"]) == "PUBLISH"
    assert event.decoded("dtstart") == at(spa.day, 10)
    assert event.decoded("dtend") == at(spa.day, 11)
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["uid"]).startswith(f"{reference}@")
    assert int(event.get("sequence", 0)) == 0
    uid = str(event["uid"])

    # Move it from the booking page: its change form lists today's times; ask for the day.
    change = page.locator("#reschedule")
    change.get_by_label("Day").fill(spa.day.isoformat())
    change.get_by_role("button", name="Show free times").click()
    change = page.locator("#reschedule")
    expect(change.get_by_label("14:00–15:00")).to_be_visible()
    change.get_by_label("14:00–15:00").check()
    change.get_by_role("button", name="Move my booking").click()
    expect(page).to_have_url(re.compile(rf"/bookings/{reference}$"))
    expect(page.locator(".flash")).to_contain_text("Your booking is moved to")
    expect(page.locator("[data-booking-time]")).to_contain_text("14:00–15:00")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirmed")
    page.locator("main").get_by_role("link", name="My bookings").click()
    entry = page.locator(f"#upcoming [data-booking={reference}]")
    expect(entry).to_have_attribute("data-state", "confirmed")
    expect(entry).to_contain_text(
        format_date(spa.day, "EEEE d MMMM yyyy", locale="en") + ", 14:00")
    expect_ok(page, live_server)

    mails = calendar_mails(live_server, CONSUMER)
    assert len(mails) == 2
    moved, calendar = mails[1]
    assert moved["Subject"] == f"Booking {reference} has a new time"
    event = the_event(calendar)
    assert event.decoded("dtstart") == at(spa.day, 14)
    assert event.decoded("dtend") == at(spa.day, 15)
    assert str(event["uid"]) == uid
    assert int(event["sequence"]) == 1

    # The owner, in a browser of their own, checks the customer in on the calendar.
    staff = new_context(locale="en-US").new_page()
    watch(staff, problems)
    log_in(staff, OWNER)
    staff.goto(f"/dashboard/{spa.slug}/")
    staff.get_by_role("navigation", name="Dashboard").get_by_role(
        "link", name="Booking calendar").click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("Bookings · ")
    tabs = staff.locator("nav.store-tabs")
    if tabs.get_by_role("link", name=spa.store_name).count():  # the other store came first
        tabs.get_by_role("link", name=spa.store_name).click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(f"Bookings · {spa.store_name}")
    filters = staff.locator("form.calendar-filters")
    filters.get_by_label("Day", exact=True).fill(spa.day.isoformat())
    filters.get_by_role("button", name="Show", exact=True).click()
    card = staff.locator("article.booking-card").filter(has_text=reference)
    expect(card).to_have_attribute("data-state", "confirmed")
    expect(card).to_contain_text("14:00–15:00")
    expect(card).to_contain_text("Lê Thị Thu")
    expect(card).to_contain_text("Phòng 1")
    if screenshot_dir:
        staff.screenshot(path=str(screenshot_dir / "booking-calendar.png"), full_page=True)
    card.get_by_role("button", name="Check in").click()
    expect(staff.locator(".flash")).to_contain_text("Lê Thị Thu is checked in.")
    card = staff.locator("article.booking-card").filter(has_text=reference)
    expect(card).to_have_attribute("data-state", "checked_in")
    expect(card.locator(".badge")).to_have_text("Checked in")
    expect(card.get_by_role("button", name="Check in")).to_have_count(0)
    expect_ok(staff, live_server)

    # The customer's booking says so too; its ticket is used up.
    page.goto(f"/bookings/{reference}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Checked in")
    expect(page.locator("img[data-booking-qr]")).to_have_count(0)
    assert not problems
    expect_ok(page, live_server)


def test_pay_a_deposit_by_transfer_staff_see_it_arrive_then_cancel_and_get_it_back(
        new_context, live_server, deposit_spa, screenshot_dir):
    """The same spa asks a ₫100,000 deposit by VietQR transfer: the booking is confirmed
    once staff see the money, and cancelling before the cut-off pays it back."""
    spa = deposit_spa
    problems: list[str] = []
    page = new_context(locale="en-US").new_page()
    watch(page, problems)
    log_in(page, spa.consumer)
    page.goto(f"/m/{spa.slug}/book/{spa.listing_slug}?store_id={spa.store_id}"
              f"&day={spa.day.isoformat()}")
    times = page.locator("#times")
    times.get_by_label("11:00–12:00").check()
    times.get_by_role("button", name="Hold this time").click()

    # Held: the page asks for the deposit with the shop's online ways to pay only.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your booking")
    pay = page.locator("form.pay-ahead")
    expect(pay.locator("legend")).to_have_text("Pay ₫100,000 now to book")
    expect(page.get_by_role("button", name="Confirm (pay at the store)")).to_have_count(0)
    expect(pay.get_by_label(re.compile("Pay at the store"))).to_have_count(0)
    expect(page.locator("[data-booking-price]")).to_contain_text(
        "₫100,000 paid now to book, the rest at the store")
    pay.get_by_label("Bank transfer (VietQR)").check()
    pay.get_by_role("button", name="Pay and book").click()

    # The order pays for the booking: the transfer's QR code and a way back to the booking.
    expect(page).to_have_url(re.compile(r"/orders/DH"))
    expect(page.locator("h1 .badge")).to_have_text("Waiting for payment")
    expect(page.locator("main")).to_contain_text("Appointment, paid ahead")
    expect(page.locator("[data-vietqr] [data-amount]")).to_have_text("₫100,000")
    back = page.locator("[data-booking-link]")
    reference = re.search(r"BK-[0-9A-Z]+", back.inner_text()).group(0)
    number = re.search(r"DH[0-9A-Z]+", page.get_by_role("heading", level=1).inner_text()
                       ).group(0)
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "booking-deposit-order.png"), full_page=True)
    expect_ok(page, live_server)

    # Staff see the transfer waiting with the others and confirm the money arrived.
    staff = new_context(locale="en-US").new_page()
    watch(staff, problems)
    log_in(staff, spa.owner)
    staff.goto(f"/dashboard/{spa.slug}/pickup/{spa.store_id}")
    staff.locator(".queue-awaiting").get_by_role("link", name=number).click()
    expect(staff.locator("main")).to_contain_text("Paid ahead for a booking")
    form = staff.locator("form.payment-form")
    form.get_by_label("Amount received").fill("100.000")
    form.get_by_role("button", name="Transfer received").click()
    expect(staff.locator("h1 .badge")).to_have_text("Confirmed")
    expect_ok(staff, live_server)

    # Delivered after the commit: the order's event confirms the booking, whose mail (queued
    # by that delivery, so sent by the next) says what is left to pay.
    with live_server.app.app_context():
        drain()
        db.session.remove()
    ((confirmation, calendar),) = calendar_mails(live_server, spa.consumer)
    assert confirmation["Subject"] == f"Booking {reference} is confirmed"
    assert "Paid ahead: ₫100,000. To pay at the store: ₫200,000." in \
        confirmation.get_body(("plain",)).get_content()
    assert the_event(calendar).decoded("dtstart") == at(spa.day, 11)
    page.reload()
    page.locator("a[data-booking-link]").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirmed")
    expect(page.locator("[data-booking-price]")).to_contain_text(
        "₫100,000 paid ahead, ₫200,000 at the store")
    expect(page.locator("img[data-booking-qr]")).to_be_visible()
    expect(page.locator("#cancel")).to_contain_text(
        "After that, the shop keeps what you paid ahead.")

    # Two days ahead is before the cut-off: cancelling pays the deposit back.
    page.locator("#cancel").get_by_role("button", name="Cancel this booking").click()
    expect(page.locator(".flash")).to_contain_text(f"Your booking {reference} is cancelled.")
    page.goto(f"/orders/{number}")
    expect(page.locator("h1 .badge")).to_have_text("Cancelled")
    expect(page.locator("main")).to_contain_text("Refund ₫100,000 — paid back by the shop")
    assert not problems
    expect_ok(page, live_server)
