"""The merchant's public profile: name, address (slug), description, contact, currency, logo.
Needs MANAGE_PROFILE (owners)."""

from __future__ import annotations

import io

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...errors import MarketplaceError
from ...extensions import db
from ...media import delete_file
from ...merchants import services as merchants
from ...merchants.roles import Permission
from . import bp, requires


def _stored_values() -> dict:
    merchant = g.merchant
    return {"name": merchant.name, "slug": merchant.slug, "description": merchant.description,
            "contact_email": merchant.contact_email or "", "phone": merchant.phone or "",
            "default_currency": merchant.default_currency}


def _render(*, form: str | None = None, values=None, errors=None, message=None,
            status: int = 200):
    return render_template("dashboard/profile.html", form=form,
                           values=values if form == "profile" else _stored_values(),
                           errors=errors or {}, message=message), status


@bp.route("/<merchant_slug>/profile", methods=["GET", "POST"])
@requires(Permission.MANAGE_PROFILE)
def profile(merchant_slug: str):
    if request.method == "GET":
        return _render()
    values = {name: (request.form.get(name) or "").strip()
              for name in merchants.PROFILE_FIELDS}
    try:
        merchants.update_profile(g.merchant, values)
    except MarketplaceError as exc:
        db.session.rollback()
        return _render(form="profile", values=values, errors=exc.fields, message=exc.message,
                       status=exc.status)
    db.session.commit()
    flash(_("The profile was saved."), "success")
    # The address may have changed: follow the merchant to its new slug.
    return redirect(url_for("dashboard.profile", merchant_slug=g.merchant.slug), code=303)


@bp.post("/<merchant_slug>/profile/logo")
@requires(Permission.MANAGE_PROFILE)
def profile_logo(merchant_slug: str):
    upload = request.files.get("logo")
    try:
        previous = merchants.set_logo(g.merchant, upload.stream if upload else io.BytesIO())
    except MarketplaceError as exc:
        db.session.rollback()
        return _render(form="logo", errors=exc.fields, message=exc.message, status=exc.status)
    db.session.commit()
    delete_file(previous)  # the old file goes only once the new one is recorded
    flash(_("The logo was changed."), "success")
    return redirect(url_for("dashboard.profile"), code=303)
