"""Choosing a merchant, and a merchant's home page with its approval status."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...catalog.models import Listing
from ...errors import MarketplaceError
from ...extensions import db
from ...merchants import services as merchants
from ...merchants.roles import Permission
from ...stores.services import accessible_stores
from . import bp, requires


@bp.get("/")
def index():
    memberships = current_user.memberships
    if len(memberships) == 1:
        return redirect(url_for("dashboard.overview", merchant_slug=memberships[0].merchant.slug))
    return render_template("dashboard/index.html", memberships=memberships)


@bp.get("/<merchant_slug>/")
def overview(merchant_slug: str):
    listing_counts = dict(db.session.execute(
        sa.select(Listing.status, sa.func.count()).where(Listing.merchant_id == g.merchant.id)
        .group_by(Listing.status)).all())
    return render_template("dashboard/overview.html", stores=accessible_stores(g.membership),
                           listing_counts=listing_counts)


@bp.post("/<merchant_slug>/resubmit")
@requires(Permission.MANAGE_PROFILE)
def resubmit(merchant_slug: str):
    """A rejected merchant, after fixing its profile, asks for review again."""
    try:
        merchants.change_status(g.merchant, "resubmit", actor=current_user,
                                reason=request.form.get("note"))
    except MarketplaceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("dashboard.overview"), code=303)
    db.session.commit()
    flash(_("Your merchant account was sent for review again."), "success")
    return redirect(url_for("dashboard.overview"), code=303)
