"""How a shipment reads: its states and events in words, its timeline, its progress, and
the few reads the delivery pages and the API share (a customer's parcel by its reference, a
merchant's shipments, the members who may ride one).

Nothing here changes a shipment: pages and the API call ``marketplace.delivery.shipments``
for that. Times stay UTC here; the pages show them in the store's zone.
"""

from __future__ import annotations

from functools import cached_property

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..database import get_scoped
from ..delivery import shipments
from ..delivery.models import Shipment, ShipmentEventRecord
from ..delivery.states import (
    FINAL_STATES,
    SHIPMENT_TRANSITIONS,
    ShipmentEvent,
    ShipmentState,
)
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..orders.models import Order
from ..plugins.manager import current_platform

S, E = ShipmentState, ShipmentEvent

STATE_LABELS = {
    S.CREATED: _l("Waiting at the store"),
    S.PICKED_UP: _l("Picked up"),
    S.IN_TRANSIT: _l("In transit"),
    S.OUT_FOR_DELIVERY: _l("Out for delivery"),
    S.DELIVERED: _l("Delivered"),
    S.FAILED_ATTEMPT: _l("Delivery attempt failed"),
    S.RETURNING: _l("On its way back to the store"),
    S.RETURNED_TO_STORE: _l("Back at the store"),
    S.CANCELLED: _l("Cancelled"),
}
# What happened, as a line of the timeline ("create" is the first row of every shipment).
EVENT_LABELS = {
    "create": _l("Delivery booked"),
    E.PICK_UP: _l("Picked up by the courier"),
    E.FORWARD: _l("In transit"),
    E.SEND_OUT: _l("Out for delivery"),
    E.DELIVER: _l("Delivered"),
    E.FAIL_ATTEMPT: _l("Delivery attempt failed"),
    E.REDELIVER: _l("Out for delivery again"),
    E.SEND_BACK: _l("On its way back to the store"),
    E.RECEIVE_BACK: _l("Back at the store"),
    E.CANCEL: _l("Cancelled"),
    "booking_refused": _l("The carrier refused the booking"),
}
# The buttons of the dashboard, one per event staff may fire.
ACTION_LABELS = {
    E.PICK_UP: _l("Picked up"),
    E.FORWARD: _l("Forwarded (in transit)"),
    E.SEND_OUT: _l("Out for delivery"),
    E.DELIVER: _l("Delivered"),
    E.FAIL_ATTEMPT: _l("Delivery failed"),
    E.REDELIVER: _l("Deliver again"),
    E.SEND_BACK: _l("Send back to the store"),
    E.RECEIVE_BACK: _l("Received back at the store"),
    E.CANCEL: _l("Cancel the delivery"),
}
SOURCE_LABELS = {"carrier": _l("carrier"), "staff": _l("staff"), "courier": _l("rider"),
                 "system": _l("automatic")}
# The way a parcel should go: the steps of the progress bar.
HAPPY_PATH = (S.CREATED, S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED)


def state_label(state) -> str:
    try:
        return STATE_LABELS[ShipmentState(state)]
    except ValueError:
        return str(state)


def event_label(event) -> str:
    """Words for a timeline row. An ignored piece of carrier news is named by the state the
    carrier reported (its ``event`` is that state)."""
    found = EVENT_LABELS.get(str(event))
    if found is None:
        try:
            found = STATE_LABELS[ShipmentState(event)]
        except ValueError:
            return str(event)
    return found


def carrier_label(identifier: str) -> str:
    """The carrier's name, or its identifier when its plugin is no longer loaded."""
    if identifier in current_platform().carriers:
        return str(current_platform().carriers.get(identifier).label or identifier)
    return identifier


def staff_events(shipment: Shipment) -> list[ShipmentEvent]:
    """The events the shipment's state allows now, in the table's order."""
    state = ShipmentState(shipment.state)
    return [event for (source, event) in SHIPMENT_TRANSITIONS if source == state]


def staff_note(event, note):
    """A failed attempt reported by staff carries its reason: the customer is told why."""
    if ShipmentEvent(event) == E.FAIL_ATTEMPT and not (note or "").strip():
        raise ValidationError.field("note", _l("Say why the delivery failed: the customer "
                                               "is told."))
    return note


def is_over(shipment: Shipment) -> bool:
    return ShipmentState(shipment.state) in FINAL_STATES


def timeline(shipment: Shipment, *, ignored: bool = False) -> list[ShipmentEventRecord]:
    """The shipment's events, oldest first: for the customer by when they happened (staff
    may backdate); with ``ignored`` (staff's audit, the news that changed nothing too) in
    the order they were recorded, so late news shows where it arrived."""
    stmt = sa.select(ShipmentEventRecord).where(
        ShipmentEventRecord.merchant_id == shipment.merchant_id,
        ShipmentEventRecord.shipment_id == shipment.id)
    if ignored:
        return list(db.session.scalars(stmt.order_by(ShipmentEventRecord.id)))
    stmt = stmt.where(ShipmentEventRecord.ignored.is_(False))
    return list(db.session.scalars(stmt.order_by(ShipmentEventRecord.occurred_at,
                                                 ShipmentEventRecord.id)))


def progress(shipment: Shipment, entries: list[ShipmentEventRecord]) -> list[dict]:
    """The happy path's steps: each reached (the timeline passed it) and whether it is the
    shipment's state now. A parcel off the path (failed, returning, cancelled) keeps the
    steps it reached; its state is said in words next to the bar."""
    reached = {entry.to_state for entry in entries if not entry.ignored}
    state = ShipmentState(shipment.state)
    if state == S.FAILED_ATTEMPT:
        reached.add(str(S.OUT_FOR_DELIVERY))
    return [{"state": str(step), "label": str(STATE_LABELS[step]),
             "reached": str(step) in reached or step == state, "current": step == state}
            for step in HAPPY_PATH]


class Parcel:
    """A shipment with what the API shows beside its columns (read through to the row):
    its words, its address as one object, its timeline (``ignored``: with the news that
    changed nothing, for staff), its progress and the events staff may fire now."""

    def __init__(self, shipment: Shipment, *, ignored: bool = False) -> None:
        self.shipment = shipment
        self._ignored = ignored

    def __getattr__(self, name: str):
        return getattr(self.shipment, name)

    @property
    def address(self) -> Shipment:
        return self.shipment

    @property
    def state_label(self) -> str:
        return str(state_label(self.shipment.state))

    @property
    def carrier_label(self) -> str:
        return carrier_label(self.shipment.carrier)

    @property
    def order_number(self) -> str:
        return self.shipment.order.number

    @cached_property
    def events(self) -> list[ShipmentEventRecord]:
        return timeline(self.shipment, ignored=self._ignored)

    @property
    def progress(self) -> list[dict]:
        return progress(self.shipment, self.events)

    @property
    def allowed_events(self) -> list[str]:
        return [str(event) for event in staff_events(self.shipment)]


def customer_shipment(user, reference) -> Shipment:
    """A parcel of one of the user's orders, by its reference; anyone else's is NotFound."""
    wanted = str(reference or "").strip().upper()[:16]
    shipment = db.session.scalars(
        sa.select(Shipment).join(Order, Order.id == Shipment.order_id)
        .where(Shipment.reference == wanted, Order.customer_id == user.id)).first()
    if shipment is None:
        raise NotFound("shipment")
    return shipment


def member_shipment(membership, shipment_id) -> Shipment:
    """One of the merchant's shipments from a store the member may see; any other is
    NotFound (another merchant's, or a store the member is not assigned to)."""
    shipment = get_scoped(Shipment, membership.merchant_id, shipment_id)
    if not membership.can_access_store(shipment.store_id):
        raise NotFound("shipment")
    return shipment


def member_shipments(membership, *, state=None, store_id=None, carrier=None) -> sa.Select:
    """The merchant's shipments the member may see, newest first, narrowed by the filters.
    Unknown filter values are ``ValidationError`` (a store the member may not see: 404)."""
    stmt = sa.select(Shipment).where(Shipment.merchant_id == membership.merchant_id)
    if not membership.all_stores:
        stmt = stmt.where(Shipment.store_id.in_(sorted(membership.store_ids or ()) or [0]))
    if state:
        try:
            stmt = stmt.where(Shipment.state == str(ShipmentState(state)))
        except ValueError:
            raise ValidationError.field("state", _l("Unknown delivery state.")) from None
    if store_id is not None:
        from ..stores.services import get_accessible_store

        stmt = stmt.where(Shipment.store_id == get_accessible_store(membership, store_id).id)
    if carrier:
        stmt = stmt.where(Shipment.carrier == str(carrier)[:48])
    # A page shows each one's order number, store and rider: loaded with it, not one by one.
    return stmt.options(selectinload(Shipment.order), selectinload(Shipment.store),
                        selectinload(Shipment.courier)).order_by(Shipment.id.desc())


def carriers_used(membership) -> list[str]:
    """The carriers of the merchant's shipments, for the list's filter."""
    return list(db.session.scalars(sa.select(Shipment.carrier).distinct().where(
        Shipment.merchant_id == membership.merchant_id).order_by(Shipment.carrier)))


riders = shipments.riders


def rider_id(value) -> int | None:
    """The user id chosen for a parcel's rider (blank: nobody); the service checks who may
    ride it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError.field("courier_user_id",
                                    _l("Choose a member who handles orders at this "
                                       "store.")) from None


def return_store(membership, shipment: Shipment, value):
    """The store a returned parcel goes back to: one the member may see (blank: the store
    it left). Unknown, another merchant's or out of reach: ``ValidationError``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return shipment.store
    from ..stores.services import get_accessible_store

    try:
        return get_accessible_store(membership, value)
    except NotFound:
        raise ValidationError.field("store_id", _l("Unknown store.")) from None
