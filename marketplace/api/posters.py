"""QR posters: create one for a store, a listing or a campaign; list them with their scans."""

from __future__ import annotations

from flask.views import MethodView

from ..extensions import db
from ..merchants.roles import Permission
from ..posters import services as posters
from .blueprint import ApiBlueprint, principal
from .schemas.posters import PosterCreateSchema, PosterSchema

blp = ApiBlueprint("posters", __name__, url_prefix="/api/v1/posters",
                   description="Printable QR posters and flyers, and how often each was "
                               "scanned (print them from the dashboard: PDF or PNG).")


@blp.route("")
class PosterCollection(MethodView):
    @blp.authorize(Permission.MANAGE_CAMPAIGNS)
    @blp.response(200, PosterSchema(many=True))
    def get(self):
        """The merchant's posters, newest first, with scans and distinct visitors"""
        merchant_id = principal().merchant.id
        counts = posters.scan_counts(merchant_id)
        return [posters.summary(p, counts) for p in posters.listing(merchant_id)]

    @blp.authorize(Permission.MANAGE_CAMPAIGNS)
    @blp.arguments(PosterCreateSchema)
    @blp.response(201, PosterSchema)
    @blp.problems(422)
    def post(self, data):
        """Make a poster; its QR code holds `link`, which counts the scan and goes on to the
        target's page with the poster's store as the source"""
        poster = posters.create_poster(principal().merchant, data)
        db.session.commit()
        return posters.summary(poster, {})


@blp.route("/<int:poster_id>")
class PosterItem(MethodView):
    @blp.authorize(Permission.MANAGE_CAMPAIGNS)
    @blp.response(200, PosterSchema)
    @blp.problems(404)
    def get(self, poster):
        """One poster with its scans and distinct visitors"""
        return posters.summary(poster, posters.scan_counts(poster.merchant_id))
