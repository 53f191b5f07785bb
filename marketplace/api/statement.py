"""The merchant's statement: its balance with the platform and its ledger (owners)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from ..merchants.roles import Permission
from ..settlement import services as settlement
from .blueprint import ApiBlueprint, principal
from .pagination import paginate
from .schemas.settlement import StatementArgsSchema, StatementSchema

blp = ApiBlueprint("statement", __name__, url_prefix="/api/v1/statement",
                   description="What the platform collected for the merchant and what the "
                               "merchant collected itself, with the commission on each.")


@blp.route("")
class Statement(MethodView):
    @blp.authorize(Permission.VIEW_FINANCES)
    @blp.arguments(StatementArgsSchema, location="query")
    @blp.response(200, StatementSchema)
    @blp.problems(422)
    def get(self, args):
        """The balance per currency (all time) and the ledger, newest first, optionally for the
        days `from`–`to`"""
        merchant_id = principal().membership.merchant_id
        chosen = settlement.Period.of(args.get("start"), args.get("end"),
                                      current_app.config["DEFAULT_TIMEZONE"])
        page = paginate(settlement.entries(merchant_id, chosen), args)
        return page | {"balances": settlement.balances(merchant_id)}
