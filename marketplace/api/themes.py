"""Storefront themes: the installed ones (public, in the catalog) and the merchant's choice."""

from __future__ import annotations

from flask.views import MethodView

from ..extensions import db
from ..merchants.roles import Permission
from ..theming import current_engine
from ..theming.services import set_theme
from .blueprint import ApiBlueprint, principal
from .catalog import blp as public
from .schemas.themes import MerchantThemeSchema, MerchantThemeUpdateSchema, ThemeSchema

blp = ApiBlueprint("theme", __name__, url_prefix="/api/v1",
                   description="The merchant's storefront theme.")


@public.route("/themes")
class ThemeCollection(MethodView):
    @public.response(200, ThemeSchema(many=True))
    def get(self):
        """Every installed theme"""
        return list(current_engine().themes.values())


@blp.route("/theme")
class MerchantTheme(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.response(200, MerchantThemeSchema)
    def get(self):
        """The theme the merchant's storefront uses"""
        return {"theme": current_engine().theme_for(principal().merchant)}

    @blp.authorize(Permission.MANAGE_PROFILE)
    @blp.arguments(MerchantThemeUpdateSchema)
    @blp.response(200, MerchantThemeSchema)
    @blp.problems(422)
    def put(self, data):
        """Choose the storefront theme"""
        theme = set_theme(principal().merchant, data["theme"])
        db.session.commit()
        return {"theme": theme}
