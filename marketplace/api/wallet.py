"""The consumer's vouchers: claim one from a campaign, list the wallet with each code.

Part of the consumer's API (``/api/v1/consumer``, a consumer token). A campaign is found by
the token of its public link, so an app claims what a shared link or a poster pointed at."""

from __future__ import annotations

from flask.views import MethodView

from ..auth import consumer_user
from ..extensions import db
from ..vouchers import claims, services
from .blueprint import ApiBlueprint
from .consumer import authenticated
from .schemas.campaigns import ClaimSchema, WalletVoucherSchema

blp = ApiBlueprint("wallet", __name__, url_prefix="/api/v1/consumer",
                   description="For shoppers: vouchers claimed from merchants' campaigns, "
                               "each with the code to show at the counter or to use at "
                               "checkout (`voucher_code`).")


@blp.route("/vouchers")
class Wallet(MethodView):
    @authenticated()
    @blp.doc(security=[{"token": []}])
    @blp.response(200, WalletVoucherSchema(many=True))
    @blp.problems(401)
    def get(self):
        """Your vouchers, newest first, with their codes and QR texts"""
        return [claims.wallet_entry(v) for v in claims.wallet(consumer_user())]

    @authenticated()
    @blp.doc(security=[{"token": []}])
    @blp.arguments(ClaimSchema)
    @blp.response(201, WalletVoucherSchema)
    @blp.problems(401, 404, 409)
    def post(self, data):
        """Claim a voucher of a campaign

        404 for an unknown link; 422 `campaign_not_claimable` when it is not open (paused,
        not started, over); 409 `quota_exhausted` when every voucher is taken and
        `claim_limit_reached` when you already hold as many as one person may.
        """
        campaign = services.public_campaign(data["campaign"])
        voucher = claims.claim(campaign, consumer_user(), source=data["source"],
                               store_id=data.get("store_id"))
        db.session.commit()
        return claims.wallet_entry(voucher)
