"""The statement: what the platform collected for the merchant and what the merchant
collected itself, the commission on each, and the balance between them (owners only).

Read-only: the ledger is written by the payment services, never from a page."""

from __future__ import annotations

from flask import current_app, g, render_template, request

from ...errors import ValidationError
from ...extensions import db
from ...merchants.roles import Permission
from ...settlement import services as settlement
from ...validation import valid_int
from . import bp, requires

PAGE_SIZE = 50


def _period() -> settlement.Period:
    return settlement.period(request.args.get("from"), request.args.get("to"),
                             current_app.config["DEFAULT_TIMEZONE"])


@bp.get("/<merchant_slug>/statement")
@requires(Permission.VIEW_FINANCES)
def statement(merchant_slug: str):
    errors, chosen = {}, None
    try:
        chosen = _period()
        page = valid_int(request.args.get("page") or 1, "page", minimum=1, maximum=10_000)
    except ValidationError as exc:
        errors, page = exc.fields, 1
    rows = []
    if chosen is not None:
        rows = db.session.execute(
            settlement.entries(g.merchant.id, chosen, with_numbers=True)
            .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    body = render_template(
        "dashboard/statement.html", balances=settlement.balances(g.merchant.id),
        rows=rows[:PAGE_SIZE], has_more=len(rows) > PAGE_SIZE, page=page, errors=errors,
        values={"from": request.args.get("from", ""), "to": request.args.get("to", "")},
        zone=current_app.config["DEFAULT_TIMEZONE"])
    return body, 400 if errors else 200


@bp.get("/<merchant_slug>/statement.csv")
@requires(Permission.VIEW_FINANCES)
def statement_csv(merchant_slug: str):
    try:
        chosen = _period()
    except ValidationError as exc:
        return {"errors": {k: [str(m) for m in v] for k, v in exc.fields.items()}}, 400
    name = f"statement-{g.merchant.slug}-{chosen.first or 'start'}-{chosen.last or 'now'}.csv"
    return (settlement.statement_csv(g.merchant.id, chosen), 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store"})
