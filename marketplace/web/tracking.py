"""The customer's delivery tracking: ``/track/<reference>`` for one parcel, and the
"Delivery" section of the order page (``storefront/_delivery.html``, included by the
theme's order page, reads ``order_deliveries(order)``).

Only the order's customer sees a parcel; anyone else gets 404, as if it did not exist.
"""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user, login_required

from ..delivery.order_effects import order_shipments
from ..theming import render_storefront
from . import shipment_view as view

bp = Blueprint("tracking", __name__)


def delivery(shipment) -> dict:
    """What the customer's pages show of a parcel: the shipment, its timeline without the
    news that changed nothing, and the progress along the way."""
    entries = view.timeline(shipment)
    return {"shipment": shipment, "store": shipment.store, "entries": entries,
            "progress": view.progress(shipment, entries),
            "carrier": view.carrier_label(shipment.carrier)}


def order_deliveries(order) -> list[dict]:
    return [delivery(shipment) for shipment in order_shipments(order)]


@bp.record_once
def _helpers(state) -> None:
    # Globals, not a context processor: the order page's include and the theme's macros
    # read them whatever context they were rendered with (see storefront._helpers).
    state.app.jinja_env.globals.update(order_deliveries=order_deliveries,
                                       shipment_state_label=view.state_label,
                                       shipment_event_label=view.event_label,
                                       carrier_label=view.carrier_label)


@bp.get("/track/<reference>")
@login_required
def track(reference: str):
    shipment = view.customer_shipment(current_user, reference)
    order = shipment.order
    # The number as text: a sandboxed theme may not read the order itself.
    return render_storefront("storefront/tracking.html", merchant=order.merchant,
                             order_number=order.number, **delivery(shipment))
