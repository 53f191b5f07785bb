"""Dashboard: the merchant's stores, their weekly opening hours and dated exceptions.

Every URL with a ``store_id`` loads the store through ``get_accessible_store`` first, so
another merchant's store, or one a store-limited member is not assigned to, is 404 before the
role (403) or the input (422) is looked at.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from zoneinfo import available_timezones

from babel.dates import get_day_names
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ...catalog.queries import opening_status
from ...database import scoped, utcnow
from ...errors import MarketplaceError
from ...extensions import db
from ...merchants.roles import Permission
from ...merchants.services import require
from ...stores import services as stores
from ...stores.hours import interval_from_json
from ...stores.models import Store
from ..forms import checkbox
from ..hours_form import (
    BLANK_HOUR_ROWS,
    form_field_errors,
    service_rows,
    typed_weekly,
    weekly_field_errors,
    weekly_rows,
)
from . import bp, requires

STORE_TEXT_FIELDS = ("name", "slug", "address_line", "ward", "district", "city", "country_code",
                     "latitude", "longitude", "phone", "timezone", "pickup_lead_minutes",
                     "pickup_slot_minutes", "pickup_orders_per_slot", "pickup_grace_minutes",
                     "reserve_hold_hours")
STORE_CHECKBOXES = ("is_active", "pickup_enabled", "reserve_enabled")
# Empty rows offered in the exception form for browsers without JS.
EXCEPTION_ROWS = 3
# How far ahead the store page lists dated exceptions.
EXCEPTION_DAYS = 366


@cache
def timezone_names() -> list[str]:
    # "localtime" and "Factory" are artefacts of the tz database, not places.
    return sorted(available_timezones() - {"localtime", "Factory"})


def day_names() -> dict[int, str]:
    """Monday (0) … Sunday (6) in the page's language."""
    return dict(get_day_names("wide", locale=get_locale()))


def status_text(status) -> str:
    """"Open now · closes 22:00" / "Closed · opens Monday 08:00", in the store's time zone."""
    if status.is_open:
        if status.closes_at is None:
            return _("Open now · around the clock")
        return _("Open now · closes %(time)s", time=status.closes_at.strftime("%H:%M"))
    if status.next_opening is None:
        return _("Closed")
    if status.opens_today:
        day = _("today")
    elif status.opens_tomorrow:
        day = _("tomorrow")
    else:
        day = day_names()[status.next_opening.weekday()]
    return _("Closed · opens %(day)s %(time)s", day=day,
             time=status.next_opening.strftime("%H:%M"))


# --- forms -------------------------------------------------------------------------------------

def _new_store_values() -> dict:
    columns = Store.__table__.c
    return {"country_code": current_app.config["DEFAULT_COUNTRY"],
            "timezone": current_app.config["DEFAULT_TIMEZONE"], "is_active": True,
            "pickup_enabled": False, "reserve_enabled": False,
            **{name: columns[name].default.arg for name in
               ("pickup_lead_minutes", "pickup_slot_minutes", "pickup_orders_per_slot",
                "pickup_grace_minutes", "reserve_hold_hours")}}


def _store_values(store: Store) -> dict:
    return {name: getattr(store, name) for name in STORE_TEXT_FIELDS + STORE_CHECKBOXES}


def _typed_store() -> dict:
    """The store form as posted (fields it lacks stay as they are); checkboxes are sent as
    explicit True/False."""
    data = {name: request.form.get(name, "") for name in STORE_TEXT_FIELDS
            if name in request.form}
    data.update({name: checkbox(name) for name in STORE_CHECKBOXES})
    return data


def _typed_exception() -> tuple[dict, list[int]]:
    intervals, positions = [], []
    for index in range(EXCEPTION_ROWS):
        opens = request.form.get(f"intervals-{index}-opens", "").strip()
        closes = request.form.get(f"intervals-{index}-closes", "").strip()
        if opens or closes:
            intervals.append({"opens": opens, "closes": closes,
                              "overnight": checkbox(f"intervals-{index}-overnight")})
            positions.append(index)
    data = {"date": request.form.get("date", ""), "closed": request.form.get("closed") != "0",
            "intervals": intervals, "note": request.form.get("note", "")}
    return data, positions


def _typed_exception_rows() -> list[dict]:
    return [{"opens": request.form.get(f"intervals-{i}-opens", ""),
             "closes": request.form.get(f"intervals-{i}-closes", ""),
             "overnight": checkbox(f"intervals-{i}-overnight")} for i in range(EXCEPTION_ROWS)]


# --- pages -------------------------------------------------------------------------------------

def _store_page(store: Store, *, status: int = 200, failed: str | None = None,
                errors: dict | None = None, message=None, values: dict | None = None,
                weekly: dict | None = None, exception: dict | None = None):
    """The store page with its three forms; ``failed`` names the form whose errors to show
    (the others show what is stored)."""
    status_now = opening_status(store)
    today = status_now.local_now.date()
    horizon = today + timedelta(days=EXCEPTION_DAYS)
    upcoming = [(e, [interval_from_json(i) for i in e.intervals])
                for e in store.exceptions if today <= e.date <= horizon]
    blank_rows = [{"opens": "", "closes": "", "overnight": False}] * EXCEPTION_ROWS
    return render_template(
        "dashboard/stores/store.html", store=store, status=status_now,
        status_text=status_text, day_names=day_names(), timezones=timezone_names(),
        values=values or _store_values(store), weekly=weekly or weekly_rows(store.hours),
        blank_hour_rows=BLANK_HOUR_ROWS, upcoming=upcoming,
        exception=exception or {"date": "", "closed": True, "note": "", "rows": blank_rows},
        failed=failed, errors=errors or {}, message=message), status


@bp.get("/<merchant_slug>/stores", endpoint="stores")
@requires(Permission.VIEW)
def stores_list(merchant_slug: str):
    found = stores.accessible_stores(g.membership)
    if found:
        # "Open now" reads every store's hours and exceptions: load them in two queries.
        db.session.scalars(
            scoped(Store, g.merchant.id).where(Store.id.in_([s.id for s in found]))
            .options(selectinload(Store.hours), selectinload(Store.exceptions))).all()
    now = utcnow()
    return render_template("dashboard/stores/list.html", stores=found,
                           statuses={s.id: opening_status(s, now) for s in found},
                           status_text=status_text)


@bp.route("/<merchant_slug>/stores/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_STORES)
def store_new(merchant_slug: str):
    if request.method == "POST":
        values = _typed_store()
        try:
            store = stores.create_store(g.merchant, values,
                                        default_timezone=current_app.config["DEFAULT_TIMEZONE"])
        except MarketplaceError as exc:
            db.session.rollback()
            return render_template("dashboard/stores/new.html", values=values,
                                   timezones=timezone_names(), errors=exc.fields,
                                   message=exc.message), exc.status
        store_id, name = store.id, store.name
        db.session.commit()
        flash(_("Store “%(name)s” was created. Now set its opening hours.", name=name),
              "success")
        # A member limited to some stores may create one they are not assigned to.
        if g.membership.can_access_store(store_id):
            return redirect(url_for("dashboard.store", store_id=store_id), code=303)
        return redirect(url_for("dashboard.stores"), code=303)
    return render_template("dashboard/stores/new.html", values=_new_store_values(),
                           timezones=timezone_names(), errors={}, message=None)


@bp.route("/<merchant_slug>/stores/<int:store_id>", methods=["GET", "POST"])
def store(merchant_slug: str, store_id: int):
    store = stores.get_accessible_store(g.membership, store_id)
    if request.method == "GET":
        require(g.membership, Permission.VIEW, store_id=store.id)
        return _store_page(store)
    require(g.membership, Permission.MANAGE_STORES, store_id=store.id)
    values = _typed_store()
    try:
        stores.update_store(store, values)
    except MarketplaceError as exc:
        db.session.rollback()
        return _store_page(store, status=exc.status, failed="store", errors=exc.fields,
                           message=exc.message, values=values)
    db.session.commit()
    flash(_("The store was saved."), "success")
    return redirect(url_for("dashboard.store", store_id=store.id), code=303)


@bp.post("/<merchant_slug>/stores/<int:store_id>/hours")
def store_hours(merchant_slug: str, store_id: int):
    store = stores.get_accessible_store(g.membership, store_id)
    require(g.membership, Permission.MANAGE_STORES, store_id=store.id)
    weekly = typed_weekly()
    rows, positions = service_rows(weekly)
    try:
        stores.set_opening_hours(store, rows)
    except MarketplaceError as exc:
        db.session.rollback()
        errors = weekly_field_errors(exc.fields, positions)
        return _store_page(store, status=exc.status, failed="hours", errors=errors,
                           message=exc.message, weekly=weekly)
    db.session.commit()
    flash(_("The opening hours were saved."), "success")
    return redirect(url_for("dashboard.store", store_id=store.id, _anchor="hours"), code=303)


@bp.post("/<merchant_slug>/stores/<int:store_id>/exceptions")
def store_exception_new(merchant_slug: str, store_id: int):
    store = stores.get_accessible_store(g.membership, store_id)
    require(g.membership, Permission.MANAGE_STORES, store_id=store.id)
    data, positions = _typed_exception()
    try:
        stores.set_exception(store, data)
    except MarketplaceError as exc:
        db.session.rollback()
        errors = form_field_errors(exc.fields, positions,
                                    lambda pos, part: f"intervals-{pos}-{part}")
        typed = {"date": data["date"], "closed": data["closed"], "note": data["note"],
                 "rows": _typed_exception_rows()}
        return _store_page(store, status=exc.status, failed="exception", errors=errors,
                           message=exc.message, exception=typed)
    db.session.commit()
    flash(_("The special day was saved."), "success")
    return redirect(url_for("dashboard.store", store_id=store.id, _anchor="exceptions"),
                    code=303)


@bp.post("/<merchant_slug>/stores/<int:store_id>/exceptions/<int:exception_id>/delete")
def store_exception_delete(merchant_slug: str, store_id: int, exception_id: int):
    store = stores.get_accessible_store(g.membership, store_id)
    require(g.membership, Permission.MANAGE_STORES, store_id=store.id)
    try:
        stores.delete_exception(store, exception_id)
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        return _store_page(store, status=exc.status, failed="exception", errors={},
                           message=exc.message)
    db.session.commit()
    flash(_("The special day was removed."), "success")
    return redirect(url_for("dashboard.store", store_id=store.id, _anchor="exceptions"),
                    code=303)

