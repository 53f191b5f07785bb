"""Listings, their variants and images. Nothing is deleted: listings are archived."""

from __future__ import annotations

from flask.views import MethodView

from ..catalog import services as catalog
from ..catalog.models import Listing
from ..database import scoped
from ..extensions import db
from ..media import delete_file
from ..merchants.roles import Permission
from .blueprint import ApiBlueprint, principal
from .pagination import page_schema, paginate
from .schemas.common import ImageSchema
from .schemas.listings import (
    ImageUploadSchema,
    ListingCreateSchema,
    ListingQuerySchema,
    ListingSchema,
    ListingUpdateSchema,
    TransitionSchema,
    VariantCreateSchema,
    VariantSchema,
    VariantUpdateSchema,
)

blp = ApiBlueprint("listings", __name__, url_prefix="/api/v1/listings",
                   description="Products (with variants), services and vouchers. A listing "
                               "starts in draft; publish it with a transition.")


@blp.route("")
class ListingCollection(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.arguments(ListingQuerySchema, location="query")
    @blp.response(200, page_schema(ListingSchema))
    def get(self, args):
        """The merchant's listings, newest first"""
        stmt = scoped(Listing, principal().merchant.id).order_by(Listing.id.desc())
        if "status" in args:
            stmt = stmt.where(Listing.status == args["status"])
        if "kind" in args:
            stmt = stmt.where(Listing.kind == args["kind"])
        return paginate(stmt, args)

    @blp.authorize(Permission.MANAGE_LISTINGS)
    @blp.arguments(ListingCreateSchema)
    @blp.response(201, ListingSchema)
    @blp.problems(409, 422)
    def post(self, data):
        """Create a listing (in draft)

        A product gives `variants` (each with a `sku` and a `price`); a service or voucher
        gives `price` and optionally `sku` for its single variant. Prices are integers in the
        currency's minor unit.
        """
        listing = catalog.create_listing(principal().merchant, data)
        db.session.commit()
        return listing


@blp.route("/<int:listing_id>")
class ListingItem(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.response(200, ListingSchema)
    @blp.problems(404)
    def get(self, listing):
        """One listing with its variants and images"""
        return listing

    @blp.authorize(Permission.MANAGE_LISTINGS)
    @blp.arguments(ListingUpdateSchema)
    @blp.response(200, ListingSchema)
    @blp.problems(404, 409, 422)
    def patch(self, data, listing):
        """Change a listing; only the fields sent change (archive instead of deleting)"""
        listing = catalog.update_listing(listing, data)
        db.session.commit()
        return listing


@blp.route("/<int:listing_id>/transitions")
class ListingTransitions(MethodView):
    @blp.authorize(Permission.MANAGE_LISTINGS)
    @blp.arguments(TransitionSchema)
    @blp.response(200, ListingSchema)
    @blp.problems(404, 409, 422)
    def post(self, data, listing):
        """Publish, unpublish, archive or restore a listing

        draft → publish → published → unpublish → draft; draft or published → archive →
        archived → restore → draft. An event not allowed in the current state is a 409
        `invalid_transition`; the listing's `events` says which are allowed.
        """
        listing = catalog.change_status(listing, data["event"])
        db.session.commit()
        return listing


@blp.route("/<int:listing_id>/variants")
class VariantCollection(MethodView):
    @blp.authorize(Permission.MANAGE_LISTINGS)
    @blp.arguments(VariantCreateSchema)
    @blp.response(201, VariantSchema)
    @blp.problems(404, 409, 422)
    def post(self, data, listing):
        """Add a variant to a product"""
        variant = catalog.add_variant(listing, data)
        db.session.commit()
        return variant


@blp.route("/<int:listing_id>/variants/<int:variant_id>")
class VariantItem(MethodView):
    @blp.authorize(Permission.MANAGE_LISTINGS)
    @blp.arguments(VariantUpdateSchema)
    @blp.response(200, VariantSchema)
    @blp.problems(404, 409, 422)
    def patch(self, data, listing, variant):
        """Change a variant; only the fields sent change"""
        variant = catalog.update_variant(variant, data)
        db.session.commit()
        return variant

    @blp.authorize(Permission.MANAGE_LISTINGS)
    @blp.response(204, description="The variant was deleted.")
    @blp.alt_response(200, schema=VariantSchema, success=True,
                      description="The variant has stock history, so it was deactivated "
                                  "instead (history stays).")
    @blp.problems(404, 409)
    def delete(self, listing, variant):
        """Delete a variant, or deactivate it when it has stock history"""
        deleted = catalog.remove_variant(variant)
        db.session.commit()
        if deleted:
            return None
        return VariantSchema().dump(variant), 200


@blp.route("/<int:listing_id>/images")
class ImageCollection(MethodView):
    @blp.authorize(Permission.MANAGE_LISTINGS)
    @blp.arguments(ImageUploadSchema, location="files")
    @blp.response(201, ImageSchema)
    @blp.problems(404, 413, 422)
    def post(self, files, listing):
        """Upload an image (multipart field `image`: JPEG, PNG or WebP)

        The image is checked by its content and re-encoded, which drops metadata such as
        GPS positions.
        """
        image = catalog.add_image(listing, files["image"].stream)
        db.session.commit()
        return image


@blp.route("/<int:listing_id>/images/<int:image_id>")
class ImageItem(MethodView):
    @blp.authorize(Permission.MANAGE_LISTINGS)
    @blp.response(204)
    @blp.problems(404)
    def delete(self, listing, image):
        """Remove an image"""
        path = catalog.remove_image(image)
        db.session.commit()
        delete_file(path)  # only once the row is gone for good
        return None
