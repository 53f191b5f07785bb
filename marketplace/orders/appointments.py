"""Orders that pay ahead for a booked time: a deposit, or the whole price of a service.

A booking plugin sells time, not stock. When a service asks for money ahead, the booking gets
an order of fulfilment ``appointment`` with one line, the amount asked now, so every online
way to pay the merchant accepts (a card, a bank transfer) works exactly as for a pickup, and
the money is authorized, captured, refunded and booked in the settlement ledger by the same
services. Such an order holds no stock and has no pickup code, and the booking, not the
pickup queue, decides how it ends:

- ``serve``: the visit took place; the order is complete and its money taken;
- ``end``: cancelled, a no-show, or never paid, keeping what the booking's policy keeps (a
  deposit after a late cancellation) and giving the rest back.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from ..catalog.models import Variant
from ..database import utcnow
from ..errors import ValidationError
from ..extensions import db
from ..payments import services as payments
from ..payments.states import PaymentState
from ..plugins.providers import PaymentProvider
from ..stores.models import Store
from . import codes
from .audit import Actor
from .lifecycle import announce, end_unfulfilled, live_payment, lock, transition
from .models import Checkout, Order, OrderLine
from .states import OPEN_STATES, Fulfilment, OrderEvent, OrderState

E, S = OrderEvent, OrderState


def place(*, customer, store: Store, variant: Variant, title: str, amount: int, currency: str,
          provider: PaymentProvider, starts_at: datetime, ends_at: datetime,
          expires_at: datetime, note: str | None = None) -> Order:
    """An order of ``amount`` for ``title`` (e.g. "Deposit: Massage 60 min"), waiting for the
    customer's online payment until ``expires_at``. Flushes; the caller commits."""
    if provider.offline:
        raise ValidationError.field("payment_provider", _l(
            "Choose a way to pay online: this amount is paid ahead."))
    if amount <= 0:
        raise ValidationError.field("amount", _l("Nothing is to be paid ahead."))
    checkout = Checkout(customer_id=customer.id, currency=currency, total=amount)
    db.session.add(checkout)
    order = Order(
        merchant_id=store.merchant_id, checkout=checkout, customer_id=customer.id,
        number=codes.new_order_number(), state=S.PENDING_PAYMENT,
        fulfilment=Fulfilment.APPOINTMENT, store_id=store.id, store=store,
        slot_start=starts_at, slot_end=ends_at, expires_at=expires_at, currency=currency,
        subtotal=amount, adjustments_total=0, total=amount,
        payment_provider=provider.identifier, customer_note=note)
    order.lines.append(OrderLine(
        merchant_id=store.merchant_id, variant_id=variant.id, variant=variant,
        title=title[:200], variant_label=variant.label, sku=variant.sku, unit_price=amount,
        quantity=1))
    db.session.add(order)
    db.session.flush()
    actor = Actor.customer(customer)
    payments.start(order, provider, actor=actor)
    announce(order, None, S.PENDING_PAYMENT, "place", actor=actor)
    return order


def paid_ahead(order: Order) -> int:
    """What the customer has paid (or has authorized) and not been given back."""
    return sum(payments.held(payment) for payment in order.payments)


def serve(order: Order, *, actor: Actor, now: datetime | None = None) -> Order:
    """The visit took place: the order is complete, and an authorization still held on a card
    is captured in full (after the commit)."""
    order = lock(order)
    if order.state != S.CONFIRMED:
        return order  # never paid, or already ended: nothing more to take
    order.settled_total = order.total
    transition(order, E.SERVE, actor=actor, now=now)
    payment = live_payment(order)
    if payment is not None and payment.state == PaymentState.AUTHORIZED:
        payments.settle_online(payment, order.total, actor=actor)
    return order


def end(order: Order, event: OrderEvent, *, keep: int, actor: Actor, note: str | None = None,
        now: datetime | None = None) -> Order:
    """The appointment will not take place: ``cancel``, ``no_show`` or ``expire``. The merchant
    keeps ``keep`` of what was paid (the policy's deposit after a late cancellation or a
    no-show; nothing when the store cancels); the rest goes back. An order that already
    ended is left as it is, so the booking and the order clock may both try."""
    order = lock(order)
    state = OrderState(order.state)
    if state not in OPEN_STATES:
        return order
    if state == S.PENDING_PAYMENT:  # nothing was paid: it simply ends
        event, keep = (E.EXPIRE if event == E.EXPIRE else E.CANCEL), 0
    elif event == E.EXPIRE:
        event = E.CANCEL
    if note:
        order.cancel_reason = note[:500]
    return end_unfulfilled(order, event, actor=actor, now=now or utcnow(), note=note,
                           keep=min(max(keep, 0), paid_ahead(order)))
