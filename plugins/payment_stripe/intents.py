"""The rules of card payments: which orders a PaymentIntent pays, what Stripe's answer means
for them, and when the one capture of a shared intent happens.

One card payment pays every card-paid order of a checkout, whatever the merchant: one
PaymentIntent, authorized at checkout (manual capture). Each order keeps its own ``Payment``
(its share). A PaymentIntent is captured only once, so each share's settlement (collected
for some amount, or cancelled/not collected for 0) is written down on the intent, and the
last one captures the sum; Stripe releases the rest of the hold. Stripe's answers are
applied through ``sync``, whoever brings them (the customer's request, the 3-D Secure return,
a webhook), so their order of arrival does not matter: ``sync`` reads the PaymentIntent as
Stripe has it now and every step is idempotent.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import stripe
from flask_babel import lazy_gettext as _l

from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.orders import lifecycle
from marketplace.orders.audit import SYSTEM
from marketplace.orders.models import Checkout, Order
from marketplace.orders.states import OrderState
from marketplace.payments import services as payments
from marketplace.payments.models import Payment, Refund
from marketplace.payments.states import PaymentEvent, PaymentState, RefundState
from marketplace.urls import public_url

from . import gateway
from .models import CardIntent

log = logging.getLogger(__name__)

PROVIDER = "stripe"
PAYMENT_METHOD = re.compile(r"^pm_[A-Za-z0-9_]{1,250}$")
DEFERRED = PaymentState.AUTHORIZED  # "not captured yet": the provider records it later
LAPSED = _l("The card authorization lapsed before it was captured: take the payment at the "
             "counter.")
NOTHING_TO_PAY = _l("Nothing here is waiting for a card payment: it was paid, cancelled, or "
                    "its hold ran out.")


@dataclass
class Attempt:
    """What one "Pay" asks Stripe for, decided before any call."""

    checkout_id: int
    payment_ids: list[int]
    order_numbers: list[str]
    amount: int
    currency: str
    payment_method: str

    @property
    def idempotency_key(self) -> str:
        # The same shares paid with the same card is the same request: a retry or a double
        # click gets Stripe's first answer, never a second authorization.
        shares = ".".join(str(i) for i in self.payment_ids)
        return f"o2o-pay-{self.checkout_id}-{shares}-{self.payment_method}"


@dataclass
class Outcome:
    """What the customer's page (or app) is told, and what is left to do after the commit."""

    status: str  # authorized | requires_action | failed | nothing_to_pay
    message: str = ""
    client_secret: str | None = None
    orders: list[str] = field(default_factory=list)
    release: bool = False  # cancel the PaymentIntent after the commit: nothing left to pay


def waiting_shares(checkout: Checkout, now: datetime) -> list[Payment]:
    """The checkout's card payments still to make: their order unpaid and still held."""
    return [payment for order in checkout.orders for payment in order.payments
            if payment.provider == PROVIDER and payment.state == PaymentState.PENDING
            and order.state == OrderState.PENDING_PAYMENT and order.expires_at > now]


def plan(checkout: Checkout, *, payment_method, now: datetime) -> Attempt:
    if not isinstance(payment_method, str) or not PAYMENT_METHOD.match(payment_method):
        raise ValidationError.field("payment_method", _l("Enter your card details again."))
    shares = waiting_shares(checkout, now)
    if not shares:
        raise ValidationError(NOTHING_TO_PAY)
    amount = sum(p.amount for p in shares)
    gateway.to_stripe(amount, checkout.currency)  # refuses a currency Stripe cannot charge
    return Attempt(checkout_id=checkout.id, payment_ids=sorted(p.id for p in shares),
                   order_numbers=[p.order.number for p in shares], amount=amount,
                   currency=checkout.currency, payment_method=payment_method)


def create_remote(attempt: Attempt):
    """Authorize the amount on the card (Stripe's "finalize on the server" flow: the browser
    made the PaymentMethod, so no card number ever reaches us)."""
    return gateway.client().v1.payment_intents.create({
        "amount": gateway.to_stripe(attempt.amount, attempt.currency),
        "currency": attempt.currency.lower(),
        "payment_method": attempt.payment_method,
        "payment_method_types": ["card"],
        "capture_method": "manual",
        "confirm": True,
        # 3-D Secure runs in the customer's browser through Stripe.js (handleNextAction); a
        # method that redirects comes back to the card page, which applies the result.
        "use_stripe_sdk": True,
        "return_url": public_url(f"{gateway.NAME}.pay_page", checkout_id=attempt.checkout_id),
        "metadata": {"checkout": str(attempt.checkout_id),
                     "payments": ",".join(str(i) for i in attempt.payment_ids),
                     "orders": ",".join(attempt.order_numbers)},
        "expand": ["latest_charge"],
    }, gateway.options(attempt.idempotency_key)).to_dict()


def retrieve(intent_id: str):
    """The PaymentIntent as Stripe has it now, as plain data (its charge included)."""
    return gateway.client().v1.payment_intents.retrieve(
        intent_id, {"expand": ["latest_charge"]}).to_dict()


def latest(checkout: Checkout) -> CardIntent | None:
    return db.session.scalars(sa.select(CardIntent).where(
        CardIntent.checkout_id == checkout.id).order_by(CardIntent.id.desc())).first()


def _lock(intent_id: str) -> CardIntent | None:
    return db.session.scalars(
        sa.select(CardIntent).where(CardIntent.intent_id == intent_id).with_for_update()
        .execution_options(populate_existing=True)).first()


def _shares_named(intent, checkout_id: int) -> list[Payment]:
    """The payments the PaymentIntent was made for (our own metadata, checked against the
    checkout: an intent can only ever pay its own checkout's card payments)."""
    ids = [int(i) for i in (intent.get("metadata") or {}).get("payments", "").split(",")
           if i.isdigit()]
    found = db.session.scalars(sa.select(Payment).join(Order).where(
        Payment.id.in_(ids), Order.checkout_id == checkout_id,
        Payment.provider == PROVIDER).order_by(Payment.id))
    return list(found)


def authorized_shares(intent_id: str) -> list[Payment]:
    """Shares the PaymentIntent still holds money for."""
    return list(db.session.scalars(sa.select(Payment).where(
        Payment.reference == intent_id, Payment.provider == PROVIDER,
        Payment.state == PaymentState.AUTHORIZED).order_by(Payment.id)))


def _parts(row: CardIntent) -> list[Payment]:
    return authorized_shares(row.intent_id)


def sync(intent) -> Outcome:
    """Apply the PaymentIntent as Stripe has it now. Idempotent: the same state applied twice
    changes nothing the second time."""
    metadata = intent.get("metadata") or {}
    checkout = db.session.get(Checkout, int(metadata.get("checkout") or 0))
    if checkout is None:
        return Outcome("failed", message=str(_l("Unknown payment.")))
    row = _lock(intent["id"])
    if row is None:
        row = CardIntent(checkout_id=checkout.id, intent_id=intent["id"],
                         currency=checkout.currency,
                         amount=gateway.from_stripe(intent["amount"], checkout.currency),
                         status=intent["status"])
        db.session.add(row)
    row.status = intent["status"]
    row.card_brand, row.card_last4 = gateway.card_summary(intent)
    error = intent.get("last_payment_error")
    row.last_error = (error.get("message") or "")[:500] if error else None
    status = intent["status"]
    if status in ("requires_capture", "succeeded"):
        row.capture_before = gateway.capture_before(intent)
        outcome = _authorized(row, intent, checkout)
    elif status == "requires_action":
        outcome = Outcome("requires_action", client_secret=intent.get("client_secret"))
    elif status == "canceled":
        outcome = _lapsed(row)
    else:  # requires_payment_method: declined or authentication failed; the hold runs on
        outcome = Outcome("failed", message=row.last_error or str(_l(
            "The card payment did not go through. Please try again or choose another way "
            "to pay.")))
    db.session.flush()
    return outcome


def _authorized(row: CardIntent, intent, checkout: Checkout) -> Outcome:
    confirmed, already = [], []
    for payment in _shares_named(intent, checkout.id):
        if payment.reference == row.intent_id and payment.state != PaymentState.PENDING:
            already.append(payment.order.number)  # applied before (a webhook, a retry)
            continue
        try:
            lifecycle.payment_authorized(payment.order, payment, actor=SYSTEM,
                                         capture_before=row.capture_before,
                                         reference=row.intent_id)
        except ValidationError:
            continue  # cancelled or expired meanwhile, or paid by another attempt: left out
        confirmed.append(payment.order.number)
    if intent["status"] == "succeeded" and row.captured_amount == 0:
        # Captured at Stripe by someone else than this platform (the dashboard): a share
        # cannot be told from the sum, so staff sort it out; nothing is guessed here.
        log.warning("stripe: payment intent %s captured outside the platform", row.intent_id)
    if not confirmed and not already:
        return Outcome("failed", release=intent["status"] == "requires_capture", message=str(_l(
            "Too late: these orders are no longer waiting for a payment. Your card was not "
            "charged.")))
    return Outcome("authorized", orders=confirmed + already)


def _lapsed(row: CardIntent) -> Outcome:
    """Stripe cancelled the authorization (it lapsed, or someone cancelled it there): the
    orders it was to pay show it to staff, who take the payment another way."""
    for payment in _parts(row):
        if str(payment.id) in row.settled and row.settled[str(payment.id)] == 0:
            continue  # nothing was to be taken for it anyway
        payments.failed(payment, str(LAPSED))
    return Outcome("failed", message=str(_l("This card payment was cancelled.")))


# --- settling shares (the provider's capture and void, run by the outbox worker) ------------

def settle_share(payment: Payment, amount: int) -> PaymentState:
    """Write down what the share settled for; capture (or release) the PaymentIntent when it
    was the last share. The intent's row stays locked through the one Stripe call, so two
    shares settling at once cannot both think the other is still open."""
    row = _lock(payment.reference or "")
    if row is None:
        raise ValidationError(_l("No card payment was found for this order."))
    parts = _parts(row)
    row.settled = {**row.settled, str(payment.id): amount}
    if any(str(p.id) not in row.settled for p in parts):
        db.session.flush()
        return DEFERRED
    total = sum(row.settled[str(p.id)] for p in parts)
    if total == 0:
        _cancel_remote(row)
        for other in parts:  # settled for nothing earlier, waiting for this last share
            if other.id != payment.id:
                payments.apply(payments.lock(other), PaymentEvent.VOID, actor=SYSTEM)
        return PaymentState.VOIDED
    try:
        _capture_remote(row, total)
    except ValidationError as exc:
        for other in parts:
            if other.id != payment.id:
                payments.failed(other, str(exc.message))
        raise
    row.captured_amount, row.status = total, "succeeded"
    for other in parts:
        if other.id != payment.id and row.settled[str(other.id)] > 0:
            payments.captured(other, row.settled[str(other.id)], actor=SYSTEM)
    db.session.flush()
    return PaymentState.CAPTURED if amount else PaymentState.VOIDED


def _capture_remote(row: CardIntent, total: int) -> None:
    # Read it first: an authorization that lapsed (or was cancelled at Stripe) must reach
    # staff as such, and one captured by an earlier try whose answer was lost is done.
    current = retrieve(row.intent_id)
    if current["status"] == "succeeded":
        return
    if current["status"] == "canceled":
        raise ValidationError(LAPSED)
    try:
        gateway.client().v1.payment_intents.capture(
            row.intent_id, {"amount_to_capture": gateway.to_stripe(total, row.currency)},
            gateway.options(f"o2o-capture-{row.intent_id}"))
    except (stripe.APIConnectionError, stripe.RateLimitError):
        raise  # try again later (the outbox retries); the idempotency key keeps it single
    except stripe.StripeError as exc:
        current = retrieve(row.intent_id)  # what happened, as Stripe has it
        if current["status"] == "succeeded":
            return  # an earlier try went through and its answer was lost
        log.warning("stripe: capture of %s refused: %s", row.intent_id, gateway.log_safe(exc))
        if current["status"] == "canceled":
            raise ValidationError(LAPSED) from None
        raise


def _cancel_remote(row: CardIntent) -> None:
    try:
        gateway.client().v1.payment_intents.cancel(
            row.intent_id, None, gateway.options(f"o2o-cancel-{row.intent_id}"))
    except (stripe.APIConnectionError, stripe.RateLimitError):
        raise
    except stripe.StripeError:
        if retrieve(row.intent_id)["status"] != "canceled":
            raise
    row.status = "canceled"


def release_quietly(intent_id: str) -> None:
    """Cancel an authorization nobody needs (its orders expired while the customer paid);
    an authorization left behind lapses by itself, so a failure here is only logged."""
    try:
        gateway.client().v1.payment_intents.cancel(intent_id, None,
                                                   gateway.options(f"o2o-cancel-{intent_id}"))
    except stripe.StripeError as exc:
        log.warning("stripe: could not release %s: %s", intent_id, gateway.log_safe(exc))


# --- refunds (the provider's refund, run by the outbox worker) --------------------------------

def refund(item) -> RefundState:
    """Give back a refund record's amount of a captured share. The PaymentIntent's charge
    holds every share of the checkout, so the refund names the amount; the idempotency key
    is the refund record's, so a retried delivery never refunds twice."""
    payment = item.payment
    try:
        answer = gateway.client().v1.refunds.create(
            {"payment_intent": payment.reference,
             "amount": gateway.to_stripe(item.amount, item.currency),
             "metadata": {"refund": str(item.id), "order": payment.order.number}},
            gateway.options(f"o2o-refund-{item.id}")).to_dict()
    except (stripe.APIConnectionError, stripe.RateLimitError):
        raise  # the outbox tries again; Stripe answers a repeat with the first refund
    except stripe.InvalidRequestError as exc:
        log.warning("stripe: refund %s refused: %s", item.id, gateway.log_safe(exc))
        raise ValidationError(_l("Stripe refused the refund: give the money back another "
                                 "way.")) from None
    item.reference = answer["id"]
    status = answer.get("status")
    if status == "succeeded":
        return RefundState.SUCCEEDED
    if status in ("failed", "canceled"):
        raise ValidationError(_l("Stripe could not refund the card: give the money back "
                                 "another way."))
    return RefundState.PENDING  # Stripe tells later (charge.refund.updated)


def refund_answered(refund_object) -> None:
    """Stripe's later word on a refund (its webhook, the refund re-fetched)."""
    item = db.session.scalars(sa.select(Refund).where(
        Refund.reference == refund_object["id"])).first()
    if item is None:
        return
    status = refund_object.get("status")
    if status == "succeeded":
        payments.refund_finished(item, succeeded=True)
    elif status in ("failed", "canceled"):
        payments.refund_finished(item, succeeded=False,
                                 failure=str(_l("Stripe could not refund the card.")))
