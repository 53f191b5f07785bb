"""Storefront: book a service (store → day → a free time, a person or anyone, the party),
confirm the held time, the booking with its QR ticket, and the customer's bookings with
cancel and reschedule.

The booking pages of a merchant exist only while it runs the plugin. A customer's booking is
found by its reference among their own bookings: anyone else's is 404.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from marketplace.catalog import queries
from marketplace.catalog.states import ListingKind
from marketplace.database import utcnow
from marketplace.errors import MarketplaceError, NotFound
from marketplace.extensions import db
from marketplace.fulfilment.options import parse_position
from marketplace.orders.audit import Actor
from marketplace.outbox.services import notify
from marketplace.redemption import human
from marketplace.redemption import services as redemption
from marketplace.theming import render_storefront
from marketplace.validation import valid_int
from marketplace.web.shop import store_time

from . import booking as bookings
from . import prepay
from . import queries as booking_queries
from .models import Booking, ServiceSetup
from .pages import enabled_for, parse_day, parse_instant, parse_local_parts, zone
from .setup import setup_of
from .states import BookingState

S = BookingState
DAYS_SHOWN = 7
MY_BOOKINGS_SHOWN = 100

shop = Blueprint("shop", __name__)


# --- finding things ---------------------------------------------------------------------------

def _service(merchant_slug: str, listing_slug: str):
    merchant = queries.public_merchant(merchant_slug)
    if not enabled_for(merchant):
        raise NotFound("merchant")
    listing = queries.public_listing(merchant, listing_slug)
    setup = bookable(listing)
    if setup is None:
        raise NotFound("listing")
    return merchant, listing, setup


def bookable(listing) -> ServiceSetup | None:
    """The listing's booking setup if it can be booked now at one store at least."""
    if listing is None or listing.kind != ListingKind.SERVICE or not listing.duration_minutes:
        return None
    setup = setup_of(listing)
    if setup is None or not setup.is_active or not any(s.is_active for s in setup.stores):
        return None
    return setup


def book_link(merchant, listing) -> Markup | None:
    """The "Book" button under a bookable service's price (the ``listing.after_price`` slot)."""
    if merchant is None or bookable(listing) is None:
        return None
    url = url_for("booking_appointments.shop.book", merchant_slug=merchant.slug,
                  listing_slug=listing.slug)
    return Markup('<p><a href="{}" role="button" data-book>{}</a></p>').format(
        url, _("Book an appointment"))


def booking_link(order) -> Markup | None:
    """On the page of an order paying ahead for a booking: the way back to the booking."""
    if order is None or order.fulfilment != "appointment":
        return None
    found = db.session.scalars(sa.select(Booking).where(Booking.order_id == order.id)).first()
    if found is None:
        return None
    url = url_for("booking_appointments.shop.booking", reference=found.reference)
    return Markup('<p><a href="{}" data-booking-link>{}</a></p>').format(
        url, _("Your booking %(reference)s", reference=found.reference))


def _customer_booking(reference: str) -> Booking:
    return booking_queries.customer_booking(current_user, reference, while_running=False)


def _int_arg(value, field: str, default=None):
    return valid_int(value, field, minimum=1) if value not in (None, "") else default


# --- choosing a time --------------------------------------------------------------------------

def _position(source) -> tuple[float, float] | None:
    """Where the customer is, if their browser shared it ("Nearest stores to me")."""
    try:
        return parse_position(source.get("lat"), source.get("lng"))
    except MarketplaceError:
        return None  # a mangled position only loses the ordering


def _store_choice(setup, source) -> dict:
    """The stores offering the service (nearest first when the customer's position is
    known) and the one asked for (404 for any other)."""
    ranked = bookings.stores_offering(setup, _position(source))
    stores = [store for store, _km in ranked]
    store_id = _int_arg(source.get("store_id"), "store_id")
    store = next((s for s in stores if s.id == store_id), None)
    if store_id is not None and store is None:
        raise NotFound("store")
    if store is None and len(stores) == 1:
        store = stores[0]
    today = utcnow().astimezone(zone(store)).date() if store else None
    return {"stores": stores, "store": store, "today": today, "day": today, "staff_id": None,
            "party": setup.party_min,
            "distances": {s.id: km * 1000 for s, km in ranked if km is not None}}


def _choose(choice: dict, source) -> dict:
    """Day, person and party as asked (query string or form); bad values raise."""
    if source.get("day"):
        choice["day"] = parse_day(source["day"])
    choice["staff_id"] = _int_arg(source.get("staff_id"), "staff_id")
    choice["party"] = _int_arg(source.get("party"), "party", choice["party"])
    return choice


def _book_page(merchant, listing, setup, source, *, message=None, errors=None, status=200):
    choice, slots, staff = _store_choice(setup, source), [], []
    store, today = choice["store"], choice["today"]
    if store is not None:
        # A group session comes with its instructor: nobody chooses one.
        staff = [r for r in bookings.setup_resources(setup, store)
                 if r.is_staff and r.is_active] if setup.needs_staff and not setup.is_group \
            else []
        try:
            _choose(choice, source)
            slots = bookings.day_slots(setup, store, choice["day"], staff_id=choice["staff_id"],
                                       party=choice["party"])
        except MarketplaceError as exc:
            if not message:
                message, errors, status = exc.message, exc.fields, exc.status
    last = today + timedelta(days=setup.horizon_days) if today else None
    days = [today + timedelta(days=n) for n in range(min(DAYS_SHOWN, setup.horizon_days + 1))] \
        if today else []
    return render_storefront(
        "booking_appointments/book.html", merchant=merchant, listing=listing, setup=setup,
        choice=choice, store=store, days=days, last_day=last, slots=slots, staff=staff,
        message=message, errors=errors or {}), status


@shop.get("/m/<merchant_slug>/book/<listing_slug>")
def book(merchant_slug: str, listing_slug: str):
    merchant, listing, setup = _service(merchant_slug, listing_slug)
    return _book_page(merchant, listing, setup, request.args)


@shop.post("/m/<merchant_slug>/book/<listing_slug>")
def hold(merchant_slug: str, listing_slug: str):
    merchant, listing, setup = _service(merchant_slug, listing_slug)
    if not current_user.is_authenticated:
        back = url_for(".book", merchant_slug=merchant_slug, listing_slug=listing_slug,
                       **{k: v for k, v in request.form.items()
                          if k in ("store_id", "day", "staff_id", "party")})
        return redirect(url_for("auth.login", next=back), code=303)
    choice = _store_choice(setup, request.form)
    if choice["store"] is None:
        raise NotFound("store")
    try:
        _choose(choice, request.form)
        held = bookings.hold(setup, choice["store"], parse_instant(request.form.get("start")),
                             customer=current_user, party=choice["party"],
                             staff_id=choice["staff_id"], note=request.form.get("note"))
    except MarketplaceError as exc:
        db.session.rollback()
        merchant, listing, setup = _service(merchant_slug, listing_slug)
        return _book_page(merchant, listing, setup, request.form, message=exc.message,
                          errors=exc.fields, status=exc.status)
    reference = held.reference
    db.session.commit()
    notify()
    return redirect(url_for(".booking", reference=reference), code=303)


# --- one booking ------------------------------------------------------------------------------

def _booking_page(found: Booking, *, message=None, errors=None, failed=None, status=200):
    store, ticket, slots, day = found.store, None, [], None
    now = utcnow()
    if found.state in (S.CONFIRMED, S.CHECKED_IN):
        ticket = redemption.current(bookings.CODE_KIND, found.id)
    if found.state == S.CONFIRMED and found.starts_at > now:
        day = found.starts_at.astimezone(zone(store)).date()  # moves are mostly that day
        try:
            if request.args.get("day"):
                day = parse_day(request.args["day"])
            slots = bookings.day_slots(found.service, store, day, party=found.party_size,
                                       staff_id=found.staff_id if found.staff_requested
                                       else None)
        except MarketplaceError as exc:
            message = message or exc.message
    left, due_ahead, ways, pay_url = None, 0, [], None
    if found.state == S.HELD and found.hold_expires_at is not None:
        left = max(0, int((found.hold_expires_at - now).total_seconds() // 60))
    if found.state == S.HELD:
        due_ahead = prepay.due_ahead(found.service, found.price)
        ways = prepay.ways_to_pay(found) if due_ahead else []
        if found.order is not None and found.order.state == "pending_payment":
            pay_url = prepay.pay_url(found.order)
    return render_storefront(
        "booking_appointments/booking.html", merchant=found.service.listing.merchant,
        booking=found, store=store, listing=found.service.listing, ticket=ticket,
        human_code=human.display(redemption.human_code(ticket)) if ticket else None,
        minutes_left=left, slots=slots, day=day, message=message, errors=errors or {},
        failed=failed, due_ahead=due_ahead, ways_to_pay=ways, pay_url=pay_url,
        cancel_until=bookings.cancel_until(found),
        change_until=bookings.change_until(found)), status


@shop.get("/bookings/<reference>")
@login_required
def booking(reference: str):
    return _booking_page(_customer_booking(reference))


@shop.post("/bookings/<reference>/confirm")
@login_required
def confirm(reference: str):
    found = _customer_booking(reference)
    try:
        bookings.confirm(found, customer=current_user)
    except MarketplaceError as exc:
        db.session.rollback()
        return _booking_page(_customer_booking(reference), message=exc.message,
                             failed="confirm", status=exc.status)
    db.session.commit()
    notify()
    flash(_("Your booking is confirmed. Show the QR code at the store when you arrive."),
          "success")
    return redirect(url_for(".booking", reference=reference), code=303)


@shop.post("/bookings/<reference>/pay")
@login_required
def pay(reference: str):
    """Pay ahead with the chosen way: to the provider's page (a card) or the order's (a
    transfer's QR code); paid, the booking confirms itself."""
    found = _customer_booking(reference)
    try:
        order = prepay.start(bookings.lock(found), request.form.get("payment_provider"),
                             customer=current_user, now=utcnow())
    except MarketplaceError as exc:
        db.session.rollback()
        return _booking_page(_customer_booking(reference), message=exc.message,
                             errors=exc.fields, failed="pay", status=exc.status)
    db.session.commit()
    notify()
    return redirect(prepay.pay_url(order), code=303)


def _after_change(reference: str, exc: MarketplaceError, action: str):
    """Show the refusal on the page the form was on (the list or the booking)."""
    db.session.rollback()
    if request.form.get("back") == "list":
        return _my_bookings_page(message=exc.message, failed=(reference, action),
                                 status=exc.status)
    return _booking_page(_customer_booking(reference), message=exc.message,
                         errors=exc.fields, failed=action, status=exc.status)


@shop.post("/bookings/<reference>/cancel")
@login_required
def cancel(reference: str):
    found = _customer_booking(reference)
    try:
        bookings.cancel(found, actor=Actor.customer(current_user), by_customer=True,
                        reason=request.form.get("reason"),
                        forfeit=request.form.get("forfeit") == "1")
    except MarketplaceError as exc:
        return _after_change(reference, exc, "cancel")
    db.session.commit()
    notify()
    flash(_("Your booking %(reference)s is cancelled.", reference=reference), "success")
    return redirect(url_for(".my_bookings"), code=303)


@shop.post("/bookings/<reference>/reschedule")
@login_required
def reschedule(reference: str):
    found = _customer_booking(reference)
    try:
        start = parse_instant(request.form["start"]) if request.form.get("start") else \
            parse_local_parts(found.store, request.form.get("day"), request.form.get("time"),
                              "start")
        bookings.reschedule(found, start, actor=Actor.customer(current_user),
                            by_customer=True)
    except MarketplaceError as exc:
        return _after_change(reference, exc, "reschedule")
    when = store_time(found.store, found.starts_at, "EEEE d MMMM, HH:mm")
    db.session.commit()
    notify()
    flash(_("Your booking is moved to %(time)s.", time=when), "success")
    return redirect(url_for(".booking", reference=reference), code=303)


# --- my bookings ------------------------------------------------------------------------------

def _my_bookings_page(*, message=None, failed=None, status=200):
    found = db.session.scalars(
        sa.select(Booking).where(Booking.customer_id == current_user.id,
                                 Booking.state != S.EXPIRED)
        .options(selectinload(Booking.store), selectinload(Booking.staff),
                 selectinload(Booking.service).selectinload(ServiceSetup.listing))
        .order_by(Booking.starts_at.desc(), Booking.id.desc()).limit(MY_BOOKINGS_SHOWN)).all()
    now = utcnow()
    return render_storefront(
        "booking_appointments/my_bookings.html",
        upcoming=sorted((b for b in found if b.ends_at > now and b.state in
                         (S.HELD, S.CONFIRMED, S.CHECKED_IN)), key=lambda b: b.starts_at),
        past=[b for b in found if not (b.ends_at > now and b.state in
                                       (S.HELD, S.CONFIRMED, S.CHECKED_IN))],
        now=now, message=message, failed=failed), status


@shop.get("/bookings")
@login_required
def my_bookings():
    return _my_bookings_page()
