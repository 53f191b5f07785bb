"""Order states as a transition table (see ``marketplace.states``).

One table serves every way to finish offline. A pickup goes confirmed → preparing → ready →
collected; a reservation to try goes the same way but ends ``collected`` when the customer
buys something and ``declined`` when they buy nothing. An appointment paid ahead is
confirmed once paid and ends ``collected`` by ``serve`` when the visit took place. A
delivery is prepared and packed like a pickup, is ``shipped`` when the courier picks the
first parcel up, and ends ``delivered`` when every parcel has arrived (or ``cancelled`` when
they all come back: its shipments, not the counter, move it). The services decide who may
fire an event (a customer may cancel only before the order is ready) and which events fit
a fulfilment (``decline`` is for reservations, ``serve`` for appointments, ``dispatch``
and ``deliver`` for deliveries).
"""

from __future__ import annotations

from enum import StrEnum


class Fulfilment(StrEnum):
    PICKUP = "pickup"      # click-and-collect in a booked slot
    RESERVE = "reserve"    # hold at a store, try, pay only for what is bought
    # A booked time paid ahead (a deposit or in full) through a booking plugin: the order
    # holds the money; the booking, not the pickup queue, decides how it ends.
    APPOINTMENT = "appointment"
    # Brought to the customer's address by a carrier from the fulfilling store.
    DELIVERY = "delivery"


class OrderState(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # waiting for an online payment; the hold runs out
    CONFIRMED = "confirmed"              # the store has it: new in the pickup queue
    PREPARING = "preparing"
    READY = "ready"                      # waiting at the counter
    COLLECTED = "collected"              # handed over (some or all lines): complete
    DECLINED = "declined"                # tried and nothing bought
    CANCELLED = "cancelled"
    EXPIRED = "expired"                  # never paid in time
    NO_SHOW = "no_show"                  # not collected by the end of the window + grace
    SHIPPED = "shipped"                  # a delivery left the store with the courier
    DELIVERED = "delivered"              # every parcel of a delivery arrived: complete


class OrderEvent(StrEnum):
    PAY = "pay"
    PREPARE = "prepare"
    MARK_READY = "mark_ready"
    COLLECT = "collect"
    DECLINE = "decline"
    CANCEL = "cancel"
    EXPIRE = "expire"
    NO_SHOW = "no_show"
    SERVE = "serve"  # an appointment paid ahead took place (or earned what it keeps)
    DISPATCH = "dispatch"  # the courier picked up a delivery's (first) parcel
    DELIVER = "deliver"    # the last parcel of a delivery arrived


S, E = OrderState, OrderEvent

ORDER_TRANSITIONS: dict[tuple[OrderState, OrderEvent], OrderState] = {
    (S.PENDING_PAYMENT, E.PAY): S.CONFIRMED,
    (S.PENDING_PAYMENT, E.CANCEL): S.CANCELLED,
    (S.PENDING_PAYMENT, E.EXPIRE): S.EXPIRED,
    (S.CONFIRMED, E.PREPARE): S.PREPARING,
    (S.CONFIRMED, E.MARK_READY): S.READY,
    (S.CONFIRMED, E.CANCEL): S.CANCELLED,
    (S.CONFIRMED, E.NO_SHOW): S.NO_SHOW,
    (S.CONFIRMED, E.SERVE): S.COLLECTED,
    (S.PREPARING, E.MARK_READY): S.READY,
    (S.PREPARING, E.CANCEL): S.CANCELLED,
    (S.PREPARING, E.NO_SHOW): S.NO_SHOW,
    (S.READY, E.COLLECT): S.COLLECTED,
    (S.READY, E.DECLINE): S.DECLINED,
    (S.READY, E.CANCEL): S.CANCELLED,
    (S.READY, E.NO_SHOW): S.NO_SHOW,
    (S.CONFIRMED, E.DISPATCH): S.SHIPPED,
    (S.PREPARING, E.DISPATCH): S.SHIPPED,
    (S.READY, E.DISPATCH): S.SHIPPED,
    (S.SHIPPED, E.DELIVER): S.DELIVERED,
    # Every parcel came back (or was called back): the order ends, its money goes back.
    (S.SHIPPED, E.CANCEL): S.CANCELLED,
}

# Orders still holding stock and waiting for something to happen.
OPEN_STATES = frozenset({S.PENDING_PAYMENT, S.CONFIRMED, S.PREPARING, S.READY, S.SHIPPED})
# The pickup queue shows what the store has to act on.
QUEUE_STATES = (S.CONFIRMED, S.PREPARING, S.READY)
FINAL_STATES = frozenset(OrderState) - OPEN_STATES
# A customer may change their mind until the store has set the order aside.
CUSTOMER_CANCELLABLE = frozenset({S.PENDING_PAYMENT, S.CONFIRMED, S.PREPARING})
# Events only the system fires (the expiry job, a payment confirmation).
SYSTEM_EVENTS = frozenset({E.PAY, E.EXPIRE, E.NO_SHOW, E.SERVE, E.DISPATCH, E.DELIVER})
