"""Stores, their weekly hours and dated exceptions."""

from __future__ import annotations

from marshmallow import Schema, fields, pre_dump

from ...catalog.queries import opening_status
from .common import Annotated, IntervalSchema, WeeklyIntervalSchema


class OpeningFieldsMixin(Schema):
    """Open now / closes at / next opening, computed once per store for the current instant,
    in the store's time zone (the offsets in the answer are the store's)."""

    open_now = fields.Boolean(attribute="opening.is_open")
    closes_at = fields.DateTime(attribute="opening.closes_at", allow_none=True, metadata={
        "description": "When the current opening ends (null if closed, or open around the "
                       "clock)."})
    next_opening = fields.DateTime(attribute="opening.next_opening", allow_none=True,
                                   metadata={"description": "The next opening if closed now."})

    @pre_dump
    def _opening(self, store, **_kwargs):
        return Annotated(store, opening=opening_status(store))


class StoreSchema(OpeningFieldsMixin):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    address = fields.String(metadata={"description": "The address as one line."})
    address_line = fields.String()
    ward = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    city = fields.String()
    country_code = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    phone = fields.String(allow_none=True)
    timezone = fields.String(metadata={"example": "Asia/Ho_Chi_Minh"})
    is_active = fields.Boolean()
    pickup_enabled = fields.Boolean()
    pickup_lead_minutes = fields.Integer()
    pickup_slot_minutes = fields.Integer()
    pickup_orders_per_slot = fields.Integer()
    pickup_grace_minutes = fields.Integer()
    reserve_enabled = fields.Boolean()
    reserve_hold_hours = fields.Integer()
    hours = fields.List(fields.Nested(WeeklyIntervalSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class StoreCreateSchema(Schema):
    name = fields.String(required=True)
    slug = fields.String(metadata={"description": "Made from the name when left out."})
    address_line = fields.String(required=True)
    ward = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    city = fields.String(required=True)
    country_code = fields.String(metadata={"example": "VN"})
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    phone = fields.String(allow_none=True)
    timezone = fields.String(metadata={"description": "IANA zone; the platform default when "
                                                      "left out."})
    is_active = fields.Boolean()
    pickup_enabled = fields.Boolean()
    pickup_lead_minutes = fields.Integer(strict=True)
    pickup_slot_minutes = fields.Integer(strict=True)
    pickup_orders_per_slot = fields.Integer(strict=True)
    pickup_grace_minutes = fields.Integer(strict=True)
    reserve_enabled = fields.Boolean()
    reserve_hold_hours = fields.Integer(strict=True)


class StoreUpdateSchema(StoreCreateSchema):
    """Only the fields sent change."""

    def __init__(self, **kwargs) -> None:
        super().__init__(partial=True, **kwargs)


class WeeklyHoursSchema(Schema):
    hours = fields.List(fields.Nested(WeeklyIntervalSchema), required=True, metadata={
        "description": "Replaces every weekly interval; an empty list means closed all week."})


class StoreExceptionSchema(Schema):
    id = fields.Integer()
    store_id = fields.Integer()
    date = fields.Date()
    closed = fields.Boolean()
    intervals = fields.List(fields.Nested(IntervalSchema))
    note = fields.String(allow_none=True)


class StoreExceptionCreateSchema(Schema):
    """Closed all day, or open with these intervals instead; replaces that date's exception."""

    date = fields.Date(required=True)
    closed = fields.Boolean(load_default=True)
    intervals = fields.List(fields.Nested(IntervalSchema))
    note = fields.String(allow_none=True)
