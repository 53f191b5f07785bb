"""Reading orders: the customer's own, a merchant's (scoped), a store's pickup queue."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..database import get_scoped, scoped
from ..errors import NotFound
from ..extensions import db
from .codes import NUMBER_LENGTH, NUMBER_PREFIX, normalise
from .models import AuditEntry, Checkout, Order
from .states import QUEUE_STATES, Fulfilment, OrderState

_LOADED = (selectinload(Order.lines), selectinload(Order.payments),
           selectinload(Order.adjustments))


def customer_orders(customer, *, limit: int = 50, offset: int = 0) -> list[Order]:
    return list(db.session.scalars(
        sa.select(Order).where(Order.customer_id == customer.id).options(*_LOADED)
        .order_by(Order.id.desc()).limit(limit).offset(offset)))


def customer_order(customer, number: str) -> Order:
    """The customer's order by number; anyone else's is ``NotFound``."""
    order = db.session.scalars(sa.select(Order).where(
        Order.number == normalise(number), Order.customer_id == customer.id)).first()
    if order is None:
        raise NotFound("order")
    return order


def customer_checkout(customer, checkout_id) -> Checkout:
    """The customer's checkout (the orders placed together); anyone else's is ``NotFound``."""
    try:
        checkout_id = int(checkout_id)
    except (TypeError, ValueError):
        raise NotFound("checkout") from None
    found = db.session.get(Checkout, checkout_id) if 0 < checkout_id < 2**63 else None
    if found is None or found.customer_id != customer.id:
        raise NotFound("checkout")
    return found


def merchant_order(merchant_id: int, order_id) -> Order:
    return get_scoped(Order, merchant_id, order_id)


def find_by_number(merchant_id: int, number: str, store_ids: set[int] | None = None) -> Order:
    """Staff look-up by the number the customer shows or says (dashes and case ignored)."""
    wanted = normalise(number)
    # Typed without its label: told by the length, not by the first letters, which may be
    # the label's own letters by chance ("DH" + "DH7K…" was not found; one in a thousand).
    if len(wanted) == NUMBER_LENGTH:
        wanted = NUMBER_PREFIX + wanted
    stmt = scoped(Order, merchant_id).where(Order.number == wanted)
    if store_ids is not None:
        stmt = stmt.where(Order.store_id.in_(store_ids or {-1}))
    order = db.session.scalars(stmt).first()
    if order is None:
        raise NotFound("order")
    return order


def handled_as_orders() -> sa.ColumnElement[bool]:
    """The orders the store's queue, the order clock and its reminders handle. An
    appointment paid ahead is one only while its payment waits (a transfer staff confirm
    there, an unpaid order that expires); once paid, its booking moves it."""
    return sa.or_(Order.fulfilment != Fulfilment.APPOINTMENT,
                  Order.state == OrderState.PENDING_PAYMENT)


def on_the_order_clock() -> sa.ColumnElement[bool]:
    """The orders whose hold the order clock ends (expired unpaid, not collected in time)
    and reminds about. A delivery is one only while unpaid: once confirmed, its shipments,
    not a pickup window, decide how it ends."""
    return sa.and_(handled_as_orders(),
                   sa.or_(Order.fulfilment != Fulfilment.DELIVERY,
                          Order.state == OrderState.PENDING_PAYMENT))


def queue(store, *, states=QUEUE_STATES) -> list[Order]:
    """What a store has to act on, soonest pickup first (reservations by their expiry)."""
    return list(db.session.scalars(
        scoped(Order, store.merchant_id)
        .where(Order.store_id == store.id, Order.state.in_([str(s) for s in states]),
               handled_as_orders())
        .options(*_LOADED, selectinload(Order.customer))
        .order_by(sa.func.coalesce(Order.slot_start, Order.expires_at), Order.id)))


def recent(store, *, states, limit: int = 50) -> list[Order]:
    return list(db.session.scalars(
        scoped(Order, store.merchant_id)
        .where(Order.store_id == store.id, Order.state.in_([str(s) for s in states]),
               handled_as_orders())
        .options(*_LOADED, selectinload(Order.customer))
        .order_by(Order.updated_at.desc()).limit(limit)))


def timeline(order: Order) -> list[AuditEntry]:
    return list(db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.order_id == order.id)
        .options(selectinload(AuditEntry.actor)).order_by(AuditEntry.id)))
