"""Dashboard: the merchant's deliveries. A list (by state, store, carrier), one shipment with
its timeline, and the staff's actions: the events its state allows now, a rider, the store a
returned parcel goes back to.

Shipments are read through the merchant scope and the member's stores (404 for another
merchant's or a store the member is not assigned to). Every change goes through
``marketplace.delivery.shipments``; a refusal re-renders the page with the message and
changes nothing.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...delivery import shipments
from ...delivery.states import EventSource, ShipmentEvent
from ...errors import MarketplaceError, ValidationError
from ...extensions import db
from ...merchants.roles import Permission
from ...money import parse_typed, to_decimal
from ...outbox.services import notify
from ...stores.services import accessible_stores
from .. import shipment_view as view
from . import bp, requires

PAGE_SIZE = 50
MAX_PAGE = 100_000  # as the API's lists: a larger offset is a typo, not a page


@bp.get("/<merchant_slug>/deliveries")
@requires(Permission.HANDLE_ORDERS)
def deliveries(merchant_slug: str):
    args = request.args
    state = args.get("state") or None
    store_id = args.get("store", type=int)
    carrier = args.get("carrier") or None
    page = min(max(args.get("page", 1, type=int), 1), MAX_PAGE)
    try:
        stmt = view.member_shipments(g.membership, state=state, store_id=store_id,
                                     carrier=carrier)
    except ValidationError:
        state, stmt = None, view.member_shipments(g.membership, store_id=store_id,
                                                  carrier=carrier)
    rows = db.session.scalars(stmt.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "dashboard/deliveries/index.html", shipments=rows[:PAGE_SIZE],
        has_more=len(rows) > PAGE_SIZE, page=page, state=state, store_id=store_id,
        carrier=carrier, stores=accessible_stores(g.membership),
        carriers=view.carriers_used(g.membership), states=list(view.STATE_LABELS))


def _detail(shipment, *, status=200, message=None, errors=None, failed=None):
    return render_template(
        "dashboard/deliveries/detail.html", shipment=shipment, order=shipment.order,
        store=shipment.store, entries=view.timeline(shipment, ignored=True),
        events=view.staff_events(shipment), riders=view.riders(shipment),
        stores=accessible_stores(g.membership), over=view.is_over(shipment),
        action_label=lambda event: view.ACTION_LABELS.get(event, event),
        source_label=lambda source: view.SOURCE_LABELS.get(source, source),
        cod_typed=str(to_decimal(shipment.cod_amount, shipment.currency)),
        message=message, errors=errors or {}, failed=failed, values=request.form), status


@bp.get("/<merchant_slug>/deliveries/<int:shipment_id>")
@requires(Permission.HANDLE_ORDERS)
def delivery(merchant_slug: str, shipment_id: int):
    return _detail(view.member_shipment(g.membership, shipment_id))


def _act(shipment, form: str, change, done_message):
    try:
        change()
    except MarketplaceError as exc:
        db.session.rollback()
        return _detail(view.member_shipment(g.membership, shipment.id), status=exc.status,
                       message=exc.message, errors=exc.fields, failed=form)
    db.session.commit()
    notify()
    flash(str(done_message), "success")
    return redirect(url_for("dashboard.delivery", shipment_id=shipment.id), code=303)


def _cash(shipment) -> int | None:
    """The cash taken, typed as it is read ("250.000" in đồng)."""
    return parse_typed(request.form.get("cash_collected"), shipment.currency, "cash_collected")


@bp.post("/<merchant_slug>/deliveries/<int:shipment_id>/events")
@requires(Permission.HANDLE_ORDERS)
def delivery_event(merchant_slug: str, shipment_id: int):
    shipment = view.member_shipment(g.membership, shipment_id)
    try:
        event = ShipmentEvent(request.form.get("event") or "")
    except ValueError:
        abort(400)  # not a button of the page: a tampered form

    def change():
        shipments.apply(shipment, event, source=EventSource.STAFF, actor_id=current_user.id,
                        note=view.staff_note(event, request.form.get("note")),
                        cash_collected=_cash(shipment) if event == ShipmentEvent.DELIVER
                        else None)

    return _act(shipment, str(event), change,
                _("Recorded: %(what)s.", what=view.event_label(event)))


@bp.post("/<merchant_slug>/deliveries/<int:shipment_id>/courier")
@requires(Permission.HANDLE_ORDERS)
def delivery_courier(merchant_slug: str, shipment_id: int):
    shipment = view.member_shipment(g.membership, shipment_id)
    chosen = request.form.get("courier_user_id")

    def change():
        shipments.assign_courier(shipment, view.rider_id(chosen))

    return _act(shipment, "courier", change,
                _("Rider assigned.") if (chosen or "").strip() else _("Rider unassigned."))


@bp.post("/<merchant_slug>/deliveries/<int:shipment_id>/return-store")
@requires(Permission.HANDLE_ORDERS)
def delivery_return_store(merchant_slug: str, shipment_id: int):
    shipment = view.member_shipment(g.membership, shipment_id)

    def change():
        shipments.set_return_store(shipment, view.return_store(
            g.membership, shipment, request.form.get("store_id")))

    return _act(shipment, "return_store", change,
                _("If the parcel comes back, it goes to this store."))
