"""Campaign pages and the consumer's wallet (storefront pages, the merchant's theme).

A campaign's public link ``/c/<token>`` takes ``?src=poster&store=<id>`` (a QR poster at a
store) so a claim records where it came from; the shop's page posts ``src=merchant_page``.
Claiming needs an account: the voucher and its code go in the account's wallet, where the
QR code is shown for the counter.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..errors import MarketplaceError
from ..extensions import db
from ..redemption import images
from ..redemption import services as redemption
from ..theming import render_storefront
from ..vouchers import claims, services
from ..vouchers.states import VOUCHER_STATE_LABELS, Source, VoucherState

bp = Blueprint("vouchers", __name__)


@bp.app_context_processor
def _voucher_helpers():
    return {"voucher_state_label": lambda state: VOUCHER_STATE_LABELS.get(state, state)}


def _origin() -> dict:
    """``src`` and ``store`` of the request, as links carry them (anything odd: a plain link)."""
    source = request.values.get("src") or Source.LINK
    if source not in {s.value for s in Source}:
        source = Source.LINK
    store = request.values.get("store", type=int) if source == Source.POSTER else None
    return {"src": str(source), "store": store}


@bp.get("/c/<token>")
def campaign(token: str):
    found = services.public_campaign(token)
    origin = _origin()
    held = claims.held(found.id, current_user.id) if current_user.is_authenticated else 0
    return render_storefront(
        "storefront/campaign.html", merchant=found.merchant, campaign=found,
        facts=claims.public_facts(found), origin=origin, held=held,
        login_next=url_for("vouchers.campaign", token=token,
                           **{k: v for k, v in origin.items() if v}))


@bp.get("/c/<token>/claim")
def claim_page(token: str):
    # Where a login interrupted a claim comes back to: the campaign's page, to claim again.
    return redirect(url_for("vouchers.campaign", token=token,
                            **{k: v for k, v in _origin().items() if v}), code=303)


@bp.post("/c/<token>/claim")
@login_required
def claim(token: str):
    found = services.public_campaign(token)
    origin = _origin()
    try:
        claims.claim(found, current_user, source=origin["src"], store_id=origin["store"])
    except MarketplaceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        back = request.form.get("back") == "merchant"
        return redirect(url_for("storefront.merchant", merchant_slug=found.merchant.slug)
                        if back else url_for("vouchers.campaign", token=token,
                                             **{k: v for k, v in origin.items() if v}),
                        code=303)
    db.session.commit()
    flash(_("The voucher is in your wallet: show its QR code at the counter."), "success")
    return redirect(url_for("vouchers.wallet"), code=303)


@bp.get("/vouchers")
@login_required
def wallet():
    entries = [claims.wallet_entry(v) for v in claims.wallet(current_user)]
    for entry in entries:
        usable = entry["state"] == VoucherState.AVAILABLE and entry["code_row"] is not None
        entry["qr_svg"] = images.inline_svg(redemption.qr_text(entry["code_row"]), label=_(
            "QR code of your voucher %(name)s", name=entry["campaign"]["name"])) \
            if usable else None
    return render_storefront("storefront/vouchers.html", entries=entries)
