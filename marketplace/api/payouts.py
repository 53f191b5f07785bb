"""The merchant's payouts and where they go (owners: permission ``view_finances``).

Batches are made, exported and marked paid by the platform admin in the admin pages; API
tokens act for one merchant, so there is no admin API."""

from __future__ import annotations

from flask.views import MethodView

from ..extensions import db
from ..merchants.roles import Permission
from ..settlement import payout_accounts, payouts
from .blueprint import ApiBlueprint, principal
from .pagination import PageArgsSchema, page_schema, paginate
from .schemas.payouts import (
    PayoutAccountInputSchema,
    PayoutAccountListSchema,
    PayoutAccountSchema,
    PayoutSchema,
)
from .schemas.settlement import LedgerEntrySchema

blp = ApiBlueprint("payouts", __name__, url_prefix="/api/v1",
                   description="What the platform paid you, batch by batch, with the "
                               "statement entries each payout paid, and the account per "
                               "currency the payouts go to.")


@blp.route("/payouts")
class PayoutCollection(MethodView):
    @blp.authorize(Permission.VIEW_FINANCES)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(PayoutSchema))
    def get(self, args):
        """Your payouts, newest first (cancelled ones too)"""
        return paginate(payouts.merchant_payouts(principal().merchant.id), args)


@blp.route("/payouts/<int:payout_id>")
class PayoutItem(MethodView):
    @blp.authorize(Permission.VIEW_FINANCES)
    @blp.response(200, PayoutSchema)
    @blp.problems(404)
    def get(self, payout):
        """One payout"""
        return payout


@blp.route("/payouts/<int:payout_id>/entries")
class PayoutEntries(MethodView):
    @blp.authorize(Permission.VIEW_FINANCES)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(LedgerEntrySchema))
    @blp.problems(404)
    def get(self, args, payout):
        """The statement entries one payout paid, oldest first (refunds are netted in)"""
        return paginate(lambda limit, offset: [entry for entry, _number in db.session.execute(
            payouts.entries(payout).limit(limit).offset(offset))], args)


@blp.route("/payout-accounts")
class PayoutAccounts(MethodView):
    @blp.authorize(Permission.VIEW_FINANCES)
    @blp.response(200, PayoutAccountListSchema)
    def get(self):
        """Where your payouts go, one account per currency"""
        return {"items": payout_accounts.accounts(principal().merchant.id)}

    @blp.authorize(Permission.VIEW_FINANCES)
    @blp.arguments(PayoutAccountInputSchema)
    @blp.response(200, PayoutAccountSchema)
    @blp.problems(422)
    def put(self, data):
        """Set the account of one currency (replacing the one there was)

        VND accounts name the bank by its NAPAS BIN (`bank_code`); other currencies type the
        bank (`bank_name`: its name or SWIFT/BIC). A wrong field changes nothing, and every
        wrong field is named. Payouts already made keep their account.
        """
        account = payout_accounts.save(principal().merchant, data)
        db.session.commit()
        return account
