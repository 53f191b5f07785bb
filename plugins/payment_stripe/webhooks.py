"""Stripe's webhooks: signed, possibly repeated, in any order.

The signature is checked against the raw body with the platform's signing secret, and an
event older than five minutes is refused, before anything is read or written. An event is
handled once: its id is recorded in the same transaction as what it changed, so a replay (or
the same event delivered ten times at once) changes nothing after the first. The event's
object is never trusted as it arrived: the PaymentIntent or refund is fetched from Stripe
again and applied as it is now, so an old event arriving late cannot move a payment back.
"""

from __future__ import annotations

import logging

import stripe
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db

from . import gateway, intents, paying
from .models import StripeEvent

log = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
INTENT_EVENTS = frozenset({
    "payment_intent.succeeded", "payment_intent.amount_capturable_updated",
    "payment_intent.payment_failed", "payment_intent.canceled",
    "payment_intent.requires_action", "payment_intent.processing",
})
REFUND_EVENTS = frozenset({"refund.updated", "refund.failed", "charge.refund.updated"})


def receive(request):
    """The provider's ``handle_webhook``: returns ``(body, status)`` for the view."""
    secret = gateway.settings()["webhook_secret"]
    if not secret:
        log.error("stripe: a webhook arrived but no signing secret is set")
        return {"error": "not configured"}, 503
    try:
        event = stripe.Webhook.construct_event(
            request.get_data(), request.headers.get("Stripe-Signature", ""), secret,
            tolerance=TOLERANCE_SECONDS).to_dict()
    except (ValueError, stripe.SignatureVerificationError):
        # Forged, tampered with, or replayed after five minutes: nothing is read or written.
        return {"error": "invalid signature"}, 400
    if db.session.get(StripeEvent, event["id"]) is not None:
        db.session.commit()  # (a read)
        return {"received": True, "duplicate": True}, 200
    db.session.commit()  # (a read) no transaction is open while Stripe is asked
    current = _fetch(event)
    try:
        db.session.add(StripeEvent(id=event["id"], type=event["type"],
                                   object_id=(event["data"]["object"] or {}).get("id")))
        db.session.flush()  # a second delivery of the same event stops here
    except IntegrityError:
        db.session.rollback()
        return {"received": True, "duplicate": True}, 200
    try:
        outcome = _apply(event["type"], current)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    if outcome is not None and outcome.release:
        intents.release_quietly(current["id"])
    return {"received": True}, 200


def _fetch(event):
    """The event's object as Stripe has it now (``None`` for events we do not act on)."""
    object_id = (event["data"]["object"] or {}).get("id")
    if event["type"] in INTENT_EVENTS:
        return intents.retrieve(object_id)
    if event["type"] in REFUND_EVENTS:
        return gateway.client().v1.refunds.retrieve(object_id).to_dict()
    return None  # acknowledged and ignored


def _apply(kind: str, current):
    if current is None:
        return None
    if kind in INTENT_EVENTS:
        if not (current.get("metadata") or {}).get("checkout"):
            return None  # not one of ours (another integration on the same Stripe account)
        return paying.apply_in_transaction(current)
    intents.refund_answered(current)
    return None
