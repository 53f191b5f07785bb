"""The merchant's storefront theme: pick one, preview it first. Needs MANAGE_PROFILE."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...errors import MarketplaceError
from ...extensions import db
from ...merchants.roles import Permission
from ...theming import current_engine
from ...theming.services import set_theme
from . import bp, requires


def _render(*, errors=None, message=None, status: int = 200):
    engine = current_engine()
    return render_template("dashboard/theme.html", themes=list(engine.themes.values()),
                           current=engine.theme_for(g.merchant), errors=errors or {},
                           message=message), status


@bp.route("/<merchant_slug>/theme", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROFILE)
def theme(merchant_slug: str):
    if request.method == "GET":
        return _render()
    try:
        chosen = set_theme(g.merchant, request.form.get("theme"))
    except MarketplaceError as exc:
        db.session.rollback()
        return _render(errors=exc.fields, message=exc.message, status=exc.status)
    db.session.commit()
    flash(_("Your storefront now uses the %(theme)s theme.", theme=chosen.name), "success")
    return redirect(url_for("dashboard.theme"), code=303)
