"""Campaign and voucher states as transition tables (see ``marketplace.states``).

A campaign is written as a ``draft`` (nobody sees it), then ``active``: shown on the merchant's
page and its link, open to claims within its dates. ``paused`` stops new claims only: the
vouchers already in wallets stay usable, because customers claimed them under the campaign's
terms. ``ended`` is final: claims stop and unused vouchers are cancelled (their codes revoked,
so offline scanners learn it too). A draft may be ended without ever running.

A voucher is ``available`` in its holder's wallet until it is ``redeemed`` at a counter
(final) or ``applied`` to an online order. An applied voucher comes back (``restore``) when the
order ends without anything handed over; if its campaign has ended by then it is cancelled
instead. The merchant may ``cancel`` an available voucher (claimed by mistake, abused).
Expiry is not a state: the campaign's dates are signed into the voucher's code.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class DiscountKind(StrEnum):
    PERCENT = "percent"      # a percentage off the eligible amount, optionally capped
    AMOUNT = "amount"        # a fixed amount off (minor units)
    FREE_ITEM = "free_item"  # one unit of a variant for free


class Channel(StrEnum):
    ONLINE = "online"        # at checkout, on an order placed online
    IN_STORE = "in_store"    # at a counter, on the bill
    BOTH = "both"


class Source(StrEnum):
    """Where the customer claimed the voucher (the online-to-offline funnel)."""

    MERCHANT_PAGE = "merchant_page"
    LINK = "link"
    POSTER = "poster"


class CampaignState(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class CampaignEvent(StrEnum):
    ACTIVATE = "activate"
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"


class VoucherState(StrEnum):
    AVAILABLE = "available"
    REDEEMED = "redeemed"    # used at a counter
    APPLIED = "applied"      # used on an online order
    CANCELLED = "cancelled"


class VoucherEvent(StrEnum):
    REDEEM = "redeem"
    APPLY = "apply"
    RESTORE = "restore"
    CANCEL = "cancel"


C, CE = CampaignState, CampaignEvent

CAMPAIGN_TRANSITIONS: dict[tuple[CampaignState, CampaignEvent], CampaignState] = {
    (C.DRAFT, CE.ACTIVATE): C.ACTIVE,
    (C.DRAFT, CE.END): C.ENDED,
    (C.ACTIVE, CE.PAUSE): C.PAUSED,
    (C.ACTIVE, CE.END): C.ENDED,
    (C.PAUSED, CE.RESUME): C.ACTIVE,
    (C.PAUSED, CE.END): C.ENDED,
}

V, VE = VoucherState, VoucherEvent

VOUCHER_TRANSITIONS: dict[tuple[VoucherState, VoucherEvent], VoucherState] = {
    (V.AVAILABLE, VE.REDEEM): V.REDEEMED,
    (V.AVAILABLE, VE.APPLY): V.APPLIED,
    (V.AVAILABLE, VE.CANCEL): V.CANCELLED,
    (V.APPLIED, VE.RESTORE): V.AVAILABLE,
    # The order ended after the campaign did: nothing to give back.
    (V.APPLIED, VE.CANCEL): V.CANCELLED,
}

# Campaigns whose vouchers can be used (paused stops claims, not use).
USABLE_CAMPAIGN_STATES = frozenset({C.ACTIVE, C.PAUSED})
# Voucher states counted as used, by the campaign's figures.
USED_STATES = frozenset({V.REDEEMED, V.APPLIED})

# What people read (the API gives the codes).
CAMPAIGN_STATE_LABELS = {
    C.DRAFT: _l("Draft"),
    C.ACTIVE: _l("Active"),
    C.PAUSED: _l("Paused"),
    C.ENDED: _l("Ended"),
}
CAMPAIGN_EVENT_LABELS = {
    CE.ACTIVATE: _l("Start the campaign"),
    CE.PAUSE: _l("Pause claims"),
    CE.RESUME: _l("Resume claims"),
    CE.END: _l("End the campaign"),
}
VOUCHER_STATE_LABELS = {
    V.AVAILABLE: _l("Ready to use"),
    V.REDEEMED: _l("Used in store"),
    V.APPLIED: _l("Used on an order"),
    V.CANCELLED: _l("Cancelled"),
}
CHANNEL_LABELS = {
    Channel.ONLINE: _l("Online orders only"),
    Channel.IN_STORE: _l("In store only"),
    Channel.BOTH: _l("Online and in store"),
}
SOURCE_LABELS = {
    Source.MERCHANT_PAGE: _l("Shop page"),
    Source.LINK: _l("Campaign link"),
    Source.POSTER: _l("QR poster"),
}
