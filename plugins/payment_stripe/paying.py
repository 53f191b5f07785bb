"""The request boundary of "Pay by card", shared by the card page and the REST API.

A call to Stripe is never made inside a transaction that holds locks: the attempt is planned
from what the database says, the transaction ends, Stripe authorizes, and Stripe's answer is
applied (``intents.sync``) and committed in a new transaction; an authorization nobody needs
any more (its orders expired while the customer typed) is released after that commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.database import utcnow
from marketplace.errors import MarketplaceError, ValidationError
from marketplace.extensions import db
from marketplace.orders import lifecycle
from marketplace.orders.audit import SYSTEM
from marketplace.orders.models import Checkout
from marketplace.payments import services as payments
from marketplace.payments.states import PaymentState
from marketplace.plugins.services import merchant_settings

from . import gateway, intents

log = logging.getLogger(__name__)


class StripeUnavailable(MarketplaceError):
    status = 503
    code = "payment_provider_unavailable"


@dataclass(frozen=True)
class Due:
    """What a checkout still has to pay by card: its waiting shares, their sum, and those
    whose pickup (or try-on) ends after a card hold made now would lapse, so the customer is
    told the money is taken earlier."""

    shares: list
    amount: int
    currency: str
    late: list

    @property
    def deadline(self) -> datetime:
        return min(p.order.expires_at for p in self.shares)


def due(checkout: Checkout, now: datetime | None = None) -> Due:
    """The checkout's card payment still to make; ``ValidationError`` when there is none."""
    now = now or utcnow()
    shares = intents.waiting_shares(checkout, now)
    if not shares:
        raise ValidationError(intents.NOTHING_TO_PAY)
    lapse = now + gateway.CARD_HOLD - _margin()
    return Due(shares=shares, amount=sum(p.amount for p in shares), currency=checkout.currency,
               late=[p for p in shares if lifecycle.hold_end_once_paid(p.order, now) > lapse])


def _margin() -> timedelta:
    return timedelta(hours=current_app.config["CAPTURE_MARGIN_HOURS"])


def charge(checkout: Checkout, payment_method, *, now: datetime | None = None
           ) -> intents.Outcome:
    """Authorize the checkout's waiting card payments with ``payment_method`` (made by
    Stripe.js in the customer's browser). Commits."""
    now = now or utcnow()
    attempt = intents.plan(checkout, payment_method=payment_method, now=now)
    db.session.commit()  # no transaction stays open across the call to Stripe
    try:
        intent = intents.create_remote(attempt)
    except stripe.CardError as exc:  # declined: the orders stay unpaid, their hold runs on
        log.info("stripe: card declined for checkout %s: %s", attempt.checkout_id,
                 gateway.log_safe(exc))
        return intents.Outcome("failed", message=gateway.message(exc))
    except stripe.StripeError as exc:
        log.warning("stripe: payment of checkout %s failed: %s", attempt.checkout_id,
                    gateway.log_safe(exc))
        raise StripeUnavailable(_l("Card payments are unavailable for a moment. Please try "
                                   "again.")) from None
    return _apply(intent)


def after_action(checkout: Checkout) -> intents.Outcome:
    """The customer finished 3-D Secure (or gave up): read the PaymentIntent as Stripe has it
    now and apply it. Commits."""
    row = intents.latest(checkout)
    if row is None:
        raise ValidationError(_l("No card payment was started for these orders."))
    intent_id = row.intent_id
    db.session.commit()
    try:
        intent = intents.retrieve(intent_id)
    except stripe.StripeError as exc:
        log.warning("stripe: could not read %s: %s", intent_id, gateway.log_safe(exc))
        raise StripeUnavailable(_l("Card payments are unavailable for a moment. Please try "
                                   "again.")) from None
    return _apply(intent)


def apply_in_transaction(intent) -> intents.Outcome:
    """Stripe's PaymentIntent applied, with the merchants' late-pickup policy. Flushes."""
    outcome = intents.sync(intent)
    if outcome.status == "authorized":
        charge_late_pickups(intent["id"])
    return outcome


def _apply(intent) -> intents.Outcome:
    try:
        outcome = apply_in_transaction(intent)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if outcome.release:
        intents.release_quietly(intent["id"])
    return outcome


def charge_late_pickups(intent_id: str) -> int:
    """The merchant's policy for pickups beyond the card hold: "charge at order" settles such
    shares in full at once (what is not collected is refunded later); the default waits and
    lets the order clock capture just before the hold lapses."""
    queued = 0
    for payment in intents.authorized_shares(intent_id):
        order = payment.order
        if payment.capture_before is None or payment.state != PaymentState.AUTHORIZED:
            continue
        late = order.expires_at > payment.capture_before - _margin()
        policy = merchant_settings(order.merchant, gateway.NAME).get("late_pickup")
        if late and policy == "charge_at_order":
            queued += payments.settle_online(payment, payment.amount, actor=SYSTEM)
    return queued
