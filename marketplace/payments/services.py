"""Payments and refunds of orders, through the providers plugins register.

No lock is ever held across a call to an online provider: what needs one (void an
authorization, refund a card) is written to the outbox in the transaction that decided it
and done after the commit by the outbox worker, which then records the provider's answer.
Offline providers (pay at store) move no money online, so their steps are recorded at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..database import utcnow
from ..errors import ValidationError
from ..extensions import db
from ..money import format_money
from ..orders.audit import SYSTEM, Actor, record
from ..outbox.services import enqueue, register_handler
from ..plugins.events import emit
from ..plugins.manager import current_platform
from ..plugins.providers import PaymentProvider
from ..settlement import services as settlement
from ..states import next_state
from .models import Payment, Refund
from .states import (
    PAYMENT_TRANSITIONS,
    REFUND_TRANSITIONS,
    PaymentEvent,
    PaymentState,
    RefundEvent,
    RefundState,
)

log = logging.getLogger(__name__)

VOID_TOPIC = "payment.void"
REFUND_TOPIC = "payment.refund"
CAPTURE_TOPIC = "payment.capture"


def provider_for(payment_or_identifier) -> PaymentProvider:
    identifier = getattr(payment_or_identifier, "provider", payment_or_identifier)
    return current_platform().payment_providers.get(identifier)


def usable_providers(merchant, currency: str) -> list[PaymentProvider]:
    """The ways to pay this merchant accepts (its enabled plugins) in ``currency``."""
    return [p for p in current_platform().payment_providers.active_in(merchant)
            if p.supports_currency(currency)]


def lock(payment: Payment) -> Payment:
    return db.session.scalars(
        sa.select(Payment).where(Payment.id == payment.id).with_for_update()
        .execution_options(populate_existing=True)).one()


def apply(payment: Payment, event: PaymentEvent, *, actor: Actor,
          note: str | None = None) -> Payment:
    old = PaymentState(payment.state)
    new = next_state(PAYMENT_TRANSITIONS, old, event)
    payment.state = new
    if event == PaymentEvent.CAPTURE:  # booked in the same transaction as the capture
        settlement.record_capture(
            payment, commission_bp=payment.order.merchant.commission_bp,
            collected_by=settlement.MERCHANT if provider_for(payment).money_to_merchant
            else settlement.PLATFORM)
    record(merchant_id=payment.merchant_id, order_id=payment.order_id, entity="payment",
           entity_id=payment.id, event=event, from_state=old, to_state=new, actor=actor,
           note=note)
    emit("marketplace_payment_state_changed", payment.order.merchant, payment_id=payment.id,
         order_id=payment.order_id, old_state=str(old), new_state=str(new))
    db.session.flush()
    return payment


def start(order, provider: PaymentProvider, *, actor: Actor) -> Payment:
    """A pending payment of the order's total; ``prepare`` says what the customer needs
    (instructions, a client secret …) and moves no money."""
    payment = Payment(merchant_id=order.merchant_id, order=order, provider=provider.identifier,
                      state=PaymentState.PENDING, currency=order.currency, amount=order.total)
    db.session.add(payment)
    db.session.flush()
    payment.data = dict(provider.prepare(payment, order=order) or {})
    record(merchant_id=order.merchant_id, order_id=order.id, entity="payment",
           entity_id=payment.id, event="create", from_state=None, to_state=payment.state,
           actor=actor)
    return payment


def take_at_counter(payment: Payment, amount: int, *, actor: Actor) -> Payment:
    """Staff took ``amount`` for an offline payment (cash, the store's card terminal)."""
    provider = provider_for(payment)
    if not provider.offline:
        raise ValidationError.field("payment", _l("This order was paid online."))
    payment = lock(payment)
    provider.capture(payment, amount)
    payment.captured_amount = amount
    return apply(payment, PaymentEvent.CAPTURE, actor=actor)


def waiting_for_staff(order) -> Payment | None:
    """The order's pending payment that staff confirm by hand (a transfer), if any."""
    registry = current_platform().payment_providers
    for payment in order.payments:
        if (payment.state == PaymentState.PENDING and payment.provider in registry
                and registry.get(payment.provider).confirmed_by_staff):
            return payment
    return None


def receive(payment: Payment, amount: int, *, actor: Actor) -> Payment:
    """Money that staff saw arrive (a bank transfer) for a pending online payment: exactly the
    amount asked, since a transfer of another amount must be sorted out with the customer."""
    provider = provider_for(payment)
    if not provider.confirmed_by_staff:
        raise ValidationError.field("payment", _l("This payment is confirmed by its provider, "
                                                  "not by staff."))
    payment = lock(payment)
    if payment.state != PaymentState.PENDING:
        raise ValidationError.field("payment", _l("This payment is not waiting for money."))
    if amount != payment.amount:
        raise ValidationError.field("amount", _l("The order asks for exactly %(amount)s.",
                                                 amount=format_money(payment.amount,
                                                                     payment.currency)))
    provider.capture(payment, amount)
    payment.captured_amount = amount
    return apply(payment, PaymentEvent.CAPTURE, actor=actor)


def held(payment: Payment) -> int:
    """What of the payment the merchant has or may still take: an authorization's amount,
    what a capture took less its refunds; nothing otherwise."""
    if payment.state == PaymentState.AUTHORIZED:
        return payment.amount
    if payment.state == PaymentState.CAPTURED:
        return payment.captured_amount - payment.refunded_amount
    return 0


def refund_rest(payment: Payment, keep: int, *, actor: Actor, reason: str) -> Refund | None:
    """Pay back what a captured payment took beyond ``keep`` (a partial pickup of a prepaid
    order, an order cancelled after it was paid)."""
    if payment.state != PaymentState.CAPTURED:
        return None
    extra = payment.captured_amount - payment.refunded_amount - keep
    return refund(payment, extra, actor=actor, reason=reason) if extra > 0 else None


def authorized(payment: Payment, *, actor: Actor, capture_before=None,
               reference: str | None = None) -> Payment:
    """The provider holds the payment's amount (on a card) until ``capture_before``."""
    payment = lock(payment)
    payment.capture_before = capture_before
    payment.reference = reference or payment.reference
    return apply(payment, PaymentEvent.AUTHORIZE, actor=actor)


def captured(payment: Payment, amount: int, *, actor: Actor, note: str | None = None) -> Payment:
    """The provider took ``amount`` of an online payment. Money taken for an order that has
    meanwhile ended (collected in part, not collected) beyond what it settled for goes back:
    a full capture before the authorization lapsed can land after the pickup."""
    payment = lock(payment)
    payment.captured_amount = amount
    apply(payment, PaymentEvent.CAPTURE, actor=actor, note=note)
    order = payment.order
    if order.closed_at is not None:
        refund_rest(payment, order.settled_total or 0, actor=actor,
                    reason=str(_l("Not collected")))
    return payment


def failed(payment: Payment, failure: str, *, actor: Actor = SYSTEM) -> Payment:
    """The provider refused (a lapsed authorization, a declined capture): staff see why."""
    payment = lock(payment)
    payment.failure = failure[:500]
    return apply(payment, PaymentEvent.FAIL, actor=actor, note=payment.failure)


def settle_online(payment: Payment, amount: int, *, actor: Actor) -> bool:
    """Capture an authorized online payment after the commit (partial when less is due).

    At most one capture is ever queued per payment: when the clock already queued a full
    capture (the authorization was about to lapse), this one is not, and the full capture
    gives back the excess when it lands (``captured``). The caller holds the order's lock."""
    payment = lock(payment)
    if payment.state != PaymentState.AUTHORIZED or payment.capture_requested_at is not None:
        return False
    payment.capture_requested_at = utcnow()
    log.info("payment %s: capture of %s queued", payment.id, amount)
    enqueue(CAPTURE_TOPIC, {"payment_id": payment.id, "amount": amount,
                            "actor_id": actor.user_id, "actor_kind": actor.kind})
    return True


def due_for_capture(now: datetime, *, margin: timedelta, limit: int) -> list[int]:
    """Authorized payments whose hold lapses within ``margin`` and that nobody captures yet."""
    return list(db.session.scalars(
        sa.select(Payment.id).where(
            Payment.state == PaymentState.AUTHORIZED, Payment.capture_requested_at.is_(None),
            Payment.capture_before.is_not(None), Payment.capture_before <= now + margin)
        .order_by(Payment.capture_before).limit(limit)))


def stop(payment: Payment, *, actor: Actor, note: str | None = None) -> None:
    """The order will not be paid: cancel what is pending, void an authorization (after the
    commit, through the provider), leave captured money to refunds."""
    state = PaymentState(payment.state)
    if state == PaymentState.PENDING:
        apply(lock(payment), PaymentEvent.CANCEL, actor=actor, note=note)
    elif state == PaymentState.AUTHORIZED:
        enqueue(VOID_TOPIC, {"payment_id": payment.id})


def refund(payment: Payment, amount: int, *, actor: Actor, reason: str | None,
           return_id: int | None = None) -> Refund:
    """Give back ``amount`` of a captured payment: at once when the merchant holds the money
    (cash at the counter, a transfer paid back by the merchant), else through the provider
    after the commit."""
    payment = lock(payment)
    available = payment.captured_amount - payment.refunded_amount
    if payment.state not in (PaymentState.CAPTURED,) or not 0 < amount <= available:
        raise ValidationError.field("amount", _l("At most %(n)d can be refunded.",
                                                 n=max(available, 0)))
    provider = provider_for(payment)
    # Money the merchant holds (the counter, a transfer to its account) the merchant pays
    # back itself, at once; money a provider holds goes back through it after the commit.
    by_hand = provider.offline or provider.confirmed_by_staff
    method = "cash" if provider.offline else "merchant" if by_hand else "provider"
    item = Refund(merchant_id=payment.merchant_id, order_id=payment.order_id,
                  payment_id=payment.id, return_id=return_id, state=RefundState.PENDING,
                  method=method, currency=payment.currency, amount=amount, reason=reason)
    db.session.add(item)
    # Count it against the payment now, so two refunds can never exceed what was captured.
    payment.refunded_amount += amount
    db.session.flush()
    record(merchant_id=item.merchant_id, order_id=item.order_id, entity="refund",
           entity_id=item.id, event="create", from_state=None, to_state=item.state, actor=actor,
           note=reason)
    if by_hand:
        provider.refund(item)
        _refund_done(item, payment, actor=actor)
    else:
        enqueue(REFUND_TOPIC, {"refund_id": item.id})
    return item


def _refund_done(item: Refund, payment: Payment, *, actor: Actor) -> None:
    old = RefundState(item.state)
    item.state = next_state(REFUND_TRANSITIONS, old, RefundEvent.SUCCEED)
    record(merchant_id=item.merchant_id, order_id=item.order_id, entity="refund",
           entity_id=item.id, event=RefundEvent.SUCCEED, from_state=old, to_state=item.state,
           actor=actor)
    settlement.record_refund(item, payment)
    if payment.refunded_amount >= payment.captured_amount:
        apply(payment, PaymentEvent.REFUND_ALL, actor=actor)


def _refund_failed(item: Refund, payment: Payment, failure: str) -> None:
    old = RefundState(item.state)
    item.state = next_state(REFUND_TRANSITIONS, old, RefundEvent.FAIL)
    item.failure = failure[:500]
    payment.refunded_amount -= item.amount
    record(merchant_id=item.merchant_id, order_id=item.order_id, entity="refund",
           entity_id=item.id, event=RefundEvent.FAIL, from_state=old, to_state=item.state,
           actor=SYSTEM, note=item.failure)


# --- after commit: the provider calls ---------------------------------------------------------
# The outbox worker commits what a handler records together with marking the message done.

def _deliver_void(payload: dict) -> None:
    payment = db.session.get(Payment, payload["payment_id"])
    if payment is None or payment.state != PaymentState.AUTHORIZED:
        return  # already voided, captured or gone: nothing to do twice
    provider_for(payment).void(payment)
    apply(lock(payment), PaymentEvent.VOID, actor=SYSTEM)


def _deliver_capture(payload: dict) -> None:
    payment = db.session.get(Payment, payload["payment_id"])
    if payment is None or payment.state != PaymentState.AUTHORIZED:
        return
    amount = payload["amount"]
    actor = Actor(payload.get("actor_kind", "staff"), payload.get("actor_id"))
    try:
        outcome = provider_for(payment).capture(payment, amount)
    except ValidationError as exc:  # the provider said no (the authorization lapsed)
        failed(payment, str(exc.message))
        return
    payment = lock(payment)
    # A provider that takes one payment for several orders records the capture itself
    # when the last of them is settled, and answers AUTHORIZED until then.
    if payment.state == PaymentState.AUTHORIZED and outcome != PaymentState.AUTHORIZED:
        captured(payment, amount, actor=actor)


def _deliver_refund(payload: dict) -> None:
    item = db.session.get(Refund, payload["refund_id"])
    if item is None or item.state != RefundState.PENDING:
        return
    payment = lock(item.payment)
    try:
        outcome = provider_for(payment).refund(item)
    except ValidationError as exc:  # the provider said no: record it, do not retry
        _refund_failed(item, payment, str(exc.message))
        return
    if outcome == RefundState.PENDING:  # the provider tells later (a webhook)
        return
    _refund_done(item, payment, actor=SYSTEM)


def refund_finished(item: Refund, *, succeeded: bool, failure: str | None = None) -> None:
    """A provider's later answer on a pending refund (its webhook); repeats change nothing."""
    item = db.session.scalars(sa.select(Refund).where(Refund.id == item.id).with_for_update()
                              .execution_options(populate_existing=True)).one()
    if item.state != RefundState.PENDING:
        return
    payment = lock(item.payment)
    if succeeded:
        _refund_done(item, payment, actor=SYSTEM)
    else:
        _refund_failed(item, payment, failure or "refused")


def init_app(app) -> None:
    register_handler(app, VOID_TOPIC, _deliver_void)
    register_handler(app, CAPTURE_TOPIC, _deliver_capture)
    register_handler(app, REFUND_TOPIC, _deliver_refund)
