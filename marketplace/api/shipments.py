"""Shipments: the merchant's deliveries (``/api/v1/merchant/shipments``, a personal access
token) and a customer's parcel (``/api/v1/consumer/shipments/<reference>``).

Staff move a shipment with the events its state allows (``marketplace.delivery.states``);
every change goes through ``marketplace.delivery.shipments`` with source ``staff``. Another
merchant's shipment, or one of a store the member is not assigned to, is 404 before the
body is read.
"""

from __future__ import annotations

from flask.views import MethodView

from ..auth import consumer_user
from ..delivery import shipments
from ..delivery.states import EventSource
from ..extensions import db
from ..merchants.roles import Permission
from ..outbox.services import notify
from ..web import shipment_view as view
from .blueprint import TOKEN_SECURITY, ApiBlueprint, principal
from .consumer import authenticated
from .pagination import PageArgsSchema, page_schema, paginate
from .schemas.shipments import (
    CourierInputSchema,
    CustomerShipmentSchema,
    MerchantShipmentSchema,
    ReturnStoreInputSchema,
    ShipmentEventInputSchema,
    ShipmentQuerySchema,
    ShipmentSummarySchema,
)

LOADERS = {"shipment_id": ("shipment", lambda c, v, _f: view.member_shipment(c.membership, v))}


def _store_id(objects: dict) -> int | None:
    """The permission is weighed at the shipment's store."""
    return objects["shipment"].store_id if "shipment" in objects else None


blp = ApiBlueprint("merchant_shipments", __name__, url_prefix="/api/v1/merchant/shipments",
                   url_loaders=LOADERS, store_of=_store_id,
                   description="Deliveries of the merchant's orders: follow each shipment, "
                               "record what happened (picked up, delivered with the cash "
                               "collected, a failed attempt and why …), give it to a rider, "
                               "choose where a returned parcel goes. Members limited to some "
                               "stores see only theirs.")
consumer_blp = ApiBlueprint("consumer_shipments", __name__, url_prefix="/api/v1/consumer",
                            description="For shoppers: follow a parcel of one's order.")


@blp.route("")
class Shipments(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(ShipmentQuerySchema, location="query")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(ShipmentSummarySchema))
    @blp.problems(404)
    def get(self, query, args):
        """The shipments of the stores the caller may see, newest first; `state`,
        `store_id` and `carrier` narrow the list (another store's id is 404)"""
        return paginate(view.member_shipments(
            principal().membership, state=query.get("state"), store_id=query.get("store_id"),
            carrier=query.get("carrier")), args)


@blp.route("/<int:shipment_id>")
class ShipmentItem(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.response(200, MerchantShipmentSchema)
    @blp.problems(404)
    def get(self, shipment):
        """One shipment with its lines, its whole timeline (ignored news included) and the
        events its state allows now"""
        return shipment


@blp.route("/<int:shipment_id>/events")
class ShipmentEvents(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(ShipmentEventInputSchema)
    @blp.response(200, MerchantShipmentSchema)
    @blp.problems(404, 409, 422)
    def post(self, data, shipment):
        """Record what happened: `pick_up`, `forward`, `send_out`, `deliver` (with
        `cash_collected` when the parcel has cash on delivery), `fail_attempt` (with a
        `note`: why), `redeliver`, `send_back`, `receive_back` or `cancel`

        409 `invalid_transition` when the shipment's state does not allow the event
        (`allowed_events` says which do); 422 for a missing cash amount or reason.
        A failed attempt when none is left sends the parcel back at once.
        """
        event = data["event"]
        shipments.apply(shipment, event, source=EventSource.STAFF,
                        actor_id=principal().user.id, occurred_at=data["occurred_at"],
                        note=view.staff_note(event, data["note"]),
                        cash_collected=data["cash_collected"])
        db.session.commit()
        notify()
        return shipment


@blp.route("/<int:shipment_id>/courier")
class ShipmentCourier(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(CourierInputSchema)
    @blp.response(200, MerchantShipmentSchema)
    @blp.problems(404, 422)
    def put(self, data, shipment):
        """Give the shipment to a rider (a member who handles orders at its store), or take
        it back with `null`; 422 once the delivery is over"""
        shipments.assign_courier(shipment, view.rider_id(data["courier_user_id"]))
        db.session.commit()
        return shipment


@blp.route("/<int:shipment_id>/return-store")
class ShipmentReturnStore(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(ReturnStoreInputSchema)
    @blp.response(200, MerchantShipmentSchema)
    @blp.problems(404, 422)
    def put(self, data, shipment):
        """Choose the store a parcel that comes back goes to (its goods go back on sale
        there); `null`: the store it left. 422 once the goods are back"""
        store = view.return_store(principal().membership, shipment, data["store_id"])
        shipments.set_return_store(shipment, store)
        db.session.commit()
        return shipment


@consumer_blp.route("/shipments/<reference>")
class CustomerShipment(MethodView):
    @authenticated()
    @consumer_blp.doc(security=TOKEN_SECURITY)
    @consumer_blp.response(200, CustomerShipmentSchema)
    @consumer_blp.problems(401, 404)
    def get(self, reference):
        """One parcel of your orders by its reference (GH-…): its state, the promised
        window, cash to pay at the door, its timeline and progress"""
        return view.customer_shipment(consumer_user(), reference)
