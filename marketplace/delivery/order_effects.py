"""What a delivery order and its shipments do to each other.

A delivery order is placed, paid and packed like a pickup; from the moment a courier takes a
parcel, its shipments move it: the first pick-up ships it (an online authorization is
captured then: "authorize at order, capture at dispatch"), the last parcel delivered
completes it, and parcels that all come back (or are called back) end it with its money
returned. The other way round, a delivery order that is confirmed books its shipments with
their carrier, and one that ends before leaving the store calls its shipments off.

Both directions run inside the transaction that made the change, with the order locked
(``shipments.lock`` locks the order before the shipment); carriers are only ever called
after the commit, through the outbox (``tracking``).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..errors import ValidationError
from ..extensions import db
from ..orders.audit import SYSTEM, Actor
from ..orders.models import OrderAdjustment
from ..orders.states import OPEN_STATES, Fulfilment, OrderEvent, OrderState
from ..outbox.services import enqueue
from ..payments import services as payments
from ..payments.states import PaymentState
from .models import Shipment
from .states import FINAL_STATES, ShipmentEvent, ShipmentState

BOOK_TOPIC = "delivery.book"
CANCEL_TOPIC = "delivery.cancel"

# The order may leave the store only once it is confirmed (paid, or cash on delivery).
DISPATCHABLE = frozenset({OrderState.CONFIRMED, OrderState.PREPARING, OrderState.READY,
                          OrderState.SHIPPED})


def is_delivery(order) -> bool:
    return order.fulfilment == Fulfilment.DELIVERY


def order_shipments(order) -> list[Shipment]:
    return list(db.session.scalars(
        sa.select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)))


# --- the order moves -------------------------------------------------------------------------

def order_changed(order, new_state: OrderState, *, now: datetime) -> None:
    """Called by ``orders.lifecycle.announce`` for every change of a delivery order."""
    if new_state == OrderState.CONFIRMED:
        for shipment in order_shipments(order):
            if shipment.state == ShipmentState.CREATED and not shipment.tracking_reference:
                enqueue(BOOK_TOPIC, {"shipment_id": shipment.id})
    elif new_state not in OPEN_STATES:
        # Ended before the goods left (cancelled, expired unpaid): call the parcels off.
        from . import shipments

        for shipment in order_shipments(order):
            if shipment.state == ShipmentState.CREATED:
                shipments.apply(shipment, ShipmentEvent.CANCEL, source="system", now=now,
                                note=order.cancel_reason or str(new_state))


def check_dispatchable(shipment: Shipment) -> None:
    """A parcel of a delivery order leaves only once the order is confirmed."""
    order = shipment.order
    if is_delivery(order) and OrderState(order.state) not in DISPATCHABLE:
        raise ValidationError(_l("The order is not confirmed yet (waiting for its payment): "
                                 "the parcel cannot leave the store."))


# --- a shipment moves ------------------------------------------------------------------------

def shipment_moved(shipment: Shipment, event: ShipmentEvent, old: ShipmentState, *,
                   actor_id: int | None, now: datetime) -> None:
    """Called by ``shipments._step`` after each step, the order and shipment locked."""
    if event == ShipmentEvent.CANCEL and shipment.tracking_reference:
        enqueue(CANCEL_TOPIC, {"shipment_id": shipment.id})
    order = shipment.order
    if not is_delivery(order) or OrderState(order.state) not in OPEN_STATES:
        return
    actor = SYSTEM if actor_id is None else Actor("staff", actor_id)
    if event == ShipmentEvent.PICK_UP and order.state != OrderState.SHIPPED:
        _dispatch(order, actor=actor, now=now)
    elif event == ShipmentEvent.REDELIVER:
        _charge_redelivery(order, shipment)
    elif ShipmentState(shipment.state) in FINAL_STATES:
        _maybe_finish(order, actor=actor, now=now)


def _dispatch(order, *, actor: Actor, now: datetime) -> None:
    from ..orders import lifecycle

    lifecycle.transition(order, OrderEvent.DISPATCH, actor=actor, now=now)
    for payment in order.payments:
        if payment.state == PaymentState.AUTHORIZED:
            payments.settle_online(payment, payment.amount, actor=actor)


def _charge_redelivery(order, shipment: Shipment) -> None:
    """Another attempt costs the carrier's re-delivery fee (shown at checkout), added to the
    order and to the cash the courier collects at the door. Only when the customer pays in
    cash there: an order paid online was captured when it left, so the merchant bears it."""
    fee = shipment.redelivery_fee
    cash = next((p for p in order.payments if p.state == PaymentState.PENDING
                 and payments.provider_for(p).collected_on_delivery), None)
    if not fee or cash is None:
        return
    order.adjustments.append(OrderAdjustment(
        merchant_id=order.merchant_id, code=REDELIVERY_FEE, amount=fee,
        label=str(_l("Re-delivery (attempt %(n)d)", n=shipment.attempts))))
    order.adjustments_total += fee
    order.total += fee
    cash.amount += fee
    shipment.cod_amount += fee


REDELIVERY_FEE = "redelivery"  # the adjustment code of a new attempt's fee


def _maybe_finish(order, *, actor: Actor, now: datetime) -> None:
    """Every parcel is over: delivered (what arrived is what was bought) or, if none
    arrived, the order ends and its money goes back."""
    from ..orders import lifecycle

    parcels = order_shipments(order)
    if any(ShipmentState(p.state) not in FINAL_STATES for p in parcels):
        return
    arrived = [p for p in parcels if p.state == ShipmentState.DELIVERED]
    if not arrived:
        order.cancel_reason = str(_l("The delivery did not reach you; the goods are back "
                                     "at the store."))
        lifecycle.end_unfulfilled(order, OrderEvent.CANCEL, actor=actor, now=now,
                                  note=order.cancel_reason)
        return
    delivered: dict[int, int] = {}
    for parcel in arrived:
        for line in parcel.lines:
            delivered[line.order_line_id] = delivered.get(line.order_line_id, 0) \
                + line.quantity
    for line in order.lines:
        line.collected_quantity = delivered.get(line.id, 0)
    # Settled at its full total (the delivery fee included): a capture that lands after the
    # delivery must not read a closed order as owing nothing.
    order.settled_total = order.total
    lifecycle.transition(order, OrderEvent.DELIVER, actor=actor, now=now)
