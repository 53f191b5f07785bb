"""Dashboard: how each service is booked, the staff and rooms of each store, staff working
hours and blocks of time off. Everything here needs the right to manage stores."""

from __future__ import annotations

from babel.dates import get_day_names
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from marketplace.catalog.models import Listing
from marketplace.catalog.states import ListingKind, ListingStatus
from marketplace.database import get_scoped, scoped, utcnow
from marketplace.errors import MarketplaceError, NotFound
from marketplace.extensions import db
from marketplace.merchants.models import Membership
from marketplace.merchants.roles import Permission
from marketplace.merchants.services import require
from marketplace.stores.services import accessible_stores, get_accessible_store
from marketplace.web.dashboard import requires
from marketplace.web.forms import checkbox
from marketplace.web.hours_form import (
    BLANK_HOUR_ROWS,
    service_rows,
    typed_weekly,
    weekly_field_errors,
    weekly_rows,
)

from . import setup
from .models import Block, Resource, ServiceSetup
from .pages import parse_local
from .views_dashboard import dashboard, member_resource, member_store, no_stores

MANAGE = Permission.MANAGE_STORES
SERVICE_FLAGS = ("needs_staff", "needs_resource", "is_active")


# --- services ---------------------------------------------------------------------------------

def _setups() -> dict[int, ServiceSetup]:
    return {s.listing_id: s for s in db.session.scalars(scoped(ServiceSetup, g.merchant.id))}


@dashboard.get("/services")
@requires(MANAGE)
def services():
    listings = db.session.scalars(
        scoped(Listing, g.merchant.id).where(Listing.kind == ListingKind.SERVICE,
                                             Listing.status != ListingStatus.ARCHIVED)
        .order_by(Listing.title, Listing.id)).all()
    return render_template("booking_appointments/dashboard_services.html", listings=listings,
                           setups=_setups())


def _service_listing(listing_id: int) -> Listing:
    """One of the merchant's listings (else 404), then the right to set it up (else 403)."""
    listing = get_scoped(Listing, g.merchant.id, listing_id)
    require(g.membership, MANAGE)
    return listing


def _service_values(found: ServiceSetup | None) -> dict:
    values = {name: getattr(found, name) if found else default
              for name, _low, _high, default in setup.SERVICE_NUMBERS}
    values.update({name: getattr(found, name) if found else name != "needs_resource"
                   for name in SERVICE_FLAGS})
    values["store_ids"] = [s.id for s in found.stores] if found else []
    values["payment"] = found.payment if found else setup.AT_STORE
    values["deposit_amount"] = found.deposit_amount if found else None
    return values


def _typed_service() -> dict:
    data = {name: request.form.get(name, "") for name, *_rest in setup.SERVICE_NUMBERS
            if name in request.form}
    data.update({name: checkbox(name) for name in SERVICE_FLAGS})
    if "payment" in request.form:
        data["payment"] = request.form["payment"]
    if data.get("payment") == setup.DEPOSIT or request.form.get("deposit_amount"):
        data["deposit_amount"] = request.form.get("deposit_amount", "")
    # A store id the member cannot see is 404 here, as in a URL; the service keeps the
    # stores they cannot see (``setup.configure_service``).
    data["store_ids"] = [get_accessible_store(g.membership, i).id
                         for i in request.form.getlist("store_ids")]
    return data


@dashboard.route("/services/<int:listing_id>", methods=["GET", "POST"])
def service(listing_id: int):
    listing = _service_listing(listing_id)
    found = setup.setup_of(listing)
    values, errors, message, status = _service_values(found), {}, None, 200
    if request.method == "POST":
        typed = _typed_service()  # another merchant's store: 404, as in the URL
        try:
            setup.configure_service(listing, typed, membership=g.membership)
        except MarketplaceError as exc:
            db.session.rollback()
            errors, message, status = exc.fields, exc.message, exc.status
            values = {**values, **typed}
        else:
            db.session.commit()
            flash(_("The booking settings of %(title)s are saved.", title=listing.title),
                  "success")
            return redirect(url_for(".service", listing_id=listing.id), code=303)
    return render_template(
        "booking_appointments/dashboard_service.html", listing=listing, setup_row=found,
        values=values, errors=errors, message=message, stores=accessible_stores(g.membership),
        numbers=setup.SERVICE_NUMBERS), status


# --- staff, rooms and tables ------------------------------------------------------------------

@dashboard.get("/resources")
@requires(MANAGE)
def resources_index():
    stores = accessible_stores(g.membership)
    if not stores:
        return no_stores()
    return redirect(url_for(".resources", store_id=stores[0].id))


def _team() -> list[tuple[int, str]]:
    members = db.session.scalars(scoped(Membership, g.merchant.id)).all()
    return sorted(((m.user_id, m.user.full_name) for m in members), key=lambda p: p[1])


def _resource_form_context() -> dict:
    return {"team": _team(), "service_setups": sorted(
        db.session.scalars(scoped(ServiceSetup, g.merchant.id)),
        key=lambda s: s.listing.title)}


def _typed_resource(*, creating: bool) -> dict:
    data = {name: request.form.get(name, "") for name in ("name", "capacity", "user_id")
            if name in request.form}
    data["service_ids"] = request.form.getlist("service_ids")
    if creating:
        data["kind"] = request.form.get("kind", "")
    else:
        data["is_active"] = checkbox("is_active")
    return data


def _resources_page(store, *, values=None, errors=None, message=None, status=200):
    rows = db.session.scalars(
        scoped(Resource, g.merchant.id).where(Resource.store_id == store.id)
        .order_by(Resource.kind != "staff", Resource.kind, Resource.name)).all()
    return render_template(
        "booking_appointments/dashboard_resources.html", store=store, resources=rows,
        stores=accessible_stores(g.membership),
        values=values or {"kind": "staff", "capacity": 1, "service_ids": []},
        errors=errors or {}, message=message, **_resource_form_context()), status


@dashboard.route("/stores/<int:store_id>/resources", methods=["GET", "POST"])
def resources(store_id: int):
    store = member_store(store_id, MANAGE)
    if request.method == "GET":
        return _resources_page(store)
    values = _typed_resource(creating=True)
    try:
        created = setup.create_resource(g.merchant.id, {**values, "store_id": store.id})
    except MarketplaceError as exc:
        db.session.rollback()
        return _resources_page(store, values=values, errors=exc.fields, message=exc.message,
                               status=exc.status)
    name, created_id = created.name, created.id
    db.session.commit()
    flash(_("%(name)s is added.", name=name), "success")
    return redirect(url_for(".resource", resource_id=created_id), code=303)


def _resource_page(resource: Resource, *, failed=None, values=None, weekly=None, block=None,
                   errors=None, message=None, status=200):
    blocks = db.session.scalars(
        scoped(Block, g.merchant.id).where(Block.resource_id == resource.id,
                                           Block.ends_at > utcnow())
        .order_by(Block.starts_at)).all()
    return render_template(
        "booking_appointments/dashboard_resource.html", resource=resource,
        store=resource.store, blocks=blocks, failed=failed, errors=errors or {},
        message=message, day_names=dict(get_day_names("wide", locale=get_locale())),
        blank_hour_rows=BLANK_HOUR_ROWS, weekly=weekly or weekly_rows(resource.hours),
        values=values or {"name": resource.name, "capacity": resource.capacity,
                          "user_id": resource.user_id, "is_active": resource.is_active,
                          "service_ids": [s.id for s in resource.services]},
        block=block or {"starts_at": "", "ends_at": "", "reason": ""},
        **_resource_form_context()), status


@dashboard.route("/resources/<int:resource_id>", methods=["GET", "POST"])
def resource(resource_id: int):
    found = member_resource(resource_id)
    if request.method == "GET":
        return _resource_page(found)
    values = _typed_resource(creating=False)
    try:
        setup.update_resource(found, values)
    except MarketplaceError as exc:
        db.session.rollback()
        return _resource_page(found, failed="resource",
                              values={**values, "service_ids": [
                                  int(i) for i in values["service_ids"] if i.isdigit()]},
                              errors=exc.fields, message=exc.message, status=exc.status)
    db.session.commit()
    flash(_("%(name)s is saved.", name=found.name), "success")
    return redirect(url_for(".resource", resource_id=resource_id), code=303)


@dashboard.post("/resources/<int:resource_id>/hours")
def resource_hours(resource_id: int):
    found = member_resource(resource_id)
    weekly = typed_weekly()
    rows, positions = service_rows(weekly)
    try:
        setup.set_working_hours(found, rows)
    except MarketplaceError as exc:
        db.session.rollback()
        return _resource_page(found, failed="hours", weekly=weekly,
                              errors=weekly_field_errors(exc.fields, positions),
                              message=exc.message, status=exc.status)
    db.session.commit()
    flash(_("The working hours are saved."), "success")
    return redirect(url_for(".resource", resource_id=resource_id) + "#hours", code=303)


@dashboard.post("/resources/<int:resource_id>/blocks")
def block_new(resource_id: int):
    found = member_resource(resource_id)
    typed = {name: request.form.get(name, "") for name in ("starts_at", "ends_at", "reason")}
    try:
        setup.add_block(found, parse_local(found.store, typed["starts_at"], "starts_at"),
                        parse_local(found.store, typed["ends_at"], "ends_at"),
                        reason=typed["reason"], actor_id=g.membership.user_id)
    except MarketplaceError as exc:
        db.session.rollback()
        return _resource_page(found, failed="block", block=typed,
                              errors=exc.fields, message=exc.message, status=exc.status)
    db.session.commit()
    flash(_("The time is blocked."), "success")
    return redirect(url_for(".resource", resource_id=resource_id) + "#blocks", code=303)


@dashboard.post("/resources/<int:resource_id>/blocks/<int:block_id>/remove")
def block_remove(resource_id: int, block_id: int):
    found = member_resource(resource_id)
    block = get_scoped(Block, g.merchant.id, block_id)
    if block.resource_id != found.id:  # another resource's block: not under this URL
        raise NotFound("block")
    setup.remove_block(block)
    db.session.commit()
    flash(_("The block is removed: the time can be booked again."), "success")
    return redirect(url_for(".resource", resource_id=resource_id) + "#blocks", code=303)
