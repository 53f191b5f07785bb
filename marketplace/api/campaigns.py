"""Campaigns and their vouchers for the merchant; the discount of a voucher on a bill, for the
staff at the counter before they redeem it (``/api/v1/redemptions``)."""

from __future__ import annotations

from flask.views import MethodView

from ..database import utcnow
from ..extensions import db
from ..merchants.roles import Permission
from ..orders.audit import Actor
from ..posters import funnel
from ..redemption import limits
from ..stores.services import get_accessible_store
from ..vouchers import claims, services, usage
from ..vouchers.links import campaign_url
from ..vouchers.models import Campaign, Voucher
from .blueprint import ApiBlueprint, principal
from .pagination import page_schema, paginate
from .schemas.campaigns import (
    CampaignCreateSchema,
    CampaignQuerySchema,
    CampaignSchema,
    CampaignTransitionSchema,
    CampaignUpdateSchema,
    FunnelSchema,
    QuoteAnswerSchema,
    QuoteSchema,
    VoucherCancelSchema,
    VoucherQuerySchema,
    VoucherSchema,
)
from .schemas.common import Annotated

blp = ApiBlueprint("campaigns", __name__, url_prefix="/api/v1",
                   description="Promotion campaigns (percent or amount off, a free item; "
                               "minimum spend, eligible items and stores, dates and hours, "
                               "quota, per-customer limit, online or in store), the vouchers "
                               "customers claimed, and a voucher's discount on a bill.")


def _shown(campaigns: list) -> list:
    """Campaigns with their public link and voucher figures (one query for all)."""
    found = services.figures(principal().merchant.id, [c.id for c in campaigns])
    return [Annotated(c, link=campaign_url(c),
                      figures=found[c.id] | {"claimed": c.claimed_count}) for c in campaigns]


def _actor() -> Actor:
    return Actor.staff(principal().user)


@blp.route("/campaigns")
class CampaignCollection(MethodView):
    @blp.authorize(Permission.MANAGE_CAMPAIGNS)
    @blp.arguments(CampaignQuerySchema, location="query")
    @blp.response(200, page_schema(CampaignSchema))
    def get(self, args):
        """The merchant's campaigns, newest first, with what became of their vouchers"""
        query = services.campaigns_of(principal().merchant.id)
        if "state" in args:
            query = query.where(Campaign.state == args["state"])
        page = paginate(query, args)
        return page | {"items": _shown(page["items"])}

    @blp.authorize(Permission.MANAGE_CAMPAIGNS)
    @blp.arguments(CampaignCreateSchema)
    @blp.response(201, CampaignSchema)
    @blp.problems(422)
    def post(self, data):
        """Write a campaign, in draft (nobody sees it until it is activated)

        Amounts are integers in the currency's minor unit; `starts_at`/`ends_at` are
        instants with an offset; `daily_start`/`daily_end` and `weekdays` are judged in the
        time zone of the store where the voucher is used.
        """
        campaign = services.create_campaign(principal().merchant, data, actor=_actor())
        db.session.commit()
        return _shown([campaign])[0]


@blp.route("/campaigns/<int:campaign_id>")
class CampaignItem(MethodView):
    @blp.authorize(Permission.MANAGE_CAMPAIGNS)
    @blp.response(200, CampaignSchema)
    @blp.problems(404)
    def get(self, campaign):
        """One campaign with its link and figures"""
        return _shown([campaign])[0]

    @blp.authorize(Permission.MANAGE_CAMPAIGNS)
    @blp.arguments(CampaignUpdateSchema)
    @blp.response(200, CampaignSchema)
    @blp.problems(404, 422)
    def patch(self, data, campaign):
        """Change a campaign; only the fields sent change. Once started, only `name`,
        `description`, `quota` (not below what was claimed) and `per_customer_limit`"""
        campaign = services.update_campaign(campaign, data, actor=_actor())
        db.session.commit()
        return _shown([campaign])[0]


@blp.route("/campaigns/<int:campaign_id>/transitions")
class CampaignTransitions(MethodView):
    @blp.authorize(Permission.MANAGE_CAMPAIGNS)
    @blp.arguments(CampaignTransitionSchema)
    @blp.response(200, CampaignSchema)
    @blp.problems(404, 409, 422)
    def post(self, data, campaign):
        """Start, pause, resume or end a campaign

        draft → activate → active ⇄ pause/resume ⇄ paused; end from any of them. Pausing
        stops claims (vouchers already claimed stay usable); ending cancels the unused
        vouchers and revokes their codes. An event not allowed now is 409
        `invalid_transition`.
        """
        campaign = services.change_state(campaign, data["event"], actor=_actor())
        db.session.commit()
        return _shown([campaign])[0]


@blp.route("/campaigns/<int:campaign_id>/vouchers")
class CampaignVouchers(MethodView):
    @blp.authorize(Permission.MANAGE_CAMPAIGNS)
    @blp.arguments(VoucherQuerySchema, location="query")
    @blp.response(200, page_schema(VoucherSchema))
    @blp.problems(404)
    def get(self, args, campaign):
        """The campaign's vouchers, newest first: who claimed, from where, and their use"""
        query = services.vouchers_of(campaign)
        if "state" in args:
            query = query.where(Voucher.state == args["state"])
        return paginate(query, args)


@blp.route("/campaigns/<int:campaign_id>/funnel")
class CampaignFunnel(MethodView):
    @blp.authorize(Permission.MANAGE_CAMPAIGNS)
    @blp.response(200, FunnelSchema)
    @blp.problems(404)
    def get(self, campaign):
        """The online-to-offline funnel per store: scans of the campaign's posters, distinct
        visitors, vouchers claimed from them, vouchers used at that store's counter (claims
        from the shop page or a link are the row without a store)"""
        rows, total = funnel.campaign_funnel(campaign)
        return {"stores": rows, "total": total}


@blp.route("/campaigns/<int:campaign_id>/vouchers/<int:voucher_id>/cancel")
class VoucherCancel(MethodView):
    @blp.authorize(Permission.MANAGE_CAMPAIGNS)
    @blp.arguments(VoucherCancelSchema)
    @blp.response(200, VoucherSchema)
    @blp.problems(404, 422)
    def post(self, data, campaign, voucher):
        """Cancel a voucher nobody used: its code is revoked (scanners refuse it offline
        too); the quota is not given back"""
        voucher = claims.cancel(voucher, actor=_actor(), reason=data.get("reason"))
        db.session.commit()
        return voucher


@blp.route("/vouchers/quote")
class VoucherQuote(MethodView):
    decorators = limits.code_entry_limits(limits.token_key)

    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(QuoteSchema)
    @blp.response(200, QuoteAnswerSchema)
    @blp.problems(404, 429)
    def post(self, data):
        """What a voucher takes off a bill at a store now, before it is redeemed

        Changes nothing. A code that is not a usable voucher of this merchant here and now
        is 422 with the reason (unknown and foreign codes get one answer), and counts against
        the failed code entry limits. Redeem with `POST /api/v1/redemptions` and
        `details.amount`.
        """
        caller = principal()
        store = get_accessible_store(caller.membership, data["store_id"])
        return usage.quote_in_store(caller.merchant.id, data["code"], store=store,
                                    bill=data["amount"], at=utcnow())
