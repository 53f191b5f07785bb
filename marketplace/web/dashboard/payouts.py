"""Payouts for owners (permission ``view_finances``): where the money goes (the payout
account, one per currency), the batches the platform made, and each batch's statement
(page and CSV). Batches are read through the merchant-scoped helpers only."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...errors import MarketplaceError
from ...extensions import db
from ...merchants.roles import Permission
from ...money import validate_currency
from ...settlement import payout_accounts, payouts
from ...settlement import services as settlement
from ...settlement.banks import banks_for
from ...settlement.states import STATE_LABELS
from . import bp, requires

PAGE_SIZE = 50


@bp.get("/<merchant_slug>/payouts")
@requires(Permission.VIEW_FINANCES)
def payouts_index(merchant_slug: str):
    page = max(request.args.get("page", 1, type=int), 1)
    rows = list(db.session.scalars(payouts.merchant_payouts(g.merchant.id)
                                   .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    return render_template("dashboard/payouts.html", payouts=rows[:PAGE_SIZE],
                           has_more=len(rows) > PAGE_SIZE, page=page,
                           accounts=payout_accounts.accounts(g.merchant.id),
                           state_labels=STATE_LABELS)


@bp.get("/<merchant_slug>/payouts/<int:payout_id>")
@requires(Permission.VIEW_FINANCES)
def payout_statement(merchant_slug: str, payout_id: int):
    payout = payouts.merchant_payout(g.merchant.id, payout_id)
    return render_template("dashboard/payout.html", payout=payout,
                           rows=db.session.execute(payouts.entries(payout)).all(),
                           state_labels=STATE_LABELS)


@bp.get("/<merchant_slug>/payouts/<int:payout_id>.csv")
@requires(Permission.VIEW_FINANCES)
def payout_statement_csv(merchant_slug: str, payout_id: int):
    payout = payouts.merchant_payout(g.merchant.id, payout_id)
    body = settlement.entries_csv(db.session.execute(payouts.entries(payout)),
                                  ZoneInfo(current_app.config["DEFAULT_TIMEZONE"]))
    return body, 200, {"Content-Type": "text/csv; charset=utf-8",
                       "Content-Disposition": f'attachment; filename="{payout.code}.csv"',
                       "Cache-Control": "no-store"}


def _render_account(currency: str, *, values=None, errors=None, message=None,
                    status: int = 200):
    stored = payout_accounts.account_for(g.merchant.id, currency)
    if values is None:
        values = {"currency": currency, "bank_code": stored.bank_code if stored else "",
                  "bank_name": stored.bank_name if stored else "",
                  "account_number": stored.account_number if stored else "",
                  "holder": stored.holder if stored else ""}
    return render_template("dashboard/payout_account.html", currency=currency,
                           banks=banks_for(currency), stored=stored, values=values,
                           errors=errors or {}, message=message), status


@bp.route("/<merchant_slug>/payout-account", methods=["GET", "POST"])
@requires(Permission.VIEW_FINANCES)
def payout_account(merchant_slug: str):
    if request.method == "GET":
        try:
            currency = validate_currency(request.args.get("currency")
                                         or g.merchant.default_currency)
        except MarketplaceError as exc:
            return _render_account(g.merchant.default_currency, errors=exc.fields,
                                   message=exc.message, status=exc.status)
        return _render_account(currency)
    values = {name: (request.form.get(name) or "") for name in payout_accounts.FIELDS}
    try:
        account = payout_accounts.save(g.merchant, values)
    except MarketplaceError as exc:
        db.session.rollback()
        currency = (values["currency"] or g.merchant.default_currency).strip().upper()[:3]
        return _render_account(currency if currency.isalpha() else g.merchant.default_currency,
                               values=values, errors=exc.fields, message=exc.message,
                               status=exc.status)
    currency = account.currency
    db.session.commit()
    flash(_("Payouts in %(currency)s now go to this account.", currency=currency), "success")
    return redirect(url_for("dashboard.payouts_index"), code=303)
