"""Cash on delivery for the merchant (``/api/v1/merchant/cod``, permission ``reconcile_cash``:
owners and managers): the cash couriers still owe per day and courier, confirming what one
courier brought back for one day, and the remittances confirmed so far.

Members limited to some stores see only their stores' cash and the remittances made only of
it, and may not confirm (403): a courier's cash for a day can span several stores.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from ..delivery import cod
from ..errors import PermissionDenied
from ..extensions import db
from ..merchants.roles import Permission
from ..money import MAX_AMOUNT
from ..orders.audit import Actor
from ..outbox.services import notify
from .blueprint import ApiBlueprint, principal
from .pagination import PageArgsSchema, page_schema, paginate
from .schemas.common import ID

MINOR = "in the currency's minor unit (VND: đồng)"

blp = ApiBlueprint("merchant_cod", __name__, url_prefix="/api/v1/merchant/cod",
                   description="Cash on delivery: the cash couriers collected at the door and "
                               "still owe, per local day and courier, and confirming what "
                               "each brought back (the orders are then paid). A count that "
                               "differs from what was collected needs a note.")


# --- schemas ----------------------------------------------------------------------------------

class CollectedSchema(Schema):
    shipment_id = fields.Integer(attribute="shipment.id")
    reference = fields.String(attribute="shipment.reference",
                              metadata={"example": "GH-7KQ2M9XA"})
    order_id = fields.Integer(attribute="shipment.order_id")
    order_number = fields.String(attribute="shipment.order.number")
    store_id = fields.Integer(attribute="shipment.store_id")
    delivered_at = fields.DateTime(metadata={"description": "When the parcel was delivered "
                                                            "(UTC)."})
    cod_amount = fields.Integer(attribute="shipment.cod_amount",
                                metadata={"description": f"Cash asked at the door, {MINOR}."})
    cash_collected = fields.Integer(attribute="amount", metadata={
        "description": f"Cash the courier said they collected, {MINOR}."})


class CashGroupSchema(Schema):
    carrier = fields.String(metadata={"description": "The carrier's identifier."})
    courier_user_id = fields.Integer(allow_none=True, metadata={
        "description": "The merchant's own rider; null for an outside carrier's courier."})
    day = fields.Date(metadata={"description": "The local day of the deliveries, in the "
                                               "fulfilling stores' time zone."})
    currency = fields.String(metadata={"example": "VND"})
    expected = fields.Integer(metadata={"description": f"The cash collected, summed, {MINOR}."})
    count = fields.Integer()
    shipments = fields.List(fields.Nested(CollectedSchema), attribute="items")


class RemittanceLineSchema(Schema):
    shipment_id = fields.Integer()
    reference = fields.String(attribute="shipment.reference")
    order_id = fields.Integer()
    order_number = fields.String(attribute="order.number")
    payment_id = fields.Integer(allow_none=True, metadata={
        "description": "The order's cash-on-delivery payment the cash paid; null when the "
                       "courier collected nothing."})
    amount = fields.Integer(metadata={"description": MINOR})


class RemittanceSchema(Schema):
    id = fields.Integer()
    carrier = fields.String()
    courier_user_id = fields.Integer(allow_none=True)
    day = fields.Date()
    currency = fields.String()
    expected = fields.Integer(metadata={"description": f"Cash collected, summed, {MINOR}."})
    counted = fields.Integer(metadata={"description": f"Cash counted, {MINOR}."})
    difference = fields.Integer(metadata={"description": "counted − expected: negative is a "
                                                         "shortfall, positive an overage."})
    note = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True, metadata={"description": "Who confirmed it."})
    created_at = fields.DateTime()
    lines = fields.List(fields.Nested(RemittanceLineSchema))


class RemittanceInputSchema(Schema):
    carrier = fields.String(required=True, validate=validate.Length(min=1, max=48))
    courier_user_id = fields.Integer(load_default=None, allow_none=True, validate=ID, metadata={
        "description": "The rider, as in the outstanding group; null for an outside "
                       "carrier's courier."})
    day = fields.Date(required=True, metadata={"description": "The group's local day."})
    currency = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(equal=3), metadata={
                                 "description": "Needed only when the group's cash is in "
                                                "several currencies."})
    counted = fields.Integer(required=True, strict=True,
                             validate=validate.Range(min=0, max=MAX_AMOUNT),
                             metadata={"description": f"The cash counted, {MINOR}."})
    shipment_ids = fields.List(fields.Integer(validate=ID), load_default=None, allow_none=True,
                               validate=validate.Length(min=1, max=1000), metadata={
                                   "description": "The deliveries whose cash was counted: "
                                                  "exactly the group's outstanding ones "
                                                  "(else 422: count again). Omitted: the "
                                                  "group as it is now."})
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=500), metadata={
                             "description": "Required when `counted` differs from what was "
                                            "collected: why."})


# --- operations -------------------------------------------------------------------------------

@blp.route("/outstanding")
class Outstanding(MethodView):
    @blp.authorize(Permission.RECONCILE_CASH)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(CashGroupSchema))
    @blp.problems(422)
    def get(self, args):
        """The cash couriers still owe, per local day, carrier and rider, oldest day first,
        with each delivery's reference, order and amount"""
        membership = principal().membership
        return paginate(cod.outstanding(membership.merchant_id,
                                        store_ids=membership.store_ids), args)


@blp.route("/remittances")
class Remittances(MethodView):
    @blp.authorize(Permission.RECONCILE_CASH)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(RemittanceSchema))
    @blp.problems(422)
    def get(self, args):
        """The cash confirmed so far, newest first, with each remittance's deliveries and
        difference"""
        membership = principal().membership
        return paginate(cod.remittances(membership.merchant_id,
                                        store_ids=membership.store_ids), args)

    @blp.authorize(Permission.RECONCILE_CASH)
    @blp.arguments(RemittanceInputSchema)
    @blp.response(201, RemittanceSchema)
    @blp.problems(404, 409, 422)
    def post(self, data):
        """Confirm the cash one courier brought back for one day: the orders are paid

        403 for a member limited to some stores. 404 when a shipment id is not yours, or
        nothing is outstanding for that carrier, rider and day. 409 `cod_already_reconciled`
        when some of that cash was confirmed meanwhile (nothing changed), 409
        `cod_payment_not_waiting` when an order's cash payment is no longer pending. 422
        when `shipment_ids` are not exactly the group's outstanding deliveries, or when
        `counted` differs from the cash collected without a `note`.
        """
        caller = principal()
        if not caller.membership.all_stores:
            raise PermissionDenied(_l("Only members of every store may confirm couriers' "
                                      "cash."))
        remittance = cod.reconcile(
            caller.merchant, carrier=data["carrier"], courier_user_id=data["courier_user_id"],
            day=data["day"], counted=data["counted"], shipment_ids=data["shipment_ids"],
            currency=data["currency"], actor=Actor.staff(caller.user), note=data["note"])
        db.session.commit()
        notify()
        return remittance
