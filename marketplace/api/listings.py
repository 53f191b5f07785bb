"""Listings, their variants and images. Nothing is deleted: listings are archived."""

from __future__ import annotations

from flask.views import MethodView

from ..catalog import services as catalog
from ..catalog.models import Listing
from ..database import scoped
from ..errors import NotFound
from ..extensions import db
from ..media import delete_file
from ..merchants.roles import Permission
from ..merchants.services import require
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


def _listing_for(listing_id: int, permission: Permission) -> Listing:
    caller = principal()
    require(caller.membership, permission)
    return catalog.get_listing(caller.merchant.id, listing_id)


def _variant_of(listing: Listing, variant_id: int):
    variant = catalog.get_variant(listing.merchant_id, variant_id)
    if variant.listing_id != listing.id:
        raise NotFound("variant")
    return variant


@blp.route("")
class ListingCollection(MethodView):
    @blp.token_required
    @blp.arguments(ListingQuerySchema, location="query")
    @blp.response(200, page_schema(ListingSchema))
    @blp.problems(403)
    def get(self, args):
        """The merchant's listings, newest first"""
        caller = principal()
        require(caller.membership, Permission.VIEW)
        stmt = scoped(Listing, caller.merchant.id).order_by(Listing.id.desc())
        if "status" in args:
            stmt = stmt.where(Listing.status == args["status"])
        if "kind" in args:
            stmt = stmt.where(Listing.kind == args["kind"])
        return paginate(stmt, args)

    @blp.token_required
    @blp.arguments(ListingCreateSchema)
    @blp.response(201, ListingSchema)
    @blp.problems(403, 409, 422)
    def post(self, data):
        """Create a listing (in draft)

        A product gives `variants` (each with a `sku` and a `price`); a service or voucher
        gives `price` and optionally `sku` for its single variant. Prices are integers in the
        currency's minor unit.
        """
        caller = principal()
        require(caller.membership, Permission.MANAGE_LISTINGS)
        listing = catalog.create_listing(caller.merchant, data)
        db.session.commit()
        return listing


@blp.route("/<int:listing_id>")
class ListingItem(MethodView):
    @blp.token_required
    @blp.response(200, ListingSchema)
    @blp.problems(403, 404)
    def get(self, listing_id: int):
        """One listing with its variants and images"""
        return _listing_for(listing_id, Permission.VIEW)

    @blp.token_required
    @blp.arguments(ListingUpdateSchema)
    @blp.response(200, ListingSchema)
    @blp.problems(403, 404, 409, 422)
    def patch(self, data, listing_id: int):
        """Change a listing; only the fields sent change (archive instead of deleting)"""
        listing = catalog.update_listing(_listing_for(listing_id, Permission.MANAGE_LISTINGS),
                                         data)
        db.session.commit()
        return listing


@blp.route("/<int:listing_id>/transitions")
class ListingTransitions(MethodView):
    @blp.token_required
    @blp.arguments(TransitionSchema)
    @blp.response(200, ListingSchema)
    @blp.problems(403, 404, 409, 422)
    def post(self, data, listing_id: int):
        """Publish, unpublish, archive or restore a listing

        draft → publish → published → unpublish → draft; draft or published → archive →
        archived → restore → draft. An event not allowed in the current state is a 409
        `invalid_transition`; the listing's `events` says which are allowed.
        """
        listing = catalog.change_status(_listing_for(listing_id, Permission.MANAGE_LISTINGS),
                                        data["event"])
        db.session.commit()
        return listing


@blp.route("/<int:listing_id>/variants")
class VariantCollection(MethodView):
    @blp.token_required
    @blp.arguments(VariantCreateSchema)
    @blp.response(201, VariantSchema)
    @blp.problems(403, 404, 409, 422)
    def post(self, data, listing_id: int):
        """Add a variant to a product"""
        variant = catalog.add_variant(_listing_for(listing_id, Permission.MANAGE_LISTINGS),
                                      data)
        db.session.commit()
        return variant


@blp.route("/<int:listing_id>/variants/<int:variant_id>")
class VariantItem(MethodView):
    @blp.token_required
    @blp.arguments(VariantUpdateSchema)
    @blp.response(200, VariantSchema)
    @blp.problems(403, 404, 409, 422)
    def patch(self, data, listing_id: int, variant_id: int):
        """Change a variant; only the fields sent change"""
        listing = _listing_for(listing_id, Permission.MANAGE_LISTINGS)
        variant = catalog.update_variant(_variant_of(listing, variant_id), data)
        db.session.commit()
        return variant

    @blp.token_required
    @blp.response(204, description="The variant was deleted.")
    @blp.alt_response(200, schema=VariantSchema, success=True,
                      description="The variant has stock history, so it was deactivated "
                                  "instead (history stays).")
    @blp.problems(403, 404, 409)
    def delete(self, listing_id: int, variant_id: int):
        """Delete a variant, or deactivate it when it has stock history"""
        listing = _listing_for(listing_id, Permission.MANAGE_LISTINGS)
        variant = _variant_of(listing, variant_id)
        deleted = catalog.remove_variant(variant)
        db.session.commit()
        if deleted:
            return None
        return VariantSchema().dump(variant), 200


@blp.route("/<int:listing_id>/images")
class ImageCollection(MethodView):
    @blp.token_required
    @blp.arguments(ImageUploadSchema, location="files")
    @blp.response(201, ImageSchema)
    @blp.problems(403, 404, 413, 422)
    def post(self, files, listing_id: int):
        """Upload an image (multipart field `image`: JPEG, PNG or WebP)

        The image is checked by its content and re-encoded, which drops metadata such as
        GPS positions.
        """
        listing = _listing_for(listing_id, Permission.MANAGE_LISTINGS)
        image = catalog.add_image(listing, files["image"].stream)
        db.session.commit()
        return image


@blp.route("/<int:listing_id>/images/<int:image_id>")
class ImageItem(MethodView):
    @blp.token_required
    @blp.response(204)
    @blp.problems(403, 404)
    def delete(self, listing_id: int, image_id: int):
        """Remove an image"""
        listing = _listing_for(listing_id, Permission.MANAGE_LISTINGS)
        image = catalog.get_image(listing.merchant_id, image_id)
        if image.listing_id != listing.id:
            raise NotFound("image")
        path = catalog.remove_image(image)
        db.session.commit()
        delete_file(path)  # only once the row is gone for good
        return None
