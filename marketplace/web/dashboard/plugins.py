"""The merchant's plugins: switch merchant-level plugins on or off, edit their settings.

Needs MANAGE_PLUGINS (owners): settings can hold a payment provider's secret key. The
settings form is generated from the plugin's declared schema; secrets are never sent back.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...errors import MarketplaceError
from ...extensions import db
from ...merchants.roles import Permission
from ...plugins import services as plugins
from ...plugins.settings import SettingType
from . import bp, requires


def submitted_settings(schema) -> dict:
    """The posted values of a schema's fields (unchecked boxes post nothing: that is False)."""
    values = {}
    for setting in schema:
        if setting.type == SettingType.BOOLEAN:
            values[setting.key] = setting.key in request.form
        else:
            values[setting.key] = request.form.get(setting.key, "")
    return values


@bp.get("/<merchant_slug>/plugins")
@requires(Permission.MANAGE_PLUGINS)
def plugins_index(merchant_slug: str):
    return render_template("dashboard/plugins/index.html",
                           plugins=plugins.available_for_merchant(g.merchant))


@bp.post("/<merchant_slug>/plugins/<plugin_name>/enabled")
@requires(Permission.MANAGE_PLUGINS)
def plugin_switch(merchant_slug: str, plugin_name: str):
    enable = request.form.get("enabled") == "1"
    try:
        plugins.set_enabled(g.merchant, plugin_name, enable)
    except MarketplaceError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        flash(str(exc.message), "error")
        return redirect(url_for("dashboard.plugin_settings", plugin_name=plugin_name), code=303)
    db.session.commit()
    flash(_("The plugin was enabled.") if enable else _("The plugin was disabled."), "success")
    return redirect(url_for("dashboard.plugins_index"), code=303)


@bp.route("/<merchant_slug>/plugins/<plugin_name>", methods=["GET", "POST"])
@requires(Permission.MANAGE_PLUGINS)
def plugin_settings(merchant_slug: str, plugin_name: str):
    view = plugins.merchant_plugin_view(g.merchant, plugin_name)  # 404 for unknown plugins
    schema = view.plugin.info.merchant_settings
    if request.method == "GET":
        return render_template("dashboard/plugins/settings.html", view=view,
                               values=view.settings, errors={})
    values = submitted_settings(schema)
    try:
        plugins.update_merchant_settings(g.merchant, plugin_name, values)
    except MarketplaceError as exc:
        db.session.rollback()
        # Typed secrets are not echoed back into the page.
        shown = {k: ("" if s.is_secret else values.get(k)) for s in schema for k in [s.key]}
        return render_template("dashboard/plugins/settings.html", view=view, values=shown,
                               errors=exc.fields, message=exc.message), exc.status
    db.session.commit()
    flash(_("The settings were saved."), "success")
    return redirect(url_for("dashboard.plugin_settings", plugin_name=plugin_name), code=303)
