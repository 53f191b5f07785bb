"""The merchant's plugins (owners): list, switch on or off, edit settings."""

from __future__ import annotations

from flask.views import MethodView

from ..extensions import db
from ..merchants.roles import Permission
from ..plugins import services as plugins
from .blueprint import ApiBlueprint, principal
from .schemas.plugins import MerchantPluginSchema, MerchantPluginUpdateSchema

blp = ApiBlueprint("plugins", __name__, url_prefix="/api/v1",
                   description="Plugins the platform offers and whether they run for the "
                               "merchant. Secret settings are write-only.")


@blp.route("/plugins")
class PluginCollection(MethodView):
    @blp.authorize(Permission.MANAGE_PLUGINS)
    @blp.response(200, MerchantPluginSchema(many=True))
    def get(self):
        """Merchant-level plugins installed on the platform, enabled or not"""
        return plugins.available_for_merchant(principal().merchant)


@blp.route("/plugins/<plugin_name>")
class PluginItem(MethodView):
    @blp.authorize(Permission.MANAGE_PLUGINS)
    @blp.response(200, MerchantPluginSchema)
    @blp.problems(404)
    def get(self, plugin):
        """One plugin, its settings (secrets masked) and their schema"""
        return plugins.merchant_plugin_view(principal().merchant, plugin.name)

    @blp.authorize(Permission.MANAGE_PLUGINS)
    @blp.arguments(MerchantPluginUpdateSchema)
    @blp.response(200, MerchantPluginSchema)
    @blp.problems(404, 422)
    def patch(self, data, plugin):
        """Save settings, then switch the plugin (enabling needs its required settings)"""
        merchant = principal().merchant
        if "settings" in data:
            plugins.update_merchant_settings(merchant, plugin.name, data["settings"])
        if "enabled" in data:
            plugins.set_enabled(merchant, plugin.name, data["enabled"])
        db.session.commit()
        return plugins.merchant_plugin_view(merchant, plugin.name)
