"""Who the token acts as, and the merchant's profile."""

from __future__ import annotations

from flask.views import MethodView

from ..extensions import db
from ..merchants import services as merchants
from ..merchants.roles import Permission
from .blueprint import ApiBlueprint, principal
from .schemas.merchants import MerchantSchema, MerchantUpdateSchema, MeSchema

blp = ApiBlueprint("me", __name__, url_prefix="/api/v1",
                   description="The caller and its merchant.")


@blp.route("/me")
class Me(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.response(200, MeSchema)
    def get(self):
        """The token's user, merchant, role and store limits

        Tokens are created (and shown once) in the merchant dashboard under *API tokens*:
        creating one needs a logged-in session, so the API cannot mint tokens itself.
        """
        return principal()


@blp.route("/merchant")
class MerchantProfile(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.response(200, MerchantSchema)
    def get(self):
        """The merchant's profile"""
        return principal().merchant

    @blp.authorize(Permission.MANAGE_PROFILE)
    @blp.arguments(MerchantUpdateSchema)
    @blp.response(200, MerchantSchema)
    @blp.problems(409, 422)
    def patch(self, data):
        """Update the merchant's profile (owners)"""
        merchant = merchants.update_profile(principal().merchant, data)
        db.session.commit()
        return merchant
