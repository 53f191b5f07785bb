"""Search, public and without a token: nearby stores, listings, a listing's nearby stock.

Arguments are checked before anything is searched; a search that cannot be answered as asked
(a radius of 0 or of 1,000 km, a latitude of 200, an unknown facet, a 10 kB query…) is a 400
``bad_search_query`` naming the field, never a 500.
"""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields, validate
from webargs.flaskparser import FlaskParser

from ..catalog import queries
from ..catalog.models import Listing
from ..search import service
from ..search.query import (
    MAX_RADIUS_M,
    BadSearchQuery,
    ListingSearchArgs,
    Page,
    PositionArgs,
    StoreSearchArgs,
)
from .blueprint import ApiBlueprint
from .catalog import _located
from .schemas.search import ListingSearchPageSchema, NearbyStockSchema, StoreSearchPageSchema


class SearchArgumentsParser(FlaskParser):
    """Bad search arguments are a 400 problem (``bad_search_query``), not webargs' 422."""

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        found: dict[str, list[str]] = {}
        for messages in error.normalized_messages().values():  # {location: {field: […]}}
            for name, said in (messages.items() if isinstance(messages, dict) else ()):
                found[name] = [str(m) for m in (said if isinstance(said, list) else [said])]
        raise BadSearchQuery(fields=found)


class SearchBlueprint(ApiBlueprint):
    ARGUMENTS_PARSER = SearchArgumentsParser()


blp = SearchBlueprint("search", __name__, url_prefix="/api/v1/search",
                      token_authenticated=False, read_only=True,
                      description="Nearby stores, listings (\"in stock near me\") and a "
                                  "listing's stock at nearby stores. No token needed.")


class NearbyArgs(PositionArgs):
    radius = fields.Integer(load_default=MAX_RADIUS_M,
                            validate=validate.Range(min=1, max=MAX_RADIUS_M))


def _envelope(page: Page, **extra) -> dict:
    return {"items": page.hits, "page": page.page, "page_size": page.page_size,
            "total": page.total, "pages": page.pages, "has_more": page.has_more} | extra


@blp.route("/stores")
class StoreSearch(MethodView):
    @blp.arguments(StoreSearchArgs, location="query")
    @blp.response(200, StoreSearchPageSchema)
    @blp.problems(400, 503)
    def get(self, args):
        """Stores within a radius of a position (or of a district), nearest first, with open
        now or the next opening; filter by category, merchant, open now, pickup"""
        _query, page = service.search_stores(args)
        return _envelope(page)


@blp.route("/listings")
class ListingSearch(MethodView):
    @blp.arguments(ListingSearchArgs, location="query")
    @blp.response(200, ListingSearchPageSchema)
    @blp.problems(400, 503)
    def get(self, args):
        """Listings matching a text as you type (accents optional), with facets; with
        `in_stock_near`, only what a store within the radius has, each hit naming the
        nearest such store, its distance, whether it is open and how much is left"""
        _query, page = service.search_listings(args)
        facets = service.facet_values(page) | {"price": page.price}
        return _envelope(page, facets=facets)


@blp.route("/listings/<int:listing_id>/nearby")
class ListingNearby(MethodView):
    @blp.arguments(NearbyArgs, location="query")
    @blp.response(200, NearbyStockSchema(many=True))
    @blp.problems(400, 404)
    def get(self, args, listing_id: int):
        """Every store of the listing's shop (nearest first when a position is given) with
        each variant's availability there, read live from the stock"""
        found = _located(Listing, listing_id)
        listing = queries.public_listing(found.merchant, found.slug)
        point = service.position(args, required=False)
        return [nearby_json(listing, entry)
                for entry in service.nearby_availability(listing, point, radius_m=args["radius"])]


def nearby_json(listing, entry: service.NearbyStore) -> dict:
    from flask import url_for

    store = entry.store
    variants = []
    for variant in listing.active_variants:
        available = entry.available.get(variant.id, 0)
        band = service.stock_band(available)
        variants.append({"id": variant.id, "label": variant.label, "price": variant.price,
                         "availability": band, "left": available if band == "low" else None})
    return {
        "id": store.id, "slug": store.slug, "name": store.name, "address": store.address,
        "position": {"latitude": store.latitude, "longitude": store.longitude},
        "pickup": store.pickup_enabled, "distance_m": entry.distance_m,
        "url": url_for("storefront.store", merchant_slug=listing.merchant.slug,
                       store_slug=store.slug, _external=True),
        "opening": entry.opening,
        "variants": variants,
    }
