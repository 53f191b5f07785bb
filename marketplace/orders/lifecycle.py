"""Moving an order through its states, with the stock, slot and payment effects of each move.

``transition`` is the one place an order changes state: it locks the order row, asks the
transition table, writes the audit row, and queues the customer's notification and the
plugins' ``marketplace_order_state_changed`` in the same transaction. The operations below
(the staff queue, collection, reserve-and-try, cancellation, expiry) decide *whether* a move
is allowed for who is asking and what else must happen with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..database import utcnow
from ..errors import PermissionDenied, ValidationError
from ..extensions import db
from ..fulfilment import slots
from ..inventory.models import MovementReason
from ..inventory.services import apply_movement, lock_level
from ..payments import services as payments
from ..payments.models import Payment
from ..payments.states import PaymentState
from ..plugins.events import emit
from ..redemption import services as redemption
from ..states import events_from, next_state
from ..validation import optional_text, valid_int
from ..vouchers import usage as vouchers
from . import codes, notifications
from .audit import SYSTEM, Actor, record
from .models import Order, OrderAdjustment
from .pricing import PricedLine, price
from .queries import on_the_order_clock
from .states import (
    CUSTOMER_CANCELLABLE,
    OPEN_STATES,
    ORDER_TRANSITIONS,
    QUEUE_STATES,
    SYSTEM_EVENTS,
    Fulfilment,
    OrderEvent,
    OrderState,
)

E, S = OrderEvent, OrderState


class WrongPickupCode(ValidationError):
    code = "wrong_pickup_code"


class BookedAppointment(ValidationError):
    """The order pays for an appointment: it moves with its booking, not by hand."""

    code = "order_of_booking"


def _not_an_appointment(order: Order) -> None:
    if order.fulfilment == Fulfilment.APPOINTMENT:
        raise BookedAppointment(_l("This order pays for an appointment: change the booking "
                                   "instead."))


def lock(order: Order) -> Order:
    """The order row, locked until commit (SQLite: the transaction's write lock)."""
    return db.session.scalars(_locking(order.id)).one()


def locked(order_id: int) -> Order | None:
    """The order with this id, locked until commit; None if there is none."""
    return db.session.scalars(_locking(order_id)).first()


def _locking(order_id: int) -> sa.Select:
    return (sa.select(Order).where(Order.id == order_id).with_for_update()
            .execution_options(populate_existing=True))


def transition(order: Order, event: OrderEvent, *, actor: Actor, note: str | None = None,
               now: datetime | None = None) -> Order:
    old = OrderState(order.state)
    new = next_state(ORDER_TRANSITIONS, old, event)
    order.state = new
    if new not in OPEN_STATES:
        order.closed_at = now or utcnow()
    announce(order, old, new, event, actor=actor, note=note)
    return order


def announce(order: Order, old: OrderState | None, new: OrderState, event: str, *,
             actor: Actor, note: str | None = None) -> None:
    """Audit row, customer notification and plugin event for a change (or the placement)."""
    record(merchant_id=order.merchant_id, order_id=order.id, entity="order", entity_id=order.id,
           event=event, from_state=old, to_state=new, actor=actor, note=note)
    notifications.state_changed(order, new)
    if order.fulfilment == Fulfilment.DELIVERY:
        from ..delivery import order_effects  # the delivery package builds on orders

        order_effects.order_changed(order, new, now=utcnow())
    emit("marketplace_order_state_changed", order.merchant, order_id=order.id,
         old_state=str(old) if old else "", new_state=str(new), event=str(event))
    db.session.flush()


# --- stock and slot effects -------------------------------------------------------------------

def _locked_levels(order: Order):
    """Lock the order's stock rows in (store, variant) order, as checkout does: no deadlock."""
    return {line.variant_id: lock_level(order.store, line.variant)
            for line in sorted(order.lines, key=lambda x: x.variant_id)}


def release_holds(order: Order, *, actor: Actor) -> None:
    """Give back whatever the order still holds at its store."""
    levels = None
    for line in order.lines:
        if line.held_quantity <= 0:
            continue
        levels = levels or _locked_levels(order)
        apply_movement(levels[line.variant_id], reason=MovementReason.RELEASE,
                       reserved_delta=-line.held_quantity, actor_id=actor.user_id,
                       reference=order.number)
        line.held_quantity = 0


# Why money paid ahead goes back, when nobody wrote a reason (the refund's note).
UNFULFILLED_REASONS = {E.CANCEL: _l("Cancelled"), E.NO_SHOW: _l("Not collected"),
                       E.EXPIRE: _l("Expired")}


def end_unfulfilled(order: Order, event: OrderEvent, *, actor: Actor, now: datetime,
                    note: str | None = None, keep: int = 0) -> Order:
    """Cancel, expire or no-show: release stock and the slot, stop the payment. ``keep``: what
    the merchant keeps of the money paid ahead (an appointment's deposit); the rest goes
    back."""
    transition(order, event, actor=actor, note=note, now=now)
    release_holds(order, actor=actor)
    redemption.revoke(codes.KIND, order.id, reason=str(event), now=now)
    vouchers.give_back(order, actor=actor, now=now)  # nothing was bought with them
    if order.fulfilment == Fulfilment.PICKUP and order.slot_start is not None \
            and order.slot_start > now:
        slots.release(order.store_id, order.slot_start)
    if keep:
        order.settled_total = keep
    reason = note or str(UNFULFILLED_REASONS.get(event, event))
    for payment in order.payments:
        kept = min(keep, payments.held(payment))
        keep -= kept
        if kept and payment.state == PaymentState.AUTHORIZED:
            payments.settle_online(payment, kept, actor=actor)  # take only what is kept
        else:
            payments.stop(payment, actor=actor, note=note)
        # Paid ahead (a transfer) and never handed over: the money goes back.
        payments.refund_rest(payment, kept, actor=actor, reason=reason)
    return order


def payment_received(order: Order, amount: int, *, actor: Actor,
                     now: datetime | None = None) -> Order:
    """Staff (or a bank-notification plugin, with ``actor=SYSTEM``) saw the order's money
    arrive: the payment is captured and the order confirmed."""
    order = lock(order)
    payment = _waiting_payment(order)
    payments.receive(payment, amount, actor=actor)
    return _paid(order, actor=actor, now=now)


def payment_authorized(order: Order, payment, *, actor: Actor, capture_before=None,
                       reference: str | None = None, now: datetime | None = None) -> Order:
    """An online provider holds the order's money (a card authorization, captured at pickup):
    the order is confirmed. Returns the order; raises when it no longer waits for a payment
    (cancelled or expired meanwhile), so the caller releases the authorization."""
    order = lock(order)
    if _waiting_payment(order).id != payment.id:
        raise ValidationError.field("order", _l("This order has no payment waiting."))
    payments.authorized(payment, actor=actor, capture_before=capture_before,
                        reference=reference)
    return _paid(order, actor=actor, now=now)


def _waiting_payment(order: Order):
    if order.state != S.PENDING_PAYMENT:
        raise ValidationError.field("order", _l("This order is not waiting for a payment."))
    payment = live_payment(order)
    if payment is None or payment.state != PaymentState.PENDING:
        raise ValidationError.field("order", _l("This order has no payment waiting."))
    return payment


def hold_end_once_paid(order: Order, now: datetime) -> datetime:
    """Until when a paid order is held: the end of the pickup window plus the store's grace,
    or a reservation's hold from the moment it is paid, like an order paid at the store."""
    if order.slot_end is not None:
        return order.slot_end + timedelta(minutes=order.store.pickup_grace_minutes)
    return now + timedelta(hours=order.store.reserve_hold_hours)


def _paid(order: Order, *, actor: Actor, now: datetime | None) -> Order:
    """Paid: the order is confirmed and now held as long as one paid at the store."""
    order.expires_at = hold_end_once_paid(order, now or utcnow())
    return transition(order, E.PAY, actor=actor, now=now)


def capture_lapsing(payment_id: int, *, now: datetime) -> bool:
    """Capture in full an authorization about to lapse before its order is collected (a
    pickup more than a card hold's life away); the collection or no-show later refunds what
    is not taken. Re-checked under the order's lock, so the counter and the clock never both
    queue a capture."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        return False
    order = lock(payment.order)
    if OrderState(order.state) not in OPEN_STATES:
        return False
    return payments.settle_online(payment, payment.amount, actor=SYSTEM)


# --- who may do what --------------------------------------------------------------------------

def customer_can_cancel(order: Order) -> bool:
    """Whether the customer may cancel the order themselves now (what ``cancel_by_customer``
    allows; the order page offers it)."""
    return (order.fulfilment != Fulfilment.APPOINTMENT
            and OrderState(order.state) in CUSTOMER_CANCELLABLE)


def cancel_by_customer(order: Order, customer, *, reason: str | None = None,
                       now: datetime | None = None) -> Order:
    order = lock(order)
    if order.customer_id != customer.id:
        raise PermissionDenied()
    _not_an_appointment(order)
    if OrderState(order.state) not in CUSTOMER_CANCELLABLE:
        raise ValidationError(_l("The store has already set this order aside: please contact "
                                 "the store to cancel it."))
    reason = optional_text(reason, "reason", max_length=500)
    order.cancel_reason = reason
    return end_unfulfilled(order, E.CANCEL, actor=Actor.customer(customer),
                            now=now or utcnow(), note=reason)


def cancel_by_store(order: Order, *, actor: Actor, reason, now: datetime | None = None) -> Order:
    order = lock(order)
    if order.state == S.SHIPPED:
        raise ValidationError(_l("The goods are on their way: call the delivery back "
                                 "instead."))
    reason = optional_text(reason, "reason", max_length=500)
    if not reason:
        raise ValidationError.field("reason", _l("Tell the customer why the order is cancelled."))
    order.cancel_reason = reason
    return end_unfulfilled(order, E.CANCEL, actor=actor, now=now or utcnow(), note=reason)


def prepare(order: Order, *, actor: Actor) -> Order:
    return transition(lock(order), E.PREPARE, actor=actor)


def mark_ready(order: Order, *, actor: Actor) -> Order:
    return transition(lock(order), E.MARK_READY, actor=actor)


def _quantities(order: Order, requested: dict | None) -> dict[int, int]:
    """Line id → quantity taken. ``None`` means every line in full."""
    if requested is None:
        return {line.id: line.quantity for line in order.lines}
    by_id = {line.id: line for line in order.lines}
    taken: dict[int, int] = {}
    for key, value in requested.items():
        try:
            line = by_id[int(key)]
        except (KeyError, ValueError, TypeError):
            raise ValidationError.field("lines", _l("Unknown order line.")) from None
        taken[line.id] = valid_int(value, f"lines[{line.id}]", minimum=0,
                                   maximum=line.quantity)
    return {line.id: taken.get(line.id, 0) for line in order.lines}


def collect(order: Order, *, actor: Actor, code: str | None, quantities: dict | None = None,
            payment_taken: bool = False, now: datetime | None = None,
            scanned: bool = False) -> Order:
    """Hand over (pickup) or sell after trying (reserve-and-try) what the customer takes.

    Staff check the pickup code first. Lines may be taken in part; what is not taken goes back
    on sale. The amount due is priced again for what was taken, and an offline payment (pay
    at store) must be taken at the counter for it; an online authorization is captured for it
    after the commit. ``scanned``: the order's code was redeemed at the scanner (which checked
    it and marked it used), so ``code`` is not asked for."""
    now = now or utcnow()
    order = lock(order)
    if order.fulfilment == Fulfilment.DELIVERY:
        raise ValidationError(_l("A delivery is handed over by its courier, not at the "
                                 "counter."))
    next_state(ORDER_TRANSITIONS, OrderState(order.state), E.COLLECT)  # refuse early, clearly
    if not scanned and not codes.code_matches(order, code):
        raise WrongPickupCode.field("code", _l("This is not the order's pickup code."))
    taken = _quantities(order, quantities)
    if not any(taken.values()):
        if order.fulfilment == Fulfilment.RESERVE:
            raise ValidationError.field("lines", _l("Nothing was bought: close the reservation "
                                                    "as “bought nothing” instead."))
        raise ValidationError.field("lines", _l("Choose what the customer takes."))
    due = _settle_amount(order, taken)
    payment = live_payment(order)
    offline = payment is not None and payments.provider_for(payment).offline
    if offline and due > 0 and not payment_taken:
        raise ValidationError.field("payment_taken", _l("Take the payment at the counter first."))
    levels = _locked_levels(order)
    for line in order.lines:
        quantity = taken[line.id]
        if quantity:
            apply_movement(levels[line.variant_id], reason=MovementReason.SALE,
                           on_hand_delta=-quantity, reserved_delta=-quantity,
                           actor_id=actor.user_id, reference=order.number)
        rest = line.held_quantity - quantity
        if rest > 0:
            apply_movement(levels[line.variant_id], reason=MovementReason.RELEASE,
                           reserved_delta=-rest, actor_id=actor.user_id,
                           reference=order.number)
        line.collected_quantity = quantity
        line.held_quantity = 0
    order.settled_total = due
    transition(order, E.COLLECT, actor=actor, now=now)
    if not scanned:  # handed over on the order's page: the QR code is used up too
        redemption.close(codes.KIND, order.id, store_id=order.store_id,
                         staff_id=actor.user_id, now=now)
    if payment is not None:
        if due == 0:
            payments.stop(payment, actor=actor)
        elif offline:
            payments.take_at_counter(payment, due, actor=actor)
        elif payment.state == PaymentState.AUTHORIZED:
            payments.settle_online(payment, due, actor=actor)
    for paid in order.payments:  # paid ahead for more than was taken: the rest goes back
        payments.refund_rest(paid, due, actor=actor, reason=str(_l("Not collected")))
    return order


def decline(order: Order, *, actor: Actor, now: datetime | None = None) -> Order:
    """Reserve-and-try: the customer tried and bought nothing; everything goes back on sale."""
    order = lock(order)
    if order.fulfilment != Fulfilment.RESERVE:
        raise ValidationError(_l("Only a reservation to try can end without a purchase."))
    return end_unfulfilled(order, E.DECLINE, actor=actor, now=now or utcnow())


def staff_event(order: Order, event: str, *, actor: Actor, code: str | None = None,
                quantities: dict | None = None, payment_taken: bool = False,
                reason: str | None = None) -> Order:
    """What a member at the counter asked for, by event name (the dashboard and the API)."""
    _not_an_appointment(order)
    if event == E.PREPARE:
        return prepare(order, actor=actor)
    if event == E.MARK_READY:
        return mark_ready(order, actor=actor)
    if event == E.COLLECT:
        return collect(order, actor=actor, code=code, quantities=quantities,
                       payment_taken=payment_taken)
    if event == E.DECLINE:
        return decline(order, actor=actor)
    if event == E.CANCEL:
        return cancel_by_store(order, actor=actor, reason=reason)
    raise ValidationError.field("event", _l("Choose prepare, ready, collect, decline or "
                                            "cancel."))


def staff_events(order: Order) -> list[str]:
    """The events staff may fire now (the table's, less what the fulfilment rules out)."""
    if order.fulfilment == Fulfilment.APPOINTMENT:
        return []  # its booking moves it
    allowed = [str(e) for e in events_from(ORDER_TRANSITIONS, OrderState(order.state))
               if e not in SYSTEM_EVENTS]
    if order.fulfilment != Fulfilment.RESERVE and E.DECLINE in allowed:
        allowed.remove(E.DECLINE)
    if order.fulfilment == Fulfilment.DELIVERY:
        # The courier hands it over; once it left, only its shipments end it.
        allowed = [] if order.state == S.SHIPPED else [e for e in allowed if e != E.COLLECT]
    return allowed


def live_payment(order: Order):
    live = [p for p in order.payments
            if p.state in (PaymentState.PENDING, PaymentState.AUTHORIZED)]
    return live[-1] if live else None


def _settle_amount(order: Order, taken: dict[int, int]) -> int:
    """Price what was taken again, so discounts and fees fit the real purchase."""
    lines = [PricedLine(key=line.key, variant=line.variant, quantity=taken[line.id],
                        unit_price=line.unit_price)
             for line in order.lines if taken[line.id]]
    if all(taken[line.id] == line.quantity for line in order.lines):
        return order.total
    pricing = price(order.merchant, lines, currency=order.currency, customer=order.customer,
                    codes=vouchers.codes_for_order(order))
    for adjustment in pricing.adjustments:
        order.adjustments.append(OrderAdjustment(
            merchant_id=order.merchant_id, line_key=adjustment.line_key, code=adjustment.code,
            label=adjustment.label, amount=adjustment.amount, settled=True))
    return pricing.total


# --- the clock (the job in ``marketplace.jobs.order_clock`` commits per order) ---------------

def due_for_expiry(now: datetime, *, limit: int) -> list[int]:
    """Open orders whose hold has lapsed, oldest deadline first. A paid appointment is not
    one: its booking ends it (checked in, cancelled, a no-show); nor is a confirmed
    delivery: its shipments end it."""
    return list(db.session.scalars(
        sa.select(Order.id).where(Order.state.in_([str(s) for s in OPEN_STATES]),
                                  Order.expires_at <= now, on_the_order_clock())
        .order_by(Order.expires_at).limit(limit)))


def expire(order_id: int, *, now: datetime) -> str | None:
    """Release one lapsed hold: an unpaid order expires, an uncollected one is a no-show.
    Re-checked under the row lock (the customer may have paid, or staff collected, a moment
    ago); returns the outcome, or None when there was nothing to do."""
    order = lock(db.session.get(Order, order_id))
    if order.expires_at > now or OrderState(order.state) not in OPEN_STATES:
        return None
    event = E.EXPIRE if order.state == S.PENDING_PAYMENT else E.NO_SHOW
    end_unfulfilled(order, event, actor=SYSTEM, now=now)
    return "expired" if event == E.EXPIRE else "no_show"


def due_for_reminder(now: datetime, *, within: timedelta, limit: int) -> list[int]:
    """Orders waiting at a store whose hold lapses within ``within`` and were not reminded."""
    return list(db.session.scalars(
        sa.select(Order.id).where(
            Order.state.in_([str(s) for s in QUEUE_STATES]), Order.reminded_at.is_(None),
            on_the_order_clock(),  # a paid appointment's booking sends the reminders
            Order.expires_at > now, Order.expires_at <= now + within)
        .limit(limit)))


def remind(order_id: int, *, now: datetime) -> bool:
    """Queue "please collect it soon" once: the claim is a conditional update, so two
    workers never both send it."""
    claimed = db.session.execute(
        sa.update(Order).where(Order.id == order_id, Order.reminded_at.is_(None))
        .values(reminded_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    notifications.reminder(db.session.get(Order, order_id))
    return True
