"""Saved addresses and shipments as the API shows and takes them."""

from __future__ import annotations

from datetime import timedelta

from marshmallow import Schema, ValidationError, fields, pre_dump, validate

from ...database import utcnow
from ...delivery.states import ShipmentEvent, ShipmentState
from ...money import MAX_AMOUNT
from ...web import shipment_view as view
from .common import ID

MONEY = {"description": "An amount in the currency's minor unit (VND: đồng)."}
# A phone's clock may run a little ahead; news from further in the future is a mistake.
CLOCK_SKEW = timedelta(minutes=5)


# --- saved addresses ----------------------------------------------------------------------

class SavedAddressSchema(Schema):
    """A customer's saved delivery address. The position is required (no geocoding)."""

    id = fields.Integer(dump_only=True)
    label = fields.String(load_default="", validate=validate.Length(max=60),
                          metadata={"description": "Home, work …"})
    recipient_name = fields.String(required=True, validate=validate.Length(max=120))
    phone = fields.String(required=True, validate=validate.Length(max=32))
    line = fields.String(required=True, validate=validate.Length(max=300),
                         metadata={"description": "House number and street."})
    ward = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=100))
    district = fields.String(required=True, validate=validate.Length(max=100))
    city = fields.String(required=True, validate=validate.Length(max=100))
    latitude = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(required=True, validate=validate.Range(min=-180, max=180))


# --- shipments ----------------------------------------------------------------------------

class ShipmentAddressSchema(Schema):
    line = fields.String(attribute="address_line")
    ward = fields.String(allow_none=True)
    district = fields.String()
    city = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()


class ProgressStepSchema(Schema):
    state = fields.String()
    label = fields.String()
    reached = fields.Boolean(metadata={"description": "The parcel got this far."})
    current = fields.Boolean(metadata={"description": "The parcel is in this state now."})


class CustomerEventSchema(Schema):
    event = fields.String()
    label = fields.Function(lambda e: str(view.event_label(e.event)))
    to_state = fields.String()
    occurred_at = fields.DateTime()
    note = fields.String(allow_none=True,
                         metadata={"description": "E.g. why a delivery attempt failed."})


class StaffEventSchema(CustomerEventSchema):
    id = fields.Integer()
    from_state = fields.String(allow_none=True)
    ignored = fields.Boolean(metadata={"description": "News that changed nothing (late or "
                                                      "repeated)."})
    source = fields.String(metadata={"description": "carrier, staff, courier or system."})
    external_id = fields.String(allow_none=True,
                                metadata={"description": "The carrier's event id."})
    cash_collected = fields.Integer(allow_none=True, metadata=MONEY)
    actor_id = fields.Integer(allow_none=True)


class _ShipmentBase(Schema):
    reference = fields.String(metadata={"description": "What people read (GH-…)."})
    carrier = fields.String()
    carrier_label = fields.String()
    service = fields.String()
    state = fields.String(metadata={"enum": [str(s) for s in ShipmentState]})
    state_label = fields.String()
    recipient_name = fields.String()
    address = fields.Nested(ShipmentAddressSchema)
    currency = fields.String()
    fee = fields.Integer(metadata=MONEY)
    cod_amount = fields.Integer(metadata={"description": "Cash to pay at the door (0: paid), "
                                                         "in minor units."})
    inspect_before_accept = fields.Boolean()
    attempts = fields.Integer(metadata={"description": "Delivery attempts made so far."})
    max_attempts = fields.Integer()
    window_start = fields.DateTime(allow_none=True,
                                   metadata={"description": "The promised window (UTC)."})
    window_end = fields.DateTime(allow_none=True)

    @pre_dump
    def _as_parcel(self, shipment, **_kwargs):
        return view.Parcel(shipment, ignored=self.STAFF)

    STAFF = False  # whether the timeline shows the news that changed nothing


class CustomerShipmentSchema(_ShipmentBase):
    """A parcel as its customer follows it."""

    order_number = fields.String()
    store = fields.Function(lambda p: p.store.name)
    timezone = fields.Function(lambda p: p.store.timezone,
                               metadata={"description": "The store's time zone, for "
                                                        "showing the times locally."})
    progress = fields.List(fields.Nested(ProgressStepSchema))
    events = fields.List(fields.Nested(CustomerEventSchema),
                         metadata={"description": "The timeline, oldest first."})


class ShipmentSummarySchema(_ShipmentBase):
    """A shipment in the merchant's list."""

    id = fields.Integer()
    order_id = fields.Integer()
    order_number = fields.String()
    store_id = fields.Integer()
    return_store_id = fields.Integer(allow_none=True)
    tracking_reference = fields.String(allow_none=True)
    recipient_phone = fields.String()
    cod_collected = fields.Integer(allow_none=True, metadata=MONEY)
    redelivery_fee = fields.Integer(metadata=MONEY)
    courier_user_id = fields.Integer(allow_none=True, metadata={"description": "The rider."})
    created_at = fields.DateTime()


class ShipmentLineSchema(Schema):
    order_line_id = fields.Integer()
    variant_id = fields.Integer()
    title = fields.Function(lambda line: line.order_line.title)
    variant_label = fields.Function(lambda line: line.order_line.variant_label)
    sku = fields.Function(lambda line: line.order_line.sku)
    quantity = fields.Integer()


class MerchantShipmentSchema(ShipmentSummarySchema):
    """One shipment with its lines, its whole timeline and what staff may do now."""

    note = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(ShipmentLineSchema))
    events = fields.List(fields.Nested(StaffEventSchema),
                         metadata={"description": "Oldest first, ignored news included."})
    allowed_events = fields.List(fields.String(), metadata={
        "description": "The events the state allows now (`POST …/events`)."})

    STAFF = True


class ShipmentQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf([str(s) for s in ShipmentState]))
    store_id = fields.Integer(validate=ID, metadata={"description": "One of your stores."})
    carrier = fields.String(validate=validate.Length(max=48))


def _not_ahead(moment) -> None:
    if moment is not None and moment > utcnow() + CLOCK_SKEW:
        raise ValidationError("This time is in the future.")


class ShipmentEventInputSchema(Schema):
    event = fields.String(required=True,
                          validate=validate.OneOf([str(e) for e in ShipmentEvent]))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                         metadata={"description": "Required for `fail_attempt`: why (the "
                                                  "customer is told)."})
    cash_collected = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=MAX_AMOUNT),
        metadata={"description": "`deliver` only: the cash the rider took (required when the "
                                 "parcel has cash on delivery). Minor units."})
    occurred_at = fields.AwareDateTime(
        load_default=None, allow_none=True, validate=_not_ahead,
        metadata={"description": "When it happened (default: now), with its offset."})


class CourierInputSchema(Schema):
    courier_user_id = fields.Integer(required=True, allow_none=True, validate=ID, metadata={
        "description": "A member who handles orders at the shipment's store; null: nobody."})


class ReturnStoreInputSchema(Schema):
    store_id = fields.Integer(required=True, allow_none=True, validate=ID, metadata={
        "description": "One of your stores; null: the store the parcel left."})
