"""Dashboard: the booking calendar of a store (a day by staff member and room, or a week) and
what staff do from it: check in, complete, no-show, cancel, move. Needs the right to handle
orders and access to the booking's store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from marketplace.database import scoped, utcnow
from marketplace.errors import MarketplaceError
from marketplace.extensions import db
from marketplace.fulfilment.slots import local_today
from marketplace.merchants.roles import Permission
from marketplace.orders.audit import Actor
from marketplace.outbox.services import notify
from marketplace.states import events_from
from marketplace.stores.services import accessible_stores
from marketplace.validation import valid_int
from marketplace.web.dashboard import requires
from marketplace.web.forms import safe_next
from marketplace.web.shop import store_time

from . import booking as bookings
from . import queries
from .models import Booking, Resource, Session
from .pages import local_input, parse_day, parse_local, zone
from .states import BOOKING_TRANSITIONS, STAFF_EVENTS, BookingEvent, BookingState
from .views_dashboard import dashboard, member_store, no_stores, store_resource

HANDLE = Permission.HANDLE_ORDERS
VIEWS = ("day", "week")
ACTIONS = {"check_in": BookingEvent.CHECK_IN, "complete": BookingEvent.COMPLETE,
           "no_show": BookingEvent.NO_SHOW, "cancel": BookingEvent.CANCEL,
           "move": BookingEvent.RESCHEDULE}
DONE = {"check_in": _l("%(customer)s is checked in."),
        "complete": _l("The appointment of %(customer)s is completed."),
        "no_show": _l("%(customer)s is marked as a no-show."),
        "cancel": _l("The booking of %(customer)s is cancelled."),
        "move": _l("The booking of %(customer)s is moved to %(time)s.")}


@dashboard.get("/calendar")
@requires(HANDLE)
def calendar_index():
    stores = accessible_stores(g.membership)
    if not stores:
        return no_stores()
    return redirect(url_for(".calendar", store_id=stores[0].id))


def _bookings(store, first: date, days: int, staff: Resource | None) -> list[Booking]:
    """The days' bookings, less the holds that lapsed (they never took place)."""
    return [b for b in queries.calendar(store, first, days=days, resource=staff)
            if b.state != BookingState.EXPIRED]


def _day_columns(resources: list[Resource], found: list[Booking], staff: Resource | None):
    """One column per staff member, then rooms and tables for bookings without staff."""
    by_staff = [(r, [b for b in found if b.staff_id == r.id]) for r in resources if r.is_staff]
    by_room = [(r, [b for b in found if b.staff_id is None and b.resource_id == r.id])
               for r in resources if not r.is_staff]
    if staff is not None:
        return [(r, rows) for r, rows in by_staff + by_room if r.id == staff.id]
    return [(r, rows) for r, rows in by_staff if rows or r.is_active] + \
        [(r, rows) for r, rows in by_room if rows]


@dataclass
class SessionCard:
    """A group session on the calendar: shown once, with its attendees."""

    session: Session
    attendees: list[Booking] = field(default_factory=list)


def _cards(rows: list[Booking]) -> list[Booking | SessionCard]:
    """A column's bookings, those of one group session gathered where its first one is."""
    cards: list[Booking | SessionCard] = []
    sessions: dict[int, SessionCard] = {}
    for b in rows:
        if b.session_id is None:
            cards.append(b)
            continue
        if b.session_id not in sessions:
            sessions[b.session_id] = SessionCard(b.session)
            cards.append(sessions[b.session_id])
        sessions[b.session_id].attendees.append(b)
    return cards


def _actions(found: Booking) -> list[str]:
    allowed = set(events_from(BOOKING_TRANSITIONS, BookingState(found.state))) & STAFF_EVENTS
    return [name for name, event in ACTIONS.items() if event in allowed]


def _staff_for(found: list[Booking], store) -> dict[int, list[Resource]]:
    """Who may take each service here (the move form's choice)."""
    serving: dict[int, list[Resource]] = {}
    for b in found:
        if b.service_id not in serving:  # a group session's instructor is not chosen
            serving[b.service_id] = [] if b.service.is_group else [
                r for r in bookings.setup_resources(b.service, store)
                if r.is_staff and r.is_active]
    return serving


def calendar_page(store, day: date | None = None, view: str = "day",
                  staff: Resource | None = None, *, message=None, failed: int | None = None,
                  failed_action: str | None = None, status: int = 200):
    today = local_today(store, utcnow())
    day = day or today
    view = view if view in VIEWS else "day"
    first = day - timedelta(days=day.weekday()) if view == "week" else day
    days = 7 if view == "week" else 1
    found = _bookings(store, first, days, staff)
    resources = db.session.scalars(
        scoped(Resource, g.merchant.id).where(Resource.store_id == store.id)
        .order_by(Resource.kind != "staff", Resource.name)).all()
    tz = zone(store)
    week = [(first + timedelta(days=n), _cards(
             [b for b in found if b.starts_at.astimezone(tz).date() == first + timedelta(days=n)]))
            for n in range(days)] if view == "week" else []
    mine = next((r for r in resources if r.user_id == current_user.id and r.is_staff), None)
    return render_template(
        "booking_appointments/dashboard_calendar.html", store=store, day=day, today=today,
        view=view, staff=staff, first=first, earlier=first - timedelta(days=days),
        later=first + timedelta(days=days), week=week,
        columns=[(r, _cards(rows)) for r, rows in _day_columns(resources, found, staff)]
        if view == "day" else [],
        staff_choices=[r for r in resources if r.is_staff], mine=mine,
        stores=accessible_stores(g.membership), actions=_actions,
        serving=_staff_for(found, store), local_input=local_input, message=message,
        failed=failed, failed_action=failed_action, values=request.form,
        here=request.full_path if request.method == "GET" else request.form.get("next"),
        ), status


@dashboard.get("/calendar/<int:store_id>")
def calendar(store_id: int):
    store = member_store(store_id, HANDLE)
    staff = store_resource(store, request.args.get("staff"))
    message, day = None, None
    if request.args.get("day"):
        try:
            day = parse_day(request.args["day"])
        except MarketplaceError as exc:
            message = exc.message
    return calendar_page(store, day, request.args.get("view", "day"), staff, message=message,
                         status=422 if message else 200)


def _act(found: Booking, action: str, actor: Actor) -> None:
    if action != "move":
        bookings.staff_event(found, action, actor=actor, reason=request.form.get("reason"))
    else:
        start = parse_local(found.store, request.form.get("starts_at"), "starts_at")
        staff_id = request.form.get("staff_id") or None
        bookings.reschedule(found, start, actor=actor, by_customer=False,
                            staff_id=valid_int(staff_id, "staff_id", minimum=1)
                            if staff_id else None)


@dashboard.post("/<int:booking_id>/<any(check_in, complete, no_show, cancel, move):action>")
def booking_action(booking_id: int, action: str):
    found = bookings.get_booking(g.merchant.id, booking_id)
    store = member_store(found.store_id, HANDLE)
    customer = found.customer.full_name
    try:
        _act(found, action, Actor.staff(current_user))
    except MarketplaceError as exc:
        db.session.rollback()
        found = bookings.get_booking(g.merchant.id, booking_id)
        day = found.starts_at.astimezone(zone(store)).date()
        return calendar_page(store, day, request.form.get("view", "day"),
                             store_resource(store, request.form.get("staff_filter")),
                             message=exc.message, failed=found.id, failed_action=action,
                             status=exc.status)
    when = store_time(store, found.starts_at, "EEE d MMM HH:mm")
    db.session.commit()
    notify()
    flash(str(DONE[action]) % {"customer": customer, "time": when}, "success")
    back = url_for(".calendar", store_id=store.id,
                   day=found.starts_at.astimezone(zone(store)).date().isoformat())
    return redirect(safe_next(request.form.get("next"), back), code=303)
