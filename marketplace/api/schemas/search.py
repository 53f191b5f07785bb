"""Search answers: hits built from search documents, never from ORM rows."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields

from .common import media_url

BANDS = "`in_stock`, `low` (only a few left: see `left`), `out`, or `offered` (a service or " \
        "voucher: no stock)"


def _position(doc: dict) -> dict:
    return {"latitude": doc["_geo"]["lat"], "longitude": doc["_geo"]["lng"]}


POSITION = {"type": "object", "properties": {"latitude": {"type": "number"},
                                             "longitude": {"type": "number"}}}


MERCHANT = {"type": "object", "properties": {"id": {"type": "integer"},
                                             "slug": {"type": "string"},
                                             "name": {"type": "string"}}}


def _merchant(doc: dict) -> dict:
    return {"id": doc["merchant_id"], "slug": doc["merchant_slug"], "name": doc["merchant_name"]}


class OpeningSchema(Schema):
    open_now = fields.Boolean(attribute="is_open")
    closes_at = fields.DateTime(allow_none=True, metadata={
        "description": "When the current opening ends, in the store's time zone."})
    next_opening = fields.DateTime(allow_none=True, metadata={
        "description": "When a closed store opens next, in its time zone (null: not within "
                       "a year)."})


class StoreHitSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    merchant = fields.Function(_merchant, metadata=MERCHANT)
    address = fields.String()
    district = fields.String()
    city = fields.String()
    position = fields.Function(_position, metadata=POSITION)
    distance_m = fields.Integer(metadata={"description": "Metres from the searcher."})
    pickup = fields.Boolean(metadata={"description": "Offers pickup of online orders."})
    reserve = fields.Boolean(metadata={"description": "Holds items to try before buying."})
    opening = fields.Nested(OpeningSchema)
    url = fields.Function(lambda d: url_for("storefront.store", merchant_slug=d["merchant_slug"],
                                            store_slug=d["slug"], _external=True),
                          metadata={"type": "string", "format": "uri"})


class NearestStoreSchema(Schema):
    id = fields.Integer(attribute="store_id")
    slug = fields.String(attribute="store_slug")
    name = fields.String(attribute="store_name")
    distance_m = fields.Integer()
    opening = fields.Nested(OpeningSchema)
    availability = fields.String(attribute="band", metadata={"description": BANDS})
    left = fields.Function(lambda d: d["available"] if d.get("band") == "low" else None,
                           metadata={"type": "integer", "nullable": True,
                                     "description": "How many are left when only a few are."})


NEAREST_STORE = NearestStoreSchema()  # one instance: building a schema per hit cost more


class ListingHitSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    title = fields.String()
    kind = fields.String()
    merchant = fields.Function(_merchant, metadata=MERCHANT)
    category_id = fields.Integer(allow_none=True)
    price_min = fields.Integer(metadata={"description": "Lowest variant price, minor units."})
    price_max = fields.Integer()
    currency = fields.String()
    image_url = fields.Function(lambda d: media_url(d.get("image")),
                                metadata={"type": "string", "format": "uri", "nullable": True})
    url = fields.Function(lambda d: url_for("storefront.listing",
                                            merchant_slug=d["merchant_slug"],
                                            listing_slug=d["slug"], _external=True),
                          metadata={"type": "string", "format": "uri"})
    nearest_store = fields.Function(
        lambda d: NEAREST_STORE.dump(d) if "store_id" in d else None,
        metadata={"type": "object", "nullable": True,
                  "description": "With `in_stock_near`: the nearest store that has it "
                                 "(id, slug, name, distance_m, opening, availability, left)."})


class FacetValueSchema(Schema):
    value = fields.String(metadata={"description": "What to pass back as the filter."})
    label = fields.String()
    count = fields.Integer()


class PriceRangeSchema(Schema):
    min = fields.Integer()
    max = fields.Integer()


class FacetsSchema(Schema):
    category = fields.List(fields.Nested(FacetValueSchema))
    merchant = fields.List(fields.Nested(FacetValueSchema))
    kind = fields.List(fields.Nested(FacetValueSchema))
    price = fields.Nested(PriceRangeSchema, allow_none=True)


class _SearchPage(Schema):
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer(metadata={"description": "Every hit, on all pages."})
    pages = fields.Integer()
    has_more = fields.Boolean()


class StoreSearchPageSchema(_SearchPage):
    items = fields.List(fields.Nested(StoreHitSchema))


class ListingSearchPageSchema(_SearchPage):
    items = fields.List(fields.Nested(ListingHitSchema))
    facets = fields.Nested(FacetsSchema)


class VariantStockSchema(Schema):
    id = fields.Integer()
    label = fields.String()
    price = fields.Integer()
    availability = fields.String(metadata={"description": BANDS})
    left = fields.Integer(allow_none=True)


class NearbyStockSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    address = fields.String()
    position = fields.Dict(metadata=POSITION)
    pickup = fields.Boolean()
    url = fields.String(metadata={"format": "uri"})
    distance_m = fields.Integer(allow_none=True, metadata={
        "description": "Metres from the given position (null without one)."})
    opening = fields.Nested(OpeningSchema)
    variants = fields.List(fields.Nested(VariantStockSchema))
