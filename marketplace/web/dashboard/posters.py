"""Posters: QR posters and flyers for a store, a listing or a campaign, ready to print, with
how often each was scanned."""

from __future__ import annotations

from flask import g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...catalog.models import Listing
from ...catalog.states import ListingStatus
from ...database import scoped
from ...errors import MarketplaceError
from ...extensions import db
from ...merchants.roles import Permission
from ...posters import render
from ...posters import services as posters
from ...stores.models import Store
from ...vouchers.models import Campaign
from ...vouchers.states import CampaignState
from . import bp, requires


def _choices() -> dict:
    stores = list(db.session.scalars(scoped(Store, g.merchant.id).order_by(Store.name)))
    listings = list(db.session.scalars(scoped(Listing, g.merchant.id).where(
        Listing.status == ListingStatus.PUBLISHED).order_by(Listing.title)))
    campaigns = list(db.session.scalars(scoped(Campaign, g.merchant.id).where(
        Campaign.state != CampaignState.ENDED).order_by(Campaign.id.desc())))
    return {"stores": stores, "listings": listings, "campaigns": campaigns}


def _page(*, values=None, errors=None, message=None, status=200):
    counts = posters.scan_counts(g.merchant.id)
    return render_template(
        "dashboard/posters/index.html", values=values or {}, errors=errors or {},
        message=message, posters=[posters.summary(p, counts) | {"store": p.store}
                                  for p in posters.listing(g.merchant.id)],
        **_choices()), status


@bp.get("/<merchant_slug>/posters")
@requires(Permission.MANAGE_CAMPAIGNS)
def posters_index(merchant_slug: str):
    return _page(values={"target": request.args.get("target", ""),
                         "store_id": request.args.get("store_id", "")})


@bp.post("/<merchant_slug>/posters")
@requires(Permission.MANAGE_CAMPAIGNS)
def poster_create(merchant_slug: str):
    values = {key: (request.form.get(key) or "").strip()
              for key in ("target", "store_id", "headline")}
    target, _sep, target_id = values["target"].partition(":")
    try:
        posters.create_poster(g.merchant, {"target": target, "target_id": target_id,
                                           "store_id": values["store_id"],
                                           "headline": values["headline"]})
    except MarketplaceError as exc:
        db.session.rollback()
        return _page(values=values, errors=exc.fields, message=exc.message, status=exc.status)
    db.session.commit()
    return redirect(url_for("dashboard.posters_index"), code=303)


@bp.get("/<merchant_slug>/posters/<int:poster_id>.<any(png, pdf):fmt>")
@requires(Permission.MANAGE_CAMPAIGNS)
def poster_print(merchant_slug: str, poster_id: int, fmt: str):
    poster = posters.get_poster(g.merchant.id, poster_id)
    store = poster.store
    image = render.page(
        merchant=g.merchant.name, headline=poster.headline,
        call_to_action=_("Scan with your phone camera"), link=posters.short_link(poster),
        store_line=f"{store.name} · {store.address}")
    body = render.pdf(image, title=poster.headline) if fmt == "pdf" else render.png(image)
    response = make_response(body)
    response.mimetype = "application/pdf" if fmt == "pdf" else "image/png"
    response.headers["Content-Disposition"] = \
        f'attachment; filename="poster-{poster.id}.{fmt}"'
    return response

