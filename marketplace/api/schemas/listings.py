"""Listings (products, services, vouchers), their variants and images."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from ...catalog.states import TRANSITIONS, ListingEvent, ListingKind, ListingStatus, VoucherKind
from ...states import events_from
from ..pagination import PageArgsSchema
from .common import INT32, INT64, ImageSchema

KINDS = [k.value for k in ListingKind]
STATUSES = [s.value for s in ListingStatus]
EVENTS = [e.value for e in ListingEvent]
MONEY = "In the listing currency's minor unit (VND has none: 150000 is ₫150,000)."


class VariantSchema(Schema):
    id = fields.Integer()
    sku = fields.String()
    options = fields.Dict(keys=fields.String(), values=fields.String(),
                          metadata={"example": {"size": "M", "color": "Đen"}})
    price = fields.Integer(metadata={"description": MONEY})
    compare_at_price = fields.Integer(allow_none=True, metadata={"description": MONEY})
    currency = fields.String()
    barcode = fields.String(allow_none=True)
    allow_negative_stock = fields.Boolean()
    position = fields.Integer()
    is_active = fields.Boolean()


class VariantCreateSchema(Schema):
    sku = fields.String(required=True)
    price = fields.Integer(required=True, strict=True, validate=INT64,
                           metadata={"description": MONEY})
    compare_at_price = fields.Integer(strict=True, allow_none=True, validate=INT64)
    options = fields.Dict(keys=fields.String(), values=fields.String())
    barcode = fields.String(allow_none=True)
    allow_negative_stock = fields.Boolean()
    position = fields.Integer(strict=True)
    is_active = fields.Boolean()


class VariantUpdateSchema(VariantCreateSchema):
    """Only the fields sent change."""

    def __init__(self, **kwargs) -> None:
        super().__init__(partial=True, **kwargs)


class ListingSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": KINDS})
    status = fields.String(metadata={"enum": STATUSES})
    events = fields.Function(
        lambda listing: [str(e) for e in events_from(TRANSITIONS, ListingStatus(listing.status))],
        metadata={"type": "array", "items": {"type": "string", "enum": EVENTS},
                  "description": "The transitions allowed now."})
    title = fields.String()
    slug = fields.String()
    description = fields.String()
    category = fields.Function(lambda listing: listing.category.slug if listing.category else None,
                               metadata={"type": "string", "nullable": True})
    tags = fields.List(fields.String())
    currency = fields.String()
    duration_minutes = fields.Integer(allow_none=True, metadata={"description": "Services."})
    voucher_kind = fields.String(allow_none=True, metadata={"enum": [k.value for k in
                                                                     VoucherKind]})
    voucher_value = fields.Integer(allow_none=True, metadata={
        "description": "Vouchers: an amount in minor units, or a percentage."})
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    valid_days = fields.Integer(allow_none=True)
    variants = fields.List(fields.Nested(VariantSchema))
    images = fields.List(fields.Nested(ImageSchema))
    published_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ListingUpdateSchema(Schema):
    """Only the fields sent change. ``price`` sets a service's or voucher's single variant."""

    title = fields.String()
    slug = fields.String()
    description = fields.String(allow_none=True)
    category = fields.String(allow_none=True, metadata={"description": "A category slug."})
    tags = fields.List(fields.String())
    duration_minutes = fields.Integer(strict=True, allow_none=True)
    voucher_kind = fields.String(validate=validate.OneOf([k.value for k in VoucherKind]))
    voucher_value = fields.Integer(strict=True, validate=INT32)
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    valid_days = fields.Integer(strict=True, allow_none=True)
    price = fields.Integer(strict=True, validate=INT64, metadata={"description": MONEY})


class ListingCreateSchema(ListingUpdateSchema):
    """A new listing, in draft. Products give ``variants``; services and vouchers give
    ``price`` (and optionally ``sku``) for their single variant."""

    kind = fields.String(load_default=ListingKind.PRODUCT.value, validate=validate.OneOf(KINDS))
    title = fields.String(required=True)
    currency = fields.String(metadata={"description": "ISO 4217; the merchant's default "
                                                      "currency when left out."})
    sku = fields.String()
    variants = fields.List(fields.Nested(VariantCreateSchema))


class ListingQuerySchema(PageArgsSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    kind = fields.String(validate=validate.OneOf(KINDS))


class TransitionSchema(Schema):
    event = fields.String(required=True, validate=validate.OneOf(EVENTS))


class ImageUploadSchema(Schema):
    image = Upload(required=True, metadata={"description": "A JPEG, PNG or WebP image."})
