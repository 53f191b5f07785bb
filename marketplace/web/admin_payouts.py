"""Platform admin: payout batches. Make one for a merchant and a period, look at its ledger
rows, put batches in a bank file (CSV), hand one to a payout method, mark it paid with the
bank's reference, or cancel it (its rows are free again). The rules are in
``settlement/payouts.py``; each view parses, calls one service, commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import admin_required
from ..errors import MarketplaceError
from ..extensions import db
from ..merchants.models import Merchant
from ..settlement import payouts
from ..settlement import services as settlement
from ..settlement.models import Payout
from ..settlement.states import PAYOUT_TRANSITIONS, STATE_LABELS, PayoutState
from ..states import events_from
from ..validation import valid_int
from .admin import _merchant_or_404, bp

LIST_LIMIT = 200


def _render_list(*, errors=None, message=None, status: int = 200, values=None):
    state = request.args.get("state") or ""
    merchant_id = request.args.get("merchant_id", type=int)
    merchants = list(db.session.scalars(sa.select(Merchant).order_by(Merchant.name)))
    return render_template(
        "admin/payouts.html",
        payouts=payouts.listing(state=state, merchant_id=merchant_id, limit=LIST_LIMIT),
        merchants=merchants, state=state, states=list(PayoutState),
        state_labels=STATE_LABELS, errors=errors or {}, message=message,
        values=values or {"merchant_id": str(merchant_id or ""), "currency": "VND"},
        zone=current_app.config["DEFAULT_TIMEZONE"]), status


def _render_payout(payout: Payout, *, errors=None, message=None, status: int = 200,
                   values=None):
    return render_template(
        "admin/payout.html", payout=payout, rows=db.session.execute(
            payouts.entries(payout)).all(), history=payouts.history(payout),
        events=[str(e) for e in events_from(PAYOUT_TRANSITIONS, PayoutState(payout.state))],
        methods=payouts.usable_methods(payout.currency), state_labels=STATE_LABELS,
        errors=errors or {}, message=message, values=values or {}), status


@bp.get("/payouts")
@admin_required
def payouts_index():
    return _render_list()


@bp.post("/payouts")
@admin_required
def payout_create():
    values = {k: (request.form.get(k) or "").strip()
              for k in ("merchant_id", "currency", "from", "to")}
    try:
        merchant = _merchant_or_404(valid_int(values["merchant_id"] or 0, "merchant_id",
                                              minimum=1))
        zone = current_app.config["DEFAULT_TIMEZONE"]
        days = settlement.period(values["from"], values["to"], zone)
        payout = payouts.create(
            merchant, currency=values["currency"] or merchant.default_currency,
            first=days.first, last=days.last, zone=zone,
            actor=current_user._get_current_object())
    except MarketplaceError as exc:
        db.session.rollback()
        return _render_list(errors=exc.fields, message=exc.message,
                            status=exc.status, values=values)
    payout_id, code = payout.id, payout.code
    db.session.commit()
    flash(_("%(code)s is ready as a draft: check it, then export it or send it.", code=code),
          "success")
    return redirect(url_for("admin.payout_detail", payout_id=payout_id), code=303)


@bp.get("/payouts/<int:payout_id>")
@admin_required
def payout_detail(payout_id: int):
    return _render_payout(payouts.get(payout_id))


@bp.post("/payouts/export")
@admin_required
def payouts_export():
    try:
        ids = [valid_int(i, "payout_ids", minimum=1)
               for i in request.form.getlist("payout_ids")]
        found = payouts.export(ids, actor=current_user._get_current_object())
        body = payouts.bank_csv(found)
    except MarketplaceError as exc:
        db.session.rollback()
        return _render_list(errors=exc.fields, message=exc.message, status=exc.status)
    name = f"payouts-{'-'.join(p.code for p in found[:5])}.csv"
    db.session.commit()
    return body, 200, {"Content-Type": "text/csv; charset=utf-8",
                       "Content-Disposition": f'attachment; filename="{name}"',
                       "Cache-Control": "no-store"}


def _change(payout_id: int, change, done_message: str, *, values=None):
    payout = payouts.get(payout_id)
    try:
        change(payout, current_user._get_current_object())
    except MarketplaceError as exc:
        db.session.rollback()
        return _render_payout(payouts.get(payout_id), errors=exc.fields, message=exc.message,
                              status=exc.status, values=values)
    db.session.commit()
    flash(done_message, "success")
    return redirect(url_for("admin.payout_detail", payout_id=payout_id), code=303)


@bp.post("/payouts/<int:payout_id>/pay")
@admin_required
def payout_pay(payout_id: int):
    reference = request.form.get("reference", "")
    return _change(payout_id, lambda p, actor: payouts.mark_paid(p, reference, actor=actor),
                   _("The payout is marked paid."), values={"reference": reference})


@bp.post("/payouts/<int:payout_id>/cancel")
@admin_required
def payout_cancel(payout_id: int):
    reason = request.form.get("reason", "")
    return _change(payout_id, lambda p, actor: payouts.cancel(p, actor=actor, reason=reason),
                   _("The payout is cancelled; its entries can go in another payout."),
                   values={"reason": reason})


@bp.post("/payouts/<int:payout_id>/send")
@admin_required
def payout_send(payout_id: int):
    method = request.form.get("method", "")
    return _change(payout_id, lambda p, actor: payouts.send(p, method, actor=actor),
                   _("The payout is being sent; its state changes when the payout method "
                     "answers."), values={"method": method})
