"""Codes at the counter: look a code up, redeem it exactly once, sync a scanner's offline
scans, download the revocation list, read the attempt log."""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from ..extensions import db
from ..merchants.roles import Permission
from ..outbox.services import notify
from ..redemption import limits
from ..redemption import services as redemption
from ..stores.services import accessible_stores, get_accessible_store
from .blueprint import ApiBlueprint, principal
from .pagination import PageArgsSchema, page_schema, paginate
from .schemas.redemptions import (
    AnswerSchema,
    AttemptQuerySchema,
    AttemptSchema,
    CodeTextSchema,
    RedeemSchema,
    RevocationsSchema,
    SyncAnswerSchema,
    SyncSchema,
)

blp = ApiBlueprint("redemptions", __name__, url_prefix="/api/v1/redemptions",
                   description="Codes shown at the counter (pickup orders, vouchers, tickets): "
                               "look up, redeem exactly once, offline sync, revocations.")


def _scan(data: dict):
    caller = principal()
    store = get_accessible_store(caller.membership, data["store_id"])
    return redemption.scan_from(data, store=store, staff=caller.user,
                                device=limits.device_id() or None, ip=request.remote_addr)


ENTRY_LIMITS = limits.code_entry_limits(limits.token_key)


@blp.route("/lookup")
class Lookup(MethodView):
    decorators = ENTRY_LIMITS

    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(CodeTextSchema)
    @blp.response(200, AnswerSchema)
    @blp.alt_response(409, schema=AnswerSchema, description="Already redeemed.")
    @blp.alt_response(410, schema=AnswerSchema, description="Revoked or expired.")
    @blp.alt_response(422, schema=AnswerSchema, description="Not valid here (one answer for "
                                                           "unknown, forged and foreign codes).")
    @blp.problems(404, 429)
    def post(self, data):
        """What a code stands for and whether it can be redeemed at this store now; changes
        nothing. `outcome` is `redeemable` when it can"""
        result = redemption.preview(principal().merchant.id, _scan(data))
        return result.answer, result.status


@blp.route("")
class Redeem(MethodView):
    decorators = ENTRY_LIMITS

    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(RedeemSchema)
    @blp.response(200, AnswerSchema)
    @blp.alt_response(409, schema=AnswerSchema, description="Already redeemed (where, by "
                                                           "whom, when).")
    @blp.alt_response(410, schema=AnswerSchema, description="Revoked or expired.")
    @blp.alt_response(422, schema=AnswerSchema, description="Not valid here, or refused by "
                                                           "what it stands for.")
    @blp.problems(404, 429)
    def post(self, data):
        """Redeem a code at a store, exactly once

        The code's row is locked; a repeated `nonce` returns the first answer. Every attempt
        is logged. A pickup order is handed over in full (`details.payment_taken` for pay at
        store); a voucher applies to `details.amount`, the bill.
        """
        result = redemption.redeem(principal().merchant, _scan(data))
        db.session.commit()
        notify()
        return result.answer, result.status


@blp.route("/sync")
class Sync(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(SyncSchema)
    @blp.response(200, SyncAnswerSchema)
    @blp.problems(404)
    def post(self, data):
        """Send the scans a scanner accepted while offline, with when it saw them

        Each is resolved by its nonce (a repeated sync changes nothing); a code accepted at
        two counters is redeemed once and the other scan answers `conflict`. Only signed QR
        payloads are taken (a typed code answers `invalid`); a scan for a store the member
        may no longer act for answers `wrong_store` on its own.
        """
        caller = principal()
        scans = redemption.offline_scans(
            data["scans"], stores=accessible_stores(caller.membership), staff=caller.user,
            device=limits.device_id() or None, ip=request.remote_addr)
        results = redemption.sync(caller.merchant, scans)
        db.session.commit()
        notify()
        return {"results": [{"nonce": nonce, "status": result.status,
                             "answer": result.answer} for nonce, result in results]}


@blp.route("/revocations")
class Revocations(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.response(200, RevocationsSchema)
    def get(self):
        """The merchant's revoked and already redeemed codes, for a scanner to judge codes
        offline (revoked in the last 180 days, redeemed in the last 30)"""
        return redemption.revocations(principal().merchant.id)


@blp.route("/attempts")
class Attempts(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(AttemptQuerySchema, location="query")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(AttemptSchema))
    def get(self, query, args):
        """Every redemption attempt at the member's stores, newest first; `outcome=conflict`
        lists codes accepted offline at two counters"""
        membership = principal().membership
        stores = None if membership.all_stores else sorted(membership.store_ids or ())
        if "store_id" in query:
            stores = [get_accessible_store(membership, query["store_id"]).id]
        return paginate(redemption.attempts(principal().merchant.id,
                                            outcome=query.get("outcome"), store_ids=stores),
                        args)
