"""Money ahead for a booking: a deposit or the whole price, paid online when booking.

A service's ``payment`` says what is paid ahead: nothing (``at_store``: the customer confirms
and pays at the store), a ``deposit`` (``deposit_amount``; the rest at the store) or the
``full`` price. Paying ahead goes through an order of fulfilment ``appointment``
(``marketplace.orders.appointments``), so every online way to pay the merchant accepts works,
and the money is captured, refunded and booked for the payout by the core's own services.

- Choosing a way to pay places the order; the booking stays held as long as the order waits
  for its payment (``ORDER_PAYMENT_MINUTES``), so nobody takes its time meanwhile.
- Once the order is paid, the booking is confirmed (``order_changed``, from the order's
  event after the commit). Had the booking lost its time meanwhile, the order is cancelled
  and the money goes back.
- The policy on the money, applied where the booking ends (``booking.cancel``, ``no_show``,
  ``check_in`` and ``expire`` hand ``settle`` what is kept):

  | how the booking ends | what the merchant keeps |
  |---|---|
  | the customer cancels before the cut-off, or a hold lapses | nothing |
  | the customer cancels after the cut-off (they are told first) | everything paid ahead |
  | the store cancels | nothing |
  | a no-show | everything paid ahead |
  | checked in | the order is complete: everything |
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.orders import appointments
from marketplace.orders.audit import SYSTEM, Actor
from marketplace.orders.models import Order
from marketplace.orders.states import OPEN_STATES, OrderEvent, OrderState
from marketplace.payments import services as payments
from marketplace.plugins.providers import PaymentProvider
from marketplace.urls import public_url

from .models import Booking, Occupancy, ServiceSetup
from .setup import DEPOSIT, FULL, service_variant
from .states import BookingState

S = BookingState


class PaymentRequired(ValidationError):
    """The service is paid ahead: the booking is confirmed by its payment, not by a click."""

    code = "payment_required"


def due_ahead(setup: ServiceSetup, price: int) -> int:
    """What a booking at ``price`` asks to be paid online when booking."""
    if setup.payment == FULL:
        return price
    if setup.payment == DEPOSIT and setup.deposit_amount:
        return min(setup.deposit_amount, price)
    return 0


def asks_payment(booking: Booking) -> bool:
    return due_ahead(booking.service, booking.price) > 0


def paid(booking: Booking) -> bool:
    """The booking's order has its money (authorized or taken)."""
    order = booking.order
    return order is not None and order.state in (OrderState.CONFIRMED, OrderState.COLLECTED)


def ways_to_pay(booking: Booking) -> list[PaymentProvider]:
    """The merchant's online ways to pay in the booking's currency (paying at the counter
    cannot pay ahead)."""
    merchant = booking.service.listing.merchant
    return [p for p in payments.usable_providers(merchant, booking.currency) if not p.offline]


def start(booking: Booking, provider_id: str, *, customer, now: datetime) -> Order:
    """Place the order paying ahead for a held booking with the chosen way to pay. Choosing
    again (another card, a transfer instead) replaces an order still waiting."""
    if booking.customer_id != customer.id:
        raise ValidationError.field("booking", _l("This is not your booking."))
    # Still held, even after its hold lapsed, means nobody took its time or place: taking it
    # would have expired this booking first.
    if booking.state != S.HELD:
        raise ValidationError.field("booking", _l("This booking is not waiting for a payment."))
    amount = due_ahead(booking.service, booking.price)
    if amount <= 0:
        raise ValidationError.field("booking", _l("Nothing is paid ahead for this service: "
                                                  "confirm it and pay at the store."))
    provider = {p.identifier: p for p in ways_to_pay(booking)}.get(provider_id or "")
    if provider is None:
        raise ValidationError.field("payment_provider", _l(
            "Choose one of the ways to pay online this shop accepts."))
    if booking.order is not None:
        if paid(booking):
            raise ValidationError.field("booking", _l("This booking is paid already."))
        appointments.end(booking.order, OrderEvent.CANCEL, keep=0,
                         actor=Actor.customer(customer), note=str(_l("Paid another way")),
                         now=now)
    listing = booking.service.listing
    title = (_l("Deposit: %(service)s", service=listing.title)
             if booking.service.payment == DEPOSIT else listing.title)
    expires = now + timedelta(minutes=current_app.config["ORDER_PAYMENT_MINUTES"])
    order = appointments.place(
        customer=customer, store=booking.store, variant=service_variant(listing),
        title=str(title), amount=amount, currency=booking.currency, provider=provider,
        starts_at=booking.starts_at, ends_at=booking.ends_at, expires_at=expires,
        note=booking.reference)
    booking.order_id, booking.order = order.id, order
    # The time stays the customer's while the payment can still come.
    until = max(booking.hold_expires_at or now, expires)
    booking.hold_expires_at = until
    db.session.execute(sa.update(Occupancy).where(Occupancy.booking_id == booking.id)
                       .values(hold_until=until))
    db.session.flush()
    return order


def pay_url(order: Order) -> str:
    """Where the customer pays the order: the provider's page (a card form), else the
    order's page (a transfer's QR code and account)."""
    endpoint = payments.provider_for(order.payment_provider).pay_endpoint
    if endpoint:
        return public_url(endpoint, checkout_id=order.checkout_id)
    return public_url("shop.order", number=order.number)


def paid_total(booking: Booking) -> int:
    """Everything paid ahead and not given back (kept after a no-show)."""
    return appointments.paid_ahead(booking.order) if booking.order is not None else 0


def settle(booking: Booking, *, keep: int = 0, actor: Actor = SYSTEM,
           note: str | None = None, now: datetime | None = None) -> None:
    """Bring the booking's order to where the booking ended: complete when the customer was
    checked in, else ended keeping ``keep``. Nothing when there is no order."""
    order = booking.order
    if order is None or OrderState(order.state) not in OPEN_STATES:
        return
    if booking.state in (S.CHECKED_IN, S.COMPLETED):
        appointments.serve(order, actor=actor, now=now)
        return
    event = {S.NO_SHOW: OrderEvent.NO_SHOW, S.EXPIRED: OrderEvent.EXPIRE}.get(
        BookingState(booking.state), OrderEvent.CANCEL)
    appointments.end(order, event, keep=keep, actor=actor, note=note, now=now)


def moved(booking: Booking) -> None:
    """A rescheduled booking's order shows the new time."""
    if booking.order is not None:
        booking.order.slot_start, booking.order.slot_end = booking.starts_at, booking.ends_at


def price_left(booking: Booking) -> int:
    """What the customer still pays at the store."""
    return max(booking.price - paid_total(booking), 0)


def order_changed(order_id: int, new_state: str, *, now: datetime) -> None:
    """The order paying ahead for a booking moved (its event, after the commit): paid
    confirms the booking; a booking that lost its time meanwhile gives the money back; an
    order that ended unpaid ends the held booking and frees its time."""
    from . import booking as bookings  # booking.py settles orders through this module

    found = db.session.scalars(sa.select(Booking).where(Booking.order_id == order_id)
                               .with_for_update()).first()
    if found is None:
        return  # not a booking's, or replaced by another way to pay
    if new_state == OrderState.CONFIRMED:
        if found.state == S.HELD:  # a lapsed hold whose time nobody took is still its own
            bookings.confirm(found, customer=found.customer, now=now)
        elif found.state in (S.EXPIRED, S.CANCELLED):
            appointments.end(found.order, OrderEvent.CANCEL, keep=0, actor=SYSTEM, now=now,
                             note=str(_l("The time was taken before the payment arrived")))
    elif new_state in (OrderState.EXPIRED, OrderState.CANCELLED) and found.state == S.HELD:
        bookings.expire(found, now)
