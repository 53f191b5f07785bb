"""Using a voucher: on a bill at a counter, or on an order's lines at checkout.

Both ways ask ``usable_problem`` first (the voucher is unused, its campaign runs, the dates,
the channel, the store, the weekdays and hours in that store's time zone), then work the
discount out with ``discounts``. A voucher used online is consumed when the order is placed:
its code is closed at the order's store and the order is recorded on it. When the order ends
with nothing handed over (cancelled, expired unpaid, not collected, tried and not bought) the
voucher goes back to the wallet with a fresh code (the old one stays closed); if its campaign
has ended by then it is cancelled instead.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..errors import Conflict, ValidationError
from ..extensions import db
from ..money import validate_amount
from ..orders.audit import SYSTEM, Actor, record
from ..plugins.hookspecs import PriceAdjustment
from ..redemption import services as redemption
from ..redemption.states import CodeState
from ..states import next_state
from . import discounts
from .claims import cancel_locked, lock_voucher
from .models import Campaign, Voucher
from .services import KIND
from .states import (
    USABLE_CAMPAIGN_STATES,
    VOUCHER_TRANSITIONS,
    Channel,
    VoucherEvent,
    VoucherState,
)

ADJUSTMENT_PREFIX = "voucher:"
NOT_HELD = _l("This voucher is not in your wallet for this shop.")


def adjustment_code(voucher: Voucher) -> str:
    return f"{ADJUSTMENT_PREFIX}{voucher.id}"


def _hhmm(moment) -> str:
    return moment.strftime("%H:%M")


def usable_problem(voucher: Voucher, campaign: Campaign, *, store, at: datetime,
                   channel: Channel):
    """Why the voucher cannot be used at ``store`` at ``at`` through ``channel`` (a translated
    message), or ``None``."""
    if voucher.state == VoucherState.CANCELLED:
        return _l("This voucher was cancelled.")
    if voucher.state != VoucherState.AVAILABLE:
        return _l("This voucher was already used.")
    if campaign.state not in USABLE_CAMPAIGN_STATES:
        return _l("This campaign has ended.")
    if at < campaign.starts_at:
        return _l("This voucher is not valid yet.")
    if at >= campaign.ends_at:
        return _l("This voucher has expired.")
    if campaign.channel not in (channel, Channel.BOTH):
        return _l("This voucher is for online orders only.") if channel == Channel.IN_STORE \
            else _l("This voucher can only be used in store.")
    if campaign.store_ids and store.id not in campaign.store_ids:
        return _l("This voucher cannot be used at this store.")
    local = at.astimezone(ZoneInfo(store.timezone))
    if campaign.weekdays and local.weekday() not in campaign.weekdays:
        return _l("This voucher cannot be used on this day of the week.")
    if campaign.daily_start is not None and not (
            campaign.daily_start <= local.time().replace(tzinfo=None) < campaign.daily_end):
        return _l("This voucher can be used from %(start)s to %(end)s only.",
                  start=_hhmm(campaign.daily_start), end=_hhmm(campaign.daily_end))
    return None


def _subject(merchant_id: int, code) -> Voucher | None:
    if code is None or code.kind != KIND:
        return None
    voucher = db.session.get(Voucher, code.subject_id)
    return voucher if voucher is not None and voucher.merchant_id == merchant_id else None


# --- at a counter ----------------------------------------------------------------------------

def bill_of(details: dict) -> int:
    if details.get("amount") is None:
        raise ValidationError.field("amount", _l("Enter the amount of the bill."))
    return validate_amount(details["amount"], "amount")


def redeem_in_store(voucher: Voucher, *, store, bill: int, at: datetime, actor) -> dict:
    """Apply the voucher to a bill of ``bill`` at ``store`` (the code row is locked and marked
    redeemed by the caller, ``marketplace.redemption``); record it and answer the figures."""
    voucher = lock_voucher(voucher)
    campaign = voucher.campaign
    problem = usable_problem(voucher, campaign, store=store, at=at, channel=Channel.IN_STORE)
    if problem is not None:
        raise ValidationError(problem)
    terms = discounts.terms_of(campaign)
    quote = discounts.on_bill(terms, bill)
    old = VoucherState(voucher.state)
    voucher.state = next_state(VOUCHER_TRANSITIONS, old, VoucherEvent.REDEEM)
    voucher.redeemed_at = at
    voucher.redeemed_store_id = store.id
    voucher.bill_amount = quote.eligible
    voucher.discount = quote.discount
    record(merchant_id=voucher.merchant_id, order_id=None, entity="voucher",
           entity_id=voucher.id, event=VoucherEvent.REDEEM, from_state=old,
           to_state=voucher.state, actor=Actor.staff(actor))
    db.session.flush()
    return {"voucher_id": voucher.id, "bill": quote.eligible, "discount": quote.discount,
            "to_pay": quote.to_pay, "currency": campaign.currency,
            "free_item": terms.free_item_title}


def quote_in_store(merchant_id: int, text: str, *, store, bill: int, at: datetime) -> dict:
    """What the voucher behind ``text`` (a scanned QR text or a typed code) takes off a bill
    of ``bill`` at ``store`` now, before staff confirm. Changes nothing; ``ValidationError``
    says why it cannot be used (one message for unknown and foreign codes)."""
    code, _outcome = redemption.find(merchant_id, text)
    voucher = _subject(merchant_id, code)
    if voucher is None:
        raise ValidationError.field("code", _l("This is not a voucher of this shop."))
    if code.state != CodeState.ACTIVE and voucher.state == VoucherState.AVAILABLE:
        # The old code of a voucher given back after an order: the wallet has its new one.
        raise ValidationError.field("code", _l("This code was replaced: ask for the one in "
                                               "the customer's wallet."))
    return quote_voucher(voucher, code, store=store, bill=bill, at=at)


def quote_voucher(voucher: Voucher, code, *, store, bill: int, at: datetime) -> dict:
    """The discount ``voucher`` gives on a bill of ``bill`` at ``store`` at ``at``; changes
    nothing, ``ValidationError`` says why it cannot be used there and then."""
    from .texts import conditions

    campaign = voucher.campaign
    problem = usable_problem(voucher, campaign, store=store, at=at, channel=Channel.IN_STORE)
    if problem is not None:
        raise ValidationError.field("code", problem)
    terms = discounts.terms_of(campaign)
    quote = discounts.on_bill(terms, bill)
    return {"voucher_id": voucher.id, "code_id": code.id, "title": campaign.name,
            "holder": voucher.customer.full_name, "bill": quote.eligible,
            "discount": quote.discount, "to_pay": quote.to_pay, "currency": campaign.currency,
            "terms": discounts.as_json(terms), "conditions": conditions(campaign)}


# --- online ----------------------------------------------------------------------------------

def held_voucher(merchant_id: int, customer, text: str | None) -> Voucher | None:
    """The customer's voucher of this merchant that ``text`` (its code) names, or ``None``."""
    if not text or customer is None:
        return None
    code, _outcome = redemption.find(merchant_id, text)
    voucher = _subject(merchant_id, code)
    if voucher is None or voucher.customer_id != customer.id:
        return None
    return voucher


def wallet_choices(merchant, customer, *, at: datetime) -> list[tuple[str, Voucher]]:
    """The customer's vouchers of this merchant that an online order could use now, with
    their codes, for the checkout's choice (whether they fit the cart is judged on choosing)."""
    from ..redemption import human

    if customer is None or not getattr(customer, "is_authenticated", True):
        return []
    found = db.session.scalars(
        sa.select(Voucher).join(Campaign, Campaign.id == Voucher.campaign_id)
        .where(Voucher.merchant_id == merchant.id, Voucher.customer_id == customer.id,
               Voucher.state == VoucherState.AVAILABLE,
               Campaign.state.in_([str(s) for s in USABLE_CAMPAIGN_STATES]),
               Campaign.channel != Channel.IN_STORE, Campaign.starts_at <= at,
               Campaign.ends_at > at)
        .order_by(Campaign.ends_at, Voucher.id))
    choices = []
    for voucher in found:
        code = redemption.current(KIND, voucher.id)
        if code is not None and code.state == CodeState.ACTIVE:
            choices.append((human.display(redemption.human_code(code)), voucher))
    return choices


def for_checkout(merchant, customer, text: str, *, store, lines, currency: str, at: datetime,
                 field: str) -> tuple[Voucher, discounts.Quote]:
    """Check the voucher a customer chose for one merchant's order; ``ValidationError`` on
    ``field`` with the reason it cannot be used."""
    voucher = held_voucher(merchant.id, customer, text)
    if voucher is None:
        raise ValidationError.field(field, NOT_HELD)
    campaign = voucher.campaign
    problem = usable_problem(voucher, campaign, store=store, at=at, channel=Channel.ONLINE)
    if problem is not None:
        raise ValidationError.field(field, problem)
    if campaign.currency != currency:
        raise ValidationError.field(field, _l("This voucher is for another currency."))
    return voucher, discounts.on_lines(discounts.terms_of(campaign), lines, field=field)


def price_adjustments(merchant, lines, *, currency: str, customer,
                      codes) -> list[PriceAdjustment] | None:
    """The core's ``marketplace_price_lines``: a discount for each voucher code the customer
    holds for this merchant. Whether the voucher may be used now was judged by the checkout
    (``for_checkout``); this only works the amount out, so an order priced again for what was
    taken (``lifecycle.collect``) keeps its voucher under the same terms."""
    adjustments, seen = [], set()
    for text in codes or ():
        voucher = held_voucher(merchant.id, customer, text)
        if voucher is None or voucher.id in seen or voucher.state not in (
                VoucherState.AVAILABLE, VoucherState.APPLIED):
            continue
        campaign = voucher.campaign
        if campaign.channel == Channel.IN_STORE or campaign.currency != currency:
            continue
        try:
            quote = discounts.on_lines(discounts.terms_of(campaign), lines)
        except ValidationError:
            continue
        seen.add(voucher.id)
        if quote.discount > 0:
            adjustments.append(PriceAdjustment(
                code=adjustment_code(voucher), label=campaign.name[:200],
                amount=-quote.discount, line_key=quote.line_key))
    return adjustments or None


def apply_to_order(voucher: Voucher, order, *, actor: Actor, now: datetime) -> Voucher:
    """The voucher is used by ``order`` (just placed): its code is closed at the order's
    store. Locked and checked again: the same voucher in two checkouts at once is used once,
    the other checkout is refused (409) and placed nothing."""
    voucher = lock_voucher(voucher)
    if voucher.state != VoucherState.AVAILABLE:
        raise Conflict(_l("This voucher was used meanwhile."))
    old = VoucherState(voucher.state)
    voucher.state = next_state(VOUCHER_TRANSITIONS, old, VoucherEvent.APPLY)
    voucher.order_id = order.id
    voucher.redeemed_at = now
    voucher.redeemed_store_id = order.store_id
    voucher.bill_amount = order.subtotal
    voucher.discount = -sum(a.amount for a in order.adjustments
                            if a.code == adjustment_code(voucher))
    redemption.close(KIND, voucher.id, store_id=order.store_id, staff_id=None, now=now)
    record(merchant_id=voucher.merchant_id, order_id=order.id, entity="voucher",
           entity_id=voucher.id, event=VoucherEvent.APPLY, from_state=old,
           to_state=voucher.state, actor=actor)
    db.session.flush()
    return voucher


def give_back(order, *, actor: Actor = SYSTEM, now: datetime) -> list[Voucher]:
    """The order ended with nothing handed over: its vouchers return to their wallets, each
    with a fresh code (or are cancelled, their campaign having ended)."""
    found = list(db.session.scalars(
        sa.select(Voucher).where(Voucher.merchant_id == order.merchant_id,
                                 Voucher.order_id == order.id,
                                 Voucher.state == VoucherState.APPLIED)
        .order_by(Voucher.id).with_for_update().execution_options(populate_existing=True)))
    for voucher in found:
        campaign = voucher.campaign
        if campaign.state not in USABLE_CAMPAIGN_STATES:
            cancel_locked(voucher, VoucherEvent.CANCEL, actor=actor, reason=None, now=now)
            continue
        old = VoucherState(voucher.state)
        voucher.state = next_state(VOUCHER_TRANSITIONS, old, VoucherEvent.RESTORE)
        voucher.order_id = None
        voucher.redeemed_at = voucher.redeemed_store_id = None
        voucher.bill_amount = voucher.discount = None
        redemption.issue(voucher.merchant_id, KIND, voucher.id, valid_from=campaign.starts_at,
                         valid_until=campaign.ends_at)
        record(merchant_id=voucher.merchant_id, order_id=order.id, entity="voucher",
               entity_id=voucher.id, event=VoucherEvent.RESTORE, from_state=old,
               to_state=voucher.state, actor=actor)
    db.session.flush()
    return found


def codes_for_order(order) -> list[str]:
    """The codes of the vouchers an order used, for pricing it again (a partial pickup)."""
    vouchers = db.session.scalars(sa.select(Voucher).where(
        Voucher.merchant_id == order.merchant_id, Voucher.order_id == order.id,
        Voucher.state == VoucherState.APPLIED).order_by(Voucher.id))
    codes = [redemption.current(KIND, voucher.id) for voucher in vouchers]
    return [redemption.human_code(code) for code in codes if code is not None]
