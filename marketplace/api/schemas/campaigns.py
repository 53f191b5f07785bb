"""Campaigns and vouchers as the API takes and shows them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...states import events_from
from ...vouchers.states import (
    CAMPAIGN_TRANSITIONS,
    CampaignEvent,
    CampaignState,
    Channel,
    DiscountKind,
    Source,
    VoucherState,
)
from ..pagination import PageArgsSchema
from .common import ID, INT64, HourMinute
from .orders import MONEY

KINDS = [k.value for k in DiscountKind]
CHANNELS = [c.value for c in Channel]
STATES = [s.value for s in CampaignState]
EVENTS = [e.value for e in CampaignEvent]
SOURCES = [s.value for s in Source]
IDS = {"description": "Ids; an empty list means all."}


class CampaignUpdateSchema(Schema):
    """Only the fields sent change. Once the campaign has started only `name`,
    `description`, `quota` and `per_customer_limit` may change."""

    name = fields.String(validate=validate.Length(max=120))
    description = fields.String(allow_none=True)
    discount_kind = fields.String(validate=validate.OneOf(KINDS), metadata={
        "description": "`percent` (with `percent`, optionally `max_discount`), `amount` (with "
                       "`amount`) or `free_item` (with `free_variant_id`)."})
    percent = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 100))
    amount = fields.Integer(strict=True, allow_none=True, validate=INT64, metadata=MONEY)
    max_discount = fields.Integer(strict=True, allow_none=True, validate=INT64, metadata={
        "description": "The most a percentage takes off. " + MONEY["description"]})
    free_variant_id = fields.Integer(strict=True, allow_none=True, validate=ID)
    min_spend = fields.Integer(strict=True, validate=INT64, metadata={
        "description": "What the eligible items (online) or the bill (in store) must reach. "
                       + MONEY["description"]})
    currency = fields.String(metadata={"description": "ISO 4217; the merchant's default "
                                                      "currency when left out."})
    listing_ids = fields.List(fields.Integer(validate=ID), metadata=IDS)
    category_ids = fields.List(fields.Integer(validate=ID), metadata=IDS)
    store_ids = fields.List(fields.Integer(validate=ID), metadata=IDS)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    daily_start = HourMinute(allow_none=True, metadata={
        "description": "Usable from this local time of the store (with `daily_end`)."})
    daily_end = HourMinute(allow_none=True)
    weekdays = fields.List(fields.Integer(validate=validate.Range(0, 6)), metadata={
        "description": "0 = Monday … 6 = Sunday, in the store's time zone; empty: every day."})
    quota = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 10**7),
                           metadata={"description": "Vouchers in all; null: no limit."})
    per_customer_limit = fields.Integer(strict=True, validate=validate.Range(1, 100))
    channel = fields.String(validate=validate.OneOf(CHANNELS))


class CampaignCreateSchema(CampaignUpdateSchema):
    """A new campaign, in draft: start it with the `activate` transition."""

    name = fields.String(required=True, validate=validate.Length(max=120))
    discount_kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)


class CampaignFiguresSchema(Schema):
    claimed = fields.Integer()
    available = fields.Integer()
    redeemed = fields.Integer(metadata={"description": "Used at a counter."})
    applied = fields.Integer(metadata={"description": "Used on an online order."})
    used = fields.Integer()
    cancelled = fields.Integer()


class CampaignSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    state = fields.String(metadata={"enum": STATES})
    events = fields.Function(
        lambda c: [str(e) for e in events_from(CAMPAIGN_TRANSITIONS, CampaignState(c.state))],
        metadata={"type": "array", "items": {"type": "string", "enum": EVENTS},
                  "description": "The transitions allowed now."})
    link = fields.String(metadata={"description": "The public page where customers claim."})
    discount_kind = fields.String(metadata={"enum": KINDS})
    percent = fields.Integer(allow_none=True)
    amount = fields.Integer(allow_none=True, metadata=MONEY)
    max_discount = fields.Integer(allow_none=True, metadata=MONEY)
    free_variant_id = fields.Integer(allow_none=True)
    min_spend = fields.Integer(metadata=MONEY)
    currency = fields.String()
    listing_ids = fields.List(fields.Integer())
    category_ids = fields.List(fields.Integer())
    store_ids = fields.List(fields.Integer())
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    daily_start = HourMinute(allow_none=True)
    daily_end = HourMinute(allow_none=True)
    weekdays = fields.List(fields.Integer())
    quota = fields.Integer(allow_none=True)
    claimed_count = fields.Integer()
    remaining = fields.Integer(allow_none=True)
    per_customer_limit = fields.Integer()
    channel = fields.String(metadata={"enum": CHANNELS})
    figures = fields.Nested(CampaignFiguresSchema)
    activated_at = fields.AwareDateTime(allow_none=True)
    ended_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class CampaignQuerySchema(PageArgsSchema):
    state = fields.String(validate=validate.OneOf(STATES))


class CampaignTransitionSchema(Schema):
    event = fields.String(required=True, validate=validate.OneOf(EVENTS))


class VoucherSchema(Schema):
    """A voucher as the merchant sees it."""

    id = fields.Integer()
    campaign_id = fields.Integer()
    customer_id = fields.Integer()
    customer_name = fields.Function(lambda v: v.customer.full_name)
    state = fields.String(metadata={"enum": [s.value for s in VoucherState]})
    source = fields.String(metadata={"enum": SOURCES})
    source_store_id = fields.Integer(allow_none=True, metadata={
        "description": "The store whose poster was scanned."})
    claimed_at = fields.AwareDateTime()
    redeemed_at = fields.AwareDateTime(allow_none=True)
    redeemed_store_id = fields.Integer(allow_none=True)
    order_id = fields.Integer(allow_none=True, metadata={"description": "The online order "
                                                                        "it is used on."})
    bill_amount = fields.Integer(allow_none=True, metadata=MONEY)
    discount = fields.Integer(allow_none=True, metadata=MONEY)
    cancelled_at = fields.AwareDateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)


class VoucherQuerySchema(PageArgsSchema):
    state = fields.String(validate=validate.OneOf([s.value for s in VoucherState]))


class VoucherCancelSchema(Schema):
    reason = fields.String(validate=validate.Length(max=200))


class QuoteSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=2048), metadata={
        "description": "The scanned QR text or the typed voucher code."})
    store_id = fields.Integer(required=True, validate=ID)
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**12),
                            metadata={"description": "The bill the voucher applies to. "
                                                     + MONEY["description"]})


class QuoteAnswerSchema(Schema):
    voucher_id = fields.Integer()
    code_id = fields.Integer()
    title = fields.String()
    holder = fields.String()
    bill = fields.Integer(metadata=MONEY)
    discount = fields.Integer(metadata=MONEY)
    to_pay = fields.Integer(metadata=MONEY)
    currency = fields.String()
    terms = fields.Dict(metadata={"description": "The campaign's discount: `kind`, "
                                                 "`percent`, `amount`, `max_discount`, "
                                                 "`free_item`, `min_spend`, `summary`."})
    conditions = fields.List(fields.String(), metadata={"description": "Every rule, one "
                                                                       "sentence each."})


# --- the consumer's side ---------------------------------------------------------------------

class ClaimSchema(Schema):
    campaign = fields.String(required=True, validate=validate.Length(min=1, max=16), metadata={
        "description": "The campaign's token, the last part of its public link /c/<token>."})
    source = fields.String(load_default=Source.LINK.value, validate=validate.OneOf(SOURCES),
                           metadata={"description": "Where the claim came from: the shop's "
                                                    "page, a link, or a QR poster."})
    store_id = fields.Integer(validate=ID, metadata={
        "description": "A poster's store (the link's `store`), for the funnel."})


class WalletMerchantSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()


class WalletCampaignSchema(Schema):
    id = fields.Integer()
    token = fields.String()
    name = fields.String()
    description = fields.String()
    merchant = fields.Nested(WalletMerchantSchema)
    channel = fields.String(metadata={"enum": CHANNELS})
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    summary = fields.String()
    conditions = fields.List(fields.String())
    terms = fields.Dict()


class WalletVoucherSchema(Schema):
    id = fields.Integer()
    state = fields.String(metadata={"enum": [s.value for s in VoucherState]})
    campaign = fields.Nested(WalletCampaignSchema)
    code = fields.String(allow_none=True, metadata={
        "description": "The code to say or type at the counter (`ABCDE-FGHJK`), and to send "
                       "as `voucher_code` at checkout."})
    code_id = fields.Integer(allow_none=True)
    qr = fields.String(allow_none=True, metadata={
        "description": "What the QR code holds: the signed payload, or the code without one."})
    claimed_at = fields.AwareDateTime()
    redeemed_at = fields.AwareDateTime(allow_none=True)
    order_number = fields.String(allow_none=True)
    discount = fields.Integer(allow_none=True, metadata=MONEY)


class PublicCampaignSchema(WalletCampaignSchema):
    class Meta:
        exclude = ("id",)

    remaining = fields.Integer(allow_none=True, metadata={"description": "Vouchers left; "
                                                                         "null: no limit."})
    claimable = fields.Boolean(metadata={"description": "Whether claims are open now."})
    problem = fields.String(allow_none=True, metadata={"description": "Why not, if not."})
    link = fields.String()


class FunnelTotalSchema(Schema):
    scans = fields.Integer()
    visitors = fields.Integer(metadata={"description": "Distinct phones (one phone scanning "
                                                      "posters at two stores counts once)."})
    claims = fields.Integer()
    redeemed = fields.Integer()


class FunnelRowSchema(FunnelTotalSchema):
    store_id = fields.Function(lambda row: row.store.id if row.store else None,
                               metadata={"description": "None: claims from the shop page or "
                                                        "a link, not from a poster."})
    store_name = fields.Function(lambda row: row.store.name if row.store else None)
    redeemed = fields.Integer(metadata={"description": "Vouchers used at this store's "
                                                      "counter."})


class FunnelSchema(Schema):
    stores = fields.List(fields.Nested(FunnelRowSchema))
    total = fields.Nested(FunnelTotalSchema)
