"""The merchant's page of the local courier: ``/dashboard/<merchant>/local-courier/``.

For members who handle orders, at a merchant that enabled the plugin (anyone else: 404, as
the core dashboard does). It lists the local courier's parcels still under way that the
member may see (a member limited to some stores sees theirs), each with a choice of rider
(members who handle orders at the parcel's store) and a way to take it back; it says what is
wrong with the merchant's settings, if anything (the platform cannot refuse them when they
are saved yet), and shows the riders' latest proof-of-delivery photos.

Parcels are read through the merchant's scope and the member's stores
(``marketplace.web.shipment_view``), so another merchant's parcel is 404 before anything
else; a rider who is not one of the parcel's possible riders is refused (422).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.database import get_scoped
from marketplace.delivery import shipments
from marketplace.delivery.models import Shipment
from marketplace.delivery.states import FINAL_STATES
from marketplace.errors import MarketplaceError, NotFound
from marketplace.extensions import db
from marketplace.merchants.roles import Permission
from marketplace.merchants.services import require
from marketplace.outbox.services import notify
from marketplace.plugins.manager import current_platform
from marketplace.web import shipment_view as view
from marketplace.web.dashboard import fill_merchant_slug, layout_context, load_member

from . import settings
from .carrier import IDENTIFIER
from .models import DeliveryPhoto
from .photos import send_photo
from .riders import by_promise

PHOTOS_SHOWN = 30

dashboard = Blueprint("dashboard", __name__,
                      url_prefix="/dashboard/<merchant_slug>/local-courier")
dashboard.context_processor(layout_context)


@dashboard.url_value_preprocessor
def _take_merchant_slug(endpoint, values) -> None:
    g.local_courier_merchant_slug = (values or {}).pop("merchant_slug", None)


dashboard.url_defaults(fill_merchant_slug)


@dashboard.before_request
def _load_merchant():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    merchant, membership = load_member(g.pop("local_courier_merchant_slug", None))
    if settings.NAME not in current_platform().active_plugin_names(merchant):
        abort(404)
    require(membership, Permission.HANDLE_ORDERS)
    get_locale()  # settled now: an error after a failed flush is translated without a query
    return None


def _courier_shipment(shipment_id) -> Shipment:
    """One of the local courier's parcels the member may see; any other is 404."""
    shipment = view.member_shipment(g.membership, shipment_id)
    if shipment.carrier != IDENTIFIER:
        raise NotFound("shipment")
    return shipment


def _open_shipments() -> list[Shipment]:
    stmt = view.member_shipments(g.membership, carrier=IDENTIFIER).where(
        Shipment.state.notin_([str(s) for s in FINAL_STATES]))
    return sorted(db.session.scalars(stmt), key=by_promise)


def _recent_photos() -> list[DeliveryPhoto]:
    rows = db.session.scalars(sa.select(DeliveryPhoto).where(
        DeliveryPhoto.merchant_id == g.merchant.id).order_by(DeliveryPhoto.id.desc())
        .limit(PHOTOS_SHOWN))
    return [p for p in rows if g.membership.can_access_store(p.shipment.store_id)]


def _page(*, status=200, failed=None, message=None, errors=None):
    problem = settings.problem(g.merchant)
    labels = {s.key: s.label for s in settings.SETTINGS}
    return render_template(
        "delivery_local_courier/dashboard.html", shipments=_open_shipments(),
        riders=view.riders, photos=_recent_photos(), problem=problem, labels=labels,
        failed=failed, message=message, errors=errors or {}), status


@dashboard.get("/")
def index():
    return _page()


@dashboard.post("/shipments/<int:shipment_id>/rider")
def assign(shipment_id: int):
    shipment = _courier_shipment(shipment_id)
    chosen = request.form.get("courier_user_id")
    try:
        shipments.assign_courier(shipment, view.rider_id(chosen))
        db.session.commit()
    except MarketplaceError as exc:
        db.session.rollback()
        return _page(status=exc.status, failed=shipment_id, message=exc.message,
                     errors=exc.fields)
    notify()
    flash(_("Rider assigned.") if (chosen or "").strip() else _("Rider unassigned."),
          "success")
    return redirect(url_for(".index", _anchor=f"shipment-{shipment_id}"), code=303)


@dashboard.get("/photos/<int:photo_id>")
def photo(photo_id: int):
    found = get_scoped(DeliveryPhoto, g.merchant.id, photo_id)
    _courier_shipment(found.shipment_id)  # a store the member may not see: 404
    return send_photo(found)
