"""The counter log: every code scanned or typed at the member's stores, conflicts first.

A conflict is a code accepted by two scanners while they were offline: the goods or the
discount went out twice, and someone should look at it (the owners also get an e-mail)."""

from __future__ import annotations

from flask import g, render_template, request

from ...extensions import db
from ...merchants.roles import Permission
from ...redemption import services as redemption
from ...redemption.states import Outcome
from ...stores.services import accessible_stores, get_accessible_store
from . import bp, requires

SHOWN = 200


@bp.get("/<merchant_slug>/redemptions")
@requires(Permission.HANDLE_ORDERS)
def redemptions_log(merchant_slug: str):
    membership = g.membership
    stores = None if membership.all_stores else sorted(membership.store_ids or ())
    store_id = request.args.get("store", type=int)
    if store_id:
        stores = [get_accessible_store(membership, store_id).id]
    outcome = request.args.get("outcome")
    outcome = outcome if outcome in set(Outcome) - {Outcome.REDEEMABLE} else None
    attempts = db.session.scalars(redemption.attempts(
        g.merchant.id, outcome=outcome, store_ids=stores).limit(SHOWN)).all()
    conflicts = [] if outcome else db.session.scalars(redemption.attempts(
        g.merchant.id, outcome=Outcome.CONFLICT, store_ids=stores).limit(50)).all()
    return render_template("dashboard/redemptions/index.html", attempts=attempts,
                           conflicts=conflicts, stores=accessible_stores(membership),
                           store_id=store_id, outcome=outcome,
                           outcomes=[o for o in Outcome if o != Outcome.REDEEMABLE])
