"""Delivery at checkout as the API takes and shows it: an address, the parcels, the offers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import ID

MONEY = {"description": "An amount in the currency's minor unit (VND: đồng)."}


class AddressInputSchema(Schema):
    """An address typed at checkout (not saved). The position is required: no geocoding."""

    label = fields.String(validate=validate.Length(max=60))
    recipient_name = fields.String(required=True, validate=validate.Length(max=120))
    phone = fields.String(required=True, validate=validate.Length(max=32))
    line = fields.String(required=True, validate=validate.Length(max=300))
    ward = fields.String(allow_none=True, validate=validate.Length(max=100))
    district = fields.String(required=True, validate=validate.Length(max=100))
    city = fields.String(required=True, validate=validate.Length(max=100))
    latitude = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(required=True, validate=validate.Range(min=-180, max=180))


ADDRESS_ID = {"description": "One of your saved addresses (`GET /api/v1/consumer/addresses`);"
                             " or send `address`."}


class DeliveryOptionsQuerySchema(Schema):
    merchant_id = fields.Integer(required=True, validate=ID)
    address_id = fields.Integer(validate=ID, metadata=ADDRESS_ID)
    address = fields.Nested(AddressInputSchema)
    cash_on_delivery = fields.Boolean(load_default=False, metadata={
        "description": "Only offers that take cash at the door."})


class ParcelItemSchema(Schema):
    variant_id = fields.Function(lambda item: item[0].id)
    title = fields.Function(lambda item: item[0].listing.title)
    variant_label = fields.Function(lambda item: item[0].label)
    quantity = fields.Function(lambda item: item[1])


class ParcelSchema(Schema):
    store_id = fields.Function(lambda p: p.store.id)
    store = fields.Function(lambda p: p.store.name)
    distance_km = fields.Function(lambda p: round(p.distance_m / 1000, 2))
    items = fields.List(fields.Nested(ParcelItemSchema))


class OfferSchema(Schema):
    carrier = fields.String()
    service = fields.String()
    label = fields.String()
    fee = fields.Integer(metadata={"description": "All parcels together, in minor units."})
    currency = fields.String()
    window_start = fields.AwareDateTime()
    window_end = fields.AwareDateTime()
    cash_on_delivery = fields.Boolean()
    inspect_before_accept = fields.Boolean()
    delivery_attempts = fields.Integer()
    redelivery_fee = fields.Integer(metadata=MONEY)


class DeliveryPlanSchema(Schema):
    split = fields.Boolean(metadata={"description": "Several parcels (several orders): send "
                                                    "`accept_split: true` at checkout."})
    parcels = fields.List(fields.Nested(ParcelSchema))
    offers = fields.List(fields.Nested(OfferSchema), metadata={
        "description": "Cheapest first; choose one with `carrier` and `service`. Empty: no "
                       "carrier of the merchant reaches the address."})
