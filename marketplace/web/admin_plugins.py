"""Platform admin: the plugins the platform knows, install/uninstall/block, global settings.

Blocking stops a plugin's merchant hooks and routes at once (statuses are read per request)
and keeps it from being loaded at all from the next start.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth import admin_required
from ..errors import MarketplaceError
from ..extensions import db
from ..plugins import services as plugins
from ..plugins.manager import current_platform
from ..plugins.models import MerchantPlugin, PlatformPlugin
from ..plugins.states import TRANSITIONS, PlatformEvent, PlatformStatus
from ..states import events_from
from .admin import bp
from .dashboard.plugins import submitted_settings

EVENT_LABELS = {
    PlatformEvent.INSTALL: _l("Install"),
    PlatformEvent.UNINSTALL: _l("Uninstall"),
    PlatformEvent.BLOCK: _l("Block"),
    PlatformEvent.UNBLOCK: _l("Unblock"),
}
STATUS_LABELS = {
    PlatformStatus.AVAILABLE: _l("Available"),
    PlatformStatus.INSTALLED: _l("Installed"),
    PlatformStatus.BLOCKED: _l("Blocked"),
}
SOURCE_LABELS = {"builtin": _l("Built-in"), "package": _l("Package")}


def _rows():
    platform = current_platform()
    enabled_counts = dict(db.session.execute(
        sa.select(MerchantPlugin.plugin_name, sa.func.count())
        .where(MerchantPlugin.enabled).group_by(MerchantPlugin.plugin_name)).all())
    reasons = dict(db.session.execute(sa.select(PlatformPlugin.name, PlatformPlugin.reason)).all())
    everything = {**platform.not_loaded, **platform.plugins}
    rows = []
    for name in sorted(everything):
        loaded = everything[name]
        if loaded.source == "core":
            continue
        status = platform.status(name)
        rows.append({"plugin": loaded, "status": status, "reason": reasons.get(name),
                     "merchants": enabled_counts.get(name, 0),
                     "events": events_from(TRANSITIONS, status)})
    return rows


@bp.get("/plugins")
@admin_required
def plugins_index():
    platform = current_platform()
    return render_template("admin/plugins.html", rows=_rows(),
                           configured_safe_mode=platform.safe_mode,
                           safe_mode=platform.in_safe_mode(),
                           autoload=current_app.config.get("PLUGINS_AUTOLOAD", True),
                           event_labels=EVENT_LABELS, status_labels=STATUS_LABELS,
                           source_labels=SOURCE_LABELS)


@bp.post("/plugins/<plugin_name>/status")
@admin_required
def plugin_status(plugin_name: str):
    plugins.known_plugin(plugin_name)  # 404 before anything else
    try:
        event = PlatformEvent(request.form.get("event", ""))
    except ValueError:
        flash(_("Unknown action."), "error")
        return redirect(url_for("admin.plugins_index"), code=303)
    try:
        plugins.change_platform_status(plugin_name, event, actor=current_user,
                                       reason=request.form.get("reason"))
    except MarketplaceError as exc:
        db.session.rollback()
        flash(str(exc.message) + "".join(f" {m}" for ms in exc.fields.values() for m in ms),
              "error")
        return redirect(url_for("admin.plugins_index"), code=303)
    db.session.commit()
    current_platform().forget_statuses()
    flash(_("%(plugin)s: %(status)s.", plugin=plugin_name,
            status=STATUS_LABELS[current_platform().status(plugin_name)]), "success")
    return redirect(url_for("admin.plugins_index"), code=303)


@bp.post("/plugins/safe-mode")
@admin_required
def plugins_safe_mode():
    on = request.form.get("on") == "1"
    plugins.set_safe_mode(on, actor=current_user)
    db.session.commit()
    flash(_("Safe mode is on: third-party plugins are stopped.") if on
          else _("Safe mode is off: installed third-party plugins run again."), "success")
    return redirect(url_for("admin.plugins_index"), code=303)


@bp.route("/plugins/<plugin_name>", methods=["GET", "POST"])
@admin_required
def plugin_settings(plugin_name: str):
    loaded = plugins.known_plugin(plugin_name)
    schema = loaded.info.global_settings if loaded.info else ()
    if request.method == "GET":
        return render_template("admin/plugin.html", plugin=loaded,
                               values=plugins.global_settings_view(plugin_name), errors={},
                               status=current_platform().status(plugin_name),
                               status_labels=STATUS_LABELS)
    values = submitted_settings(schema)
    try:
        plugins.update_global_settings(plugin_name, values, actor=current_user)
    except MarketplaceError as exc:
        db.session.rollback()
        shown = {s.key: ("" if s.is_secret else values.get(s.key)) for s in schema}
        return render_template("admin/plugin.html", plugin=loaded, values=shown,
                               errors=exc.fields, message=exc.message,
                               status=current_platform().status(plugin_name),
                               status_labels=STATUS_LABELS), exc.status
    db.session.commit()
    flash(_("The settings were saved."), "success")
    return redirect(url_for("admin.plugin_settings", plugin_name=plugin_name), code=303)
