"""Campaigns: the list with their figures, a new campaign, one campaign's page (its link,
where claims came from, its vouchers, its state), and the voucher counter where staff type a
code and the bill, see the discount and redeem it."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...catalog import services as catalog
from ...catalog.models import Listing, Variant
from ...catalog.states import ListingStatus
from ...database import scoped, utcnow
from ...errors import MarketplaceError
from ...extensions import db
from ...merchants.roles import Permission
from ...orders.audit import Actor
from ...outbox.services import notify
from ...posters import funnel
from ...redemption import limits
from ...redemption import services as redemption
from ...states import events_from
from ...stores.models import Store
from ...stores.services import accessible_stores, get_accessible_store
from ...vouchers import claims, services, usage
from ...vouchers.links import campaign_url
from ...vouchers.states import (
    CAMPAIGN_EVENT_LABELS,
    CAMPAIGN_STATE_LABELS,
    CAMPAIGN_TRANSITIONS,
    CHANNEL_LABELS,
    SOURCE_LABELS,
    VOUCHER_STATE_LABELS,
    CampaignState,
)
from ...vouchers.texts import conditions
from . import bp, requires
from . import campaign_forms as forms
from .listing_forms import parse_price

SHOWN = 200
VOUCHERS_SHOWN = 100


def _actor() -> Actor:
    return Actor.staff(current_user)


def _labels() -> dict:
    return {"state_labels": CAMPAIGN_STATE_LABELS, "event_labels": CAMPAIGN_EVENT_LABELS,
            "channel_labels": CHANNEL_LABELS, "source_labels": SOURCE_LABELS,
            "voucher_labels": VOUCHER_STATE_LABELS}


def _choices() -> dict:
    """What the form offers: the merchant's listings and items, categories, stores."""
    listings = list(db.session.scalars(scoped(Listing, g.merchant.id).where(
        Listing.status != ListingStatus.ARCHIVED).order_by(Listing.title)))
    variants = list(db.session.scalars(scoped(Variant, g.merchant.id).join(Listing).where(
        Variant.is_active.is_(True), Listing.status != ListingStatus.ARCHIVED)
        .order_by(Listing.title, Variant.position, Variant.id)))
    return {"listings": listings, "variants": variants, "categories": catalog.categories(),
            "stores": list(db.session.scalars(scoped(Store, g.merchant.id)
                                              .order_by(Store.name))),
            "zone": forms.zone().key}


def _to(campaign_id: int):
    return redirect(url_for("dashboard.campaign", campaign_id=campaign_id), code=303)


@bp.get("/<merchant_slug>/campaigns")
@requires(Permission.MANAGE_CAMPAIGNS)
def campaigns(merchant_slug: str):
    found = list(db.session.scalars(services.campaigns_of(g.merchant.id).limit(SHOWN)))
    return render_template("dashboard/campaigns/index.html", campaigns=found,
                           figures=services.figures(g.merchant.id, [c.id for c in found]),
                           now=utcnow(), **_labels())


def _render_new(values: dict, *, errors=None, message=None, status: int = 200):
    return render_template("dashboard/campaigns/new.html", values=values, errors=errors or {},
                           message=message, **_choices(), **_labels()), status


@bp.route("/<merchant_slug>/campaigns/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def campaign_new(merchant_slug: str):
    if request.method == "GET":
        return _render_new(forms.blank(g.merchant, utcnow()))
    values = forms.read(request.form)
    try:
        campaign = services.create_campaign(g.merchant, forms.data(values), actor=_actor())
    except MarketplaceError as exc:
        db.session.rollback()
        return _render_new(values, errors=exc.fields, message=exc.message, status=exc.status)
    db.session.commit()
    flash(_("The campaign was saved as a draft. Start it when it is ready."), "success")
    return _to(campaign.id)


def _render_campaign(campaign, *, form: str | None = None, values=None, errors=None,
                     message=None, status: int = 200):
    vouchers = list(db.session.scalars(services.vouchers_of(campaign).limit(VOUCHERS_SHOWN)))
    figures = services.figures(g.merchant.id, [campaign.id])[campaign.id]
    return render_template(
        "dashboard/campaigns/detail.html", campaign=campaign, figures=figures,
        sources=services.claim_sources(campaign), vouchers=vouchers,
        funnel=funnel.campaign_funnel(campaign),
        link=campaign_url(campaign), conditions=conditions(campaign),
        events=events_from(CAMPAIGN_TRANSITIONS, CampaignState(campaign.state)),
        editable=campaign.state != CampaignState.ENDED,
        draft=campaign.state == CampaignState.DRAFT,
        values=values if form == "campaign" else forms.values_of(campaign),
        form=form, errors=errors or {}, message=message, **_choices(), **_labels()), status


def _failed(campaign_id: int, exc: MarketplaceError, form: str, values=None):
    db.session.rollback()
    campaign = services.get_campaign(g.merchant.id, campaign_id)  # as stored
    return _render_campaign(campaign, form=form, values=values, errors=exc.fields,
                            message=exc.message, status=exc.status)


@bp.get("/<merchant_slug>/campaigns/<int:campaign_id>")
@requires(Permission.MANAGE_CAMPAIGNS)
def campaign(merchant_slug: str, campaign_id: int):
    return _render_campaign(services.get_campaign(g.merchant.id, campaign_id))


@bp.post("/<merchant_slug>/campaigns/<int:campaign_id>")
@requires(Permission.MANAGE_CAMPAIGNS)
def campaign_update(merchant_slug: str, campaign_id: int):
    found = services.get_campaign(g.merchant.id, campaign_id)
    values = forms.read(request.form)
    try:
        services.update_campaign(found, forms.data(values, campaign=found), actor=_actor())
    except MarketplaceError as exc:
        if request.form.get("form") != "full":  # a started campaign's form: a few fields
            values = forms.values_of(found) | {name: values[name] for name in forms.TEXT
                                               if name in request.form}
        return _failed(campaign_id, exc, "campaign", values)
    db.session.commit()
    flash(_("The campaign was saved."), "success")
    return _to(campaign_id)


@bp.post("/<merchant_slug>/campaigns/<int:campaign_id>/state")
@requires(Permission.MANAGE_CAMPAIGNS)
def campaign_state(merchant_slug: str, campaign_id: int):
    found = services.get_campaign(g.merchant.id, campaign_id)
    try:
        services.change_state(found, request.form.get("event") or "", actor=_actor())
    except MarketplaceError as exc:
        return _failed(campaign_id, exc, "state")
    db.session.commit()
    flash({CampaignState.ACTIVE: _("The campaign is running: customers can claim it."),
           CampaignState.PAUSED: _("Claims are paused. Vouchers already claimed stay valid."),
           CampaignState.ENDED: _("The campaign has ended; unused vouchers were cancelled.")}
          .get(CampaignState(found.state), _("The campaign was saved.")), "success")
    return _to(campaign_id)


@bp.post("/<merchant_slug>/campaigns/<int:campaign_id>/vouchers/<int:voucher_id>/cancel")
@requires(Permission.MANAGE_CAMPAIGNS)
def voucher_cancel(merchant_slug: str, campaign_id: int, voucher_id: int):
    found = services.get_campaign(g.merchant.id, campaign_id)
    voucher = claims.get_voucher(found, voucher_id)
    try:
        claims.cancel(voucher, actor=_actor(), reason=request.form.get("reason"))
    except MarketplaceError as exc:
        return _failed(campaign_id, exc, f"voucher-{voucher_id}")
    db.session.commit()
    flash(_("The voucher was cancelled: its code no longer works."), "success")
    return _to(campaign_id)


# --- the counter -------------------------------------------------------------------------------

def _counter(*, values=None, quote=None, result=None, errors=None, message=None,
             status: int = 200):
    return render_template(
        "dashboard/campaigns/counter.html", stores=accessible_stores(g.membership),
        values=values or {}, quote=quote, result=result, errors=errors or {},
        message=message, nonce=uuid.uuid4().hex), status


@bp.get("/<merchant_slug>/vouchers/counter")
@requires(Permission.HANDLE_ORDERS)
def voucher_counter(merchant_slug: str):
    return _counter(values={"store_id": request.args.get("store_id", "")})


@bp.post("/<merchant_slug>/vouchers/counter")
@requires(Permission.HANDLE_ORDERS)
@limits.limited
def voucher_counter_post(merchant_slug: str):
    """``action=check``: the discount on the bill, nothing changes. ``action=redeem``: the
    code is redeemed through ``marketplace.redemption`` (exactly once, by the form's nonce)."""
    values = {name: (request.form.get(name) or "").strip()
              for name in ("store_id", "code", "amount", "nonce")}
    try:
        store = get_accessible_store(g.membership, request.form.get("store_id", type=int) or 0)
        bill = parse_price(values["amount"], g.merchant.default_currency, "amount")
        if request.form.get("action") != "redeem":
            quote = usage.quote_in_store(g.merchant.id, values["code"], store=store, bill=bill,
                                         at=utcnow())
            return _counter(values=values, quote=quote)
        scan = redemption.Scan(text=values["code"], store=store, staff=current_user,
                               method="typed", nonce=values["nonce"][:64] or None,
                               ip=request.remote_addr, details={"amount": bill})
        result = redemption.redeem(g.merchant, scan)
    except MarketplaceError as exc:
        db.session.rollback()
        return _counter(values=values, errors=exc.fields, message=exc.message,
                        status=exc.status)
    db.session.commit()  # the attempt is logged whatever it came to
    notify()
    return _counter(values={"store_id": values["store_id"]}, result=result.answer,
                    status=result.status)
