"""Claiming vouchers into a wallet, and cancelling them.

The quota holds under concurrency: a claim locks the campaign's row (``SELECT … FOR UPDATE``
on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serializes writers anyway) and only then reads
the count, the customer's own vouchers and the dates, so every claim of one campaign is judged
after the one before it committed. The per-customer limit is checked under the same lock; a
check constraint refuses ``claimed_count`` above ``quota`` should any other path forget it.
Any refusal is raised before anything is written.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..database import get_scoped, utcnow
from ..errors import Conflict, NotFound, ValidationError
from ..extensions import db
from ..orders.audit import Actor, record
from ..redemption import human
from ..redemption import services as redemption
from ..states import next_state
from ..stores.models import Store
from ..validation import optional_text
from . import discounts, services
from .models import Campaign, Voucher
from .services import KIND
from .states import VOUCHER_TRANSITIONS, Source, VoucherEvent, VoucherState


class NotClaimable(ValidationError):
    code = "campaign_not_claimable"


class QuotaExhausted(Conflict):
    code = "quota_exhausted"
    title = _l("All vouchers of this campaign have been claimed.")


class ClaimLimitReached(Conflict):
    code = "claim_limit_reached"
    title = _l("You already have as many of these vouchers as one person may claim.")


def _source(value) -> Source:
    try:
        return Source(value or Source.LINK)
    except ValueError:
        raise ValidationError.field("source", _l("Unknown source.")) from None


def _source_store(merchant_id: int, source: Source, store_id) -> int | None:
    """The poster's store: only for a poster, and only one of the campaign's merchant."""
    if source != Source.POSTER or store_id in (None, ""):
        return None
    try:
        return get_scoped(Store, merchant_id, store_id).id
    except NotFound:
        raise ValidationError.field("store_id", _l("This store is not one of the shop's.")) \
            from None


def held(campaign_id: int, customer_id: int) -> int:
    """How many vouchers of the campaign the customer claimed, whatever became of them."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Voucher).where(
        Voucher.campaign_id == campaign_id, Voucher.customer_id == customer_id))


def claim(campaign: Campaign, customer, *, source=None, store_id=None,
          now: datetime | None = None) -> Voucher:
    """Put one voucher of ``campaign`` in ``customer``'s wallet, with its code. Flushes."""
    now = now or utcnow()
    source = _source(source)
    source_store_id = _source_store(campaign.merchant_id, source, store_id)
    campaign = services.lock(campaign)
    # Everything below is read after the lock: the claims that went before have committed.
    problem = services.claim_problem(campaign, now, quota=False)
    if problem is not None:
        raise NotClaimable(problem)
    if held(campaign.id, customer.id) >= campaign.per_customer_limit:
        raise ClaimLimitReached()
    if campaign.quota is not None and campaign.claimed_count >= campaign.quota:
        raise QuotaExhausted()
    campaign.claimed_count += 1
    voucher = Voucher(merchant_id=campaign.merchant_id, campaign_id=campaign.id,
                      campaign=campaign, customer_id=customer.id,
                      state=VoucherState.AVAILABLE, source=source,
                      source_store_id=source_store_id, claimed_at=now)
    db.session.add(voucher)
    db.session.flush()
    redemption.issue(campaign.merchant_id, KIND, voucher.id, valid_from=campaign.starts_at,
                     valid_until=campaign.ends_at)
    record(merchant_id=campaign.merchant_id, order_id=None, entity="voucher",
           entity_id=voucher.id, event="claim", from_state=None, to_state=voucher.state,
           actor=Actor.customer(customer))
    db.session.flush()
    return voucher


# --- the wallet ------------------------------------------------------------------------------

def wallet(customer, *, limit: int = 200, offset: int = 0) -> list[Voucher]:
    """The customer's vouchers, newest first, with their campaigns and merchants."""
    return list(db.session.scalars(
        sa.select(Voucher).where(Voucher.customer_id == customer.id)
        .options(selectinload(Voucher.campaign).selectinload(Campaign.merchant))
        .order_by(Voucher.id.desc()).limit(limit).offset(offset)))


def code_of(voucher: Voucher):
    """The voucher's current code (active, or redeemed once used), or ``None``."""
    return redemption.current(KIND, voucher.id)


def campaign_facts(campaign: Campaign) -> dict:
    """A campaign as a customer reads it (its page, the wallet, the apps)."""
    from .texts import conditions

    terms = discounts.terms_of(campaign)
    return {"id": campaign.id, "token": campaign.token, "name": campaign.name,
            "description": campaign.description, "merchant": campaign.merchant,
            "state": campaign.state,
            "channel": campaign.channel, "starts_at": campaign.starts_at,
            "ends_at": campaign.ends_at, "summary": discounts.summary(terms),
            "conditions": conditions(campaign), "terms": discounts.as_json(terms)}


def public_facts(campaign: Campaign, now: datetime | None = None) -> dict:
    """What anyone may know of a campaign: its offer, what is left, whether claims are open
    (and if not, why)."""
    from .links import campaign_url

    problem = services.claim_problem(campaign, now or utcnow())
    return campaign_facts(campaign) | {
        "remaining": campaign.remaining, "claimable": problem is None,
        "problem": str(problem) if problem is not None else None,
        "link": campaign_url(campaign)}


def wallet_entry(voucher: Voucher) -> dict:
    """One voucher of the wallet: its campaign, and the code to show (none once
    cancelled: its code is revoked)."""
    code = code_of(voucher)
    return {"id": voucher.id, "state": voucher.state, "voucher": voucher,
            "campaign": campaign_facts(voucher.campaign), "code_row": code,
            "code": human.display(redemption.human_code(code)) if code else None,
            "code_id": code.id if code else None,
            "qr": redemption.qr_text(code) if code else None,
            "claimed_at": voucher.claimed_at, "redeemed_at": voucher.redeemed_at,
            "order_number": voucher.order.number if voucher.order_id else None,
            "discount": voucher.discount}


# --- cancelling ------------------------------------------------------------------------------

def lock_voucher(voucher: Voucher) -> Voucher:
    return db.session.scalars(
        sa.select(Voucher).where(Voucher.id == voucher.id).with_for_update()
        .execution_options(populate_existing=True)).one()


def get_voucher(campaign: Campaign, voucher_id) -> Voucher:
    """One of the campaign's vouchers, or ``NotFound`` (another campaign's too)."""
    voucher = get_scoped(Voucher, campaign.merchant_id, voucher_id)
    if voucher.campaign_id != campaign.id:
        raise NotFound("voucher")
    return voucher


def cancel(voucher: Voucher, *, actor: Actor, reason: str | None = None,
           now: datetime | None = None) -> Voucher:
    """The merchant takes back a voucher nobody used (claimed by mistake, abused): its code
    is revoked, so scanners refuse it offline too. The quota is not given back."""
    reason = optional_text(reason, "reason", max_length=200)
    voucher = lock_voucher(voucher)
    if voucher.state != VoucherState.AVAILABLE:
        raise ValidationError(_l("Only a voucher nobody used can be cancelled."))
    return cancel_locked(voucher, VoucherEvent.CANCEL, actor=actor, reason=reason,
                         now=now or utcnow())


def cancel_locked(voucher: Voucher, event: VoucherEvent, *, actor: Actor, reason: str | None,
                  now: datetime) -> Voucher:
    """Cancel a voucher whose row the caller locked; revoke its code."""
    old = VoucherState(voucher.state)
    voucher.state = next_state(VOUCHER_TRANSITIONS, old, event)
    voucher.cancelled_at = now
    voucher.cancel_reason = reason
    redemption.revoke(KIND, voucher.id, reason="voucher cancelled", now=now)
    record(merchant_id=voucher.merchant_id, order_id=voucher.order_id, entity="voucher",
           entity_id=voucher.id, event=event, from_state=old, to_state=voucher.state,
           actor=actor, note=reason)
    db.session.flush()
    return voucher
