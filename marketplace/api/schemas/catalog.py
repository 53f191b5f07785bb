"""The public catalog: what anyone may see (approved merchants, published listings)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, pre_dump, validate

from ...catalog.states import ListingKind
from ...database import utcnow
from ..pagination import PageArgsSchema
from .common import Annotated, IntervalSchema, WeeklyIntervalSchema, media_url
from .listings import MONEY
from .stores import OpeningFieldsMixin


class PublicMerchantSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    description = fields.String()
    logo_url = fields.Function(lambda m: media_url(m.logo_path),
                               metadata={"type": "string", "format": "uri", "nullable": True})


class MerchantRefSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()


class PublicStoreSummarySchema(OpeningFieldsMixin):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    address = fields.String()
    city = fields.String()
    position = fields.Function(lambda s: {"latitude": s.latitude, "longitude": s.longitude},
                               metadata={"type": "object", "properties": {
                                   "latitude": {"type": "number"},
                                   "longitude": {"type": "number"}}})
    phone = fields.String(allow_none=True)
    timezone = fields.String()


class PublicMerchantDetailSchema(PublicMerchantSchema):
    stores = fields.List(fields.Nested(PublicStoreSummarySchema),
                         metadata={"description": "The merchant's active stores."})


class PublicExceptionSchema(Schema):
    date = fields.Date()
    closed = fields.Boolean()
    intervals = fields.List(fields.Nested(IntervalSchema))
    note = fields.String(allow_none=True)


def _upcoming_exceptions(store) -> list:
    """Exceptions from today on, today being the store's local date."""
    today = utcnow().astimezone(ZoneInfo(store.timezone)).date()
    return [exc for exc in store.exceptions if exc.date >= today]


class PickupSchema(Schema):
    enabled = fields.Boolean(attribute="pickup_enabled")
    lead_minutes = fields.Integer(attribute="pickup_lead_minutes",
                                  metadata={"description": "Earliest pickup after ordering."})
    slot_minutes = fields.Integer(attribute="pickup_slot_minutes")
    reserve_enabled = fields.Boolean(metadata={"description": "Items can be reserved to try."})
    reserve_hold_hours = fields.Integer()


class PublicStoreSchema(PublicStoreSummarySchema):
    merchant = fields.Nested(MerchantRefSchema)
    address_line = fields.String()
    ward = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    country_code = fields.String()
    hours = fields.List(fields.Nested(WeeklyIntervalSchema))
    exceptions = fields.List(fields.Nested(PublicExceptionSchema),
                             attribute="upcoming_exceptions", metadata={
                                 "description": "Dated changes from today on (closed days, "
                                                "special hours)."})
    pickup = fields.Nested(PickupSchema)

    @pre_dump
    def _annotate(self, store, **_kwargs):
        return Annotated(store, upcoming_exceptions=_upcoming_exceptions(store), pickup=store)


class PublicListingSchema(Schema):
    """A listing card."""

    id = fields.Integer()
    kind = fields.String(metadata={"enum": [k.value for k in ListingKind]})
    title = fields.String()
    slug = fields.String()
    merchant = fields.Nested(MerchantRefSchema)
    category = fields.Function(lambda li: li.category.slug if li.category else None,
                               metadata={"type": "string", "nullable": True})
    currency = fields.String()
    price_min = fields.Function(lambda li: li.price_range[0] if li.price_range else None,
                                metadata={"type": "integer", "nullable": True,
                                          "description": MONEY})
    price_max = fields.Function(lambda li: li.price_range[1] if li.price_range else None,
                                metadata={"type": "integer", "nullable": True})
    image_url = fields.Function(lambda li: media_url(li.images[0].path) if li.images else None,
                                metadata={"type": "string", "format": "uri", "nullable": True})
    published_at = fields.DateTime()


class StoreAvailabilitySchema(Schema):
    store_id = fields.Integer()
    name = fields.String()
    available = fields.Integer()


class PublicVariantSchema(Schema):
    id = fields.Integer()
    sku = fields.String()
    label = fields.String()
    options = fields.Dict(keys=fields.String(), values=fields.String())
    price = fields.Integer(metadata={"description": MONEY})
    compare_at_price = fields.Integer(allow_none=True)
    currency = fields.String()
    stores = fields.List(fields.Nested(StoreAvailabilitySchema), metadata={
        "description": "Active stores where this variant is available now (products only)."})


class PublicImageSchema(Schema):
    url = fields.Function(lambda image: media_url(image.path),
                          metadata={"type": "string", "format": "uri"})
    alt = fields.String()
    width = fields.Integer()
    height = fields.Integer()


class PublicListingDetailSchema(PublicListingSchema):
    description = fields.String()
    tags = fields.List(fields.String())
    duration_minutes = fields.Integer(allow_none=True)
    voucher_kind = fields.String(allow_none=True)
    voucher_value = fields.Integer(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    valid_days = fields.Integer(allow_none=True)
    images = fields.List(fields.Nested(PublicImageSchema))
    variants = fields.List(fields.Nested(PublicVariantSchema))


class PublicListingQuerySchema(PageArgsSchema):
    merchant = fields.String(metadata={"description": "A merchant slug."})
    category = fields.String(metadata={"description": "A category slug."})
    kind = fields.String(validate=validate.OneOf([k.value for k in ListingKind]))
    q = fields.String(validate=validate.Length(max=100),
                      metadata={"description": "A piece of the title."})
