"""The public catalog: no token, read only, only what the storefront shows.

Visibility is defined once, in ``catalog.queries``: approved merchants, their active stores
and published listings. Anything else is 404, whoever asks.
"""

from __future__ import annotations

from flask.views import MethodView

from ..catalog import queries
from ..catalog.models import Listing
from ..database import MAX_ID
from ..errors import NotFound
from ..extensions import db
from ..stores.models import Store
from ..vouchers import claims
from ..vouchers import services as campaigns
from .blueprint import ApiBlueprint
from .pagination import PageArgsSchema, page_schema, paginate
from .schemas.campaigns import PublicCampaignSchema
from .schemas.catalog import (
    PublicListingDetailSchema,
    PublicListingQuerySchema,
    PublicListingSchema,
    PublicMerchantDetailSchema,
    PublicMerchantSchema,
    PublicStoreSchema,
)
from .schemas.common import Annotated


def _located(model, object_id: int):
    """The row with this id whatever its visibility (the public queries decide that), or 404."""
    row = db.session.get(model, object_id) if 0 < object_id <= MAX_ID else None
    if row is None:
        raise NotFound(model.__name__.lower())
    return row


blp = ApiBlueprint("catalog", __name__, url_prefix="/api/v1/catalog",
                   token_authenticated=False,
                   description="What anyone may see, without a token: approved merchants, "
                               "their active stores, published listings and campaigns.")


@blp.route("/merchants")
class PublicMerchants(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(PublicMerchantSchema))
    def get(self, args):
        """Approved merchants, by name"""
        return paginate(queries.public_merchants(), args)


@blp.route("/merchants/<merchant_slug>")
class PublicMerchant(MethodView):
    @blp.response(200, PublicMerchantDetailSchema)
    @blp.problems(404)
    def get(self, merchant_slug: str):
        """One approved merchant with its active stores"""
        merchant = queries.public_merchant(merchant_slug)
        return Annotated(merchant, stores=queries.public_stores(merchant))


@blp.route("/listings")
class PublicListings(MethodView):
    @blp.arguments(PublicListingQuerySchema, location="query")
    @blp.response(200, page_schema(PublicListingSchema))
    def get(self, args):
        """Published listings, newest first (filter by merchant, category, kind, title)"""
        merchant = None
        if args.get("merchant"):
            try:
                merchant = queries.public_merchant(args["merchant"])
            except NotFound:
                return paginate([], args)  # an unknown merchant has no listings
        return paginate(
            lambda limit, offset: queries.public_listings(
                merchant=merchant, category=args.get("category"), kind=args.get("kind"),
                q=args.get("q"), limit=limit, offset=offset),
            args)


@blp.route("/listings/<int:listing_id>")
class PublicListing(MethodView):
    @blp.response(200, PublicListingDetailSchema)
    @blp.problems(404)
    def get(self, listing_id: int):
        """One published listing: variants with prices, images, and where it is in stock"""
        found = _located(Listing, listing_id)
        listing = queries.public_listing(found.merchant, found.slug)
        availability = queries.store_availability(listing)
        variants = [
            Annotated(variant, stores=[
                {"store_id": store.id, "name": store.name, "available": available}
                for store, available in availability.get(variant.id, []) if available > 0])
            for variant in listing.active_variants]
        return Annotated(listing, variants=variants)


@blp.route("/stores/<int:store_id>")
class PublicStore(MethodView):
    @blp.response(200, PublicStoreSchema)
    @blp.problems(404)
    def get(self, store_id: int):
        """One active store: address, position, hours, upcoming exceptions, open now, pickup"""
        found = _located(Store, store_id)
        return queries.public_store(found.merchant, found.slug)


@blp.route("/merchants/<merchant_slug>/campaigns")
class PublicCampaigns(MethodView):
    @blp.response(200, PublicCampaignSchema(many=True))
    @blp.problems(404)
    def get(self, merchant_slug: str):
        """The merchant's campaigns open for claims now, ending soonest first"""
        merchant = queries.public_merchant(merchant_slug)
        return [claims.public_facts(c) for c in campaigns.public_campaigns(merchant)]


@blp.route("/campaigns/<token>")
class PublicCampaign(MethodView):
    @blp.response(200, PublicCampaignSchema)
    @blp.problems(404)
    def get(self, token: str):
        """A campaign by the token of its public link, and whether claims are open"""
        return claims.public_facts(campaigns.public_campaign(token))
