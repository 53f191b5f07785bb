"""Shipments of orders: creating one, and moving it along its states.

``apply`` (an event decided here: staff, the merchant's rider, a rule) and ``report`` (news
from a carrier: a state it says the parcel is in) are the only two ways a shipment changes
state. Both lock the order, then the shipment (parent first, the order lifecycle's order),
record each step in the timeline, and flush; the caller commits. A carrier's event id is
recorded once: the same news delivered twice changes nothing and says so, and news older
than what is known is recorded as ignored rather than moving the shipment back.

Stock. The goods leave the store's stock when the courier picks them up: the order's hold
becomes a sale there (on hand and reserved both go down), as when a customer collects at
the counter, because from then on they are not on the shelf (a stock count must not find
them) and may come back to another store. So a parcel that comes back is a receipt of
stock (``return``, on hand up) at the store it returns to, done once per shipment:
``stock_left_at`` and ``stock_back_at`` record both moves and are checked under the lock.
A shipment cancelled before pick-up moves no stock: the order still holds it (for another
shipment, or for the order's own cancellation to release).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..database import utcnow
from ..errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..inventory.models import MovementReason
from ..inventory.services import apply_movement, lock_level
from ..merchants.models import Membership
from ..merchants.roles import Permission, allowed
from ..money import validate_amount
from ..orders import lifecycle
from ..plugins.providers import DeliveryQuote, TrackingUpdate
from ..redemption.human import random_reference
from ..states import next_state
from ..stores.models import Store
from ..validation import optional_text, valid_int
from . import notices, order_effects
from .addresses import clean_address
from .models import Shipment, ShipmentEventRecord, ShipmentLine
from .states import (
    FINAL_STATES,
    RANK,
    SHIPMENT_TRANSITIONS,
    EventSource,
    ShipmentEvent,
    ShipmentState,
    route,
)

E, S = ShipmentEvent, ShipmentState

REFERENCE_PREFIX = "GH-"  # "giao hàng"; a label like the orders' "DH"
REFERENCE_LENGTH = 8
CREATE = "create"  # the timeline's first row: no event of the table leads to "created"

# What ``apply`` and ``report`` did.
APPLIED, DUPLICATE, IGNORED = "applied", "duplicate", "ignored"


@dataclass(frozen=True)
class Outcome:
    shipment: Shipment
    result: str                               # applied | duplicate | ignored
    steps: tuple[ShipmentEventRecord, ...] = ()


def new_reference() -> str:
    return random_reference(REFERENCE_PREFIX, REFERENCE_LENGTH)


# --- reading ----------------------------------------------------------------------------------

def shipments_of_order(order) -> list[Shipment]:
    return list(db.session.scalars(sa.select(Shipment).where(
        Shipment.merchant_id == order.merchant_id, Shipment.order_id == order.id)
        .order_by(Shipment.id)))


def by_tracking_reference(carrier: str, tracking_reference: str) -> Shipment:
    """The shipment a carrier's webhook names; ``NotFound`` for one we never booked."""
    shipment = db.session.scalars(sa.select(Shipment).where(
        Shipment.carrier == carrier, Shipment.tracking_reference == tracking_reference)).first()
    if shipment is None:
        raise NotFound("shipment")
    return shipment


def lock(shipment: Shipment) -> Shipment:
    """The shipment row, locked until commit, after its order's (parent first: no deadlock
    with the order lifecycle); re-read so the checks see what the last holder committed."""
    lifecycle.lock(shipment.order)
    return db.session.scalars(
        sa.select(Shipment).where(Shipment.id == shipment.id).with_for_update()
        .execution_options(populate_existing=True)).one()


# --- creating ---------------------------------------------------------------------------------

def _still_to_ship(order) -> dict[int, int]:
    """Order line id → what the order holds at its store and no waiting shipment carries."""
    waiting = db.session.execute(
        sa.select(ShipmentLine.order_line_id, sa.func.sum(ShipmentLine.quantity))
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(Shipment.order_id == order.id, Shipment.state == S.CREATED)
        .group_by(ShipmentLine.order_line_id)).all()
    taken = dict(waiting)
    return {line.id: line.held_quantity - taken.get(line.id, 0) for line in order.lines}


def _chosen_lines(order, quantities: dict | None) -> list[tuple]:
    free = _still_to_ship(order)
    by_id = {line.id: line for line in order.lines}
    if quantities is None:
        quantities = {line_id: left for line_id, left in free.items() if left > 0}
    chosen = []
    for key, value in quantities.items():
        try:
            line = by_id[int(key)]
        except (KeyError, TypeError, ValueError):
            raise ValidationError.field("lines", _l("Unknown order line.")) from None
        quantity = valid_int(value, f"lines[{line.id}]", minimum=0, maximum=free[line.id])
        if quantity:
            chosen.append((line, quantity))
    if not chosen:
        raise ValidationError.field("lines", _l("Nothing of this order is left to ship."))
    return chosen


def _check_quote(order, quote: DeliveryQuote, cod_amount) -> int:
    if quote.currency != order.currency:
        raise ValidationError.field("quote", _l("The delivery is priced in another currency."))
    validate_amount(quote.fee, "fee")
    validate_amount(quote.redelivery_fee, "redelivery_fee")
    valid_int(quote.delivery_attempts, "delivery_attempts", minimum=1, maximum=10)
    if quote.window_end < quote.window_start:
        raise ValidationError.field("quote", _l("The delivery window ends before it starts."))
    cod_amount = validate_amount(cod_amount, "cod_amount")
    if cod_amount and not quote.cash_on_delivery:
        raise ValidationError.field("cod_amount",
                                    _l("This delivery does not take cash on delivery."))
    return cod_amount


def create_shipment(order, quote: DeliveryQuote, *, address: dict, cod_amount: int = 0,
                    lines: dict | None = None, note: str | None = None,
                    actor_id: int | None = None, now: datetime | None = None) -> Shipment:
    """A shipment of ``order`` from its store, on the terms of the chosen ``quote``.

    ``address``: the fields of an address (a saved one's, or
    typed at checkout), checked and copied. ``lines``: order line id → quantity; ``None``
    ships everything the order holds that no waiting shipment carries. Moves no stock
    (that happens at pick-up). Flushes; booking with the carrier is for after the commit."""
    now = now or utcnow()
    order = lifecycle.lock(order)  # two shipments made at once must not carry the same items
    clean = clean_address(address)
    cod_amount = _check_quote(order, quote, cod_amount)
    chosen = _chosen_lines(order, lines)
    shipment = Shipment(
        merchant_id=order.merchant_id, order_id=order.id, store_id=order.store_id,
        carrier=quote.carrier, service=quote.service, state=S.CREATED,
        reference=new_reference(), recipient_name=clean["recipient_name"],
        recipient_phone=clean["phone"], address_line=clean["line"], ward=clean["ward"],
        district=clean["district"], city=clean["city"], latitude=clean["latitude"],
        longitude=clean["longitude"], currency=quote.currency, fee=quote.fee,
        cod_amount=cod_amount, inspect_before_accept=quote.inspect_before_accept,
        max_attempts=quote.delivery_attempts, redelivery_fee=quote.redelivery_fee,
        window_start=quote.window_start, window_end=quote.window_end,
        note=optional_text(note, "note", max_length=500))
    for line, quantity in chosen:
        shipment.lines.append(ShipmentLine(merchant_id=order.merchant_id, order_line_id=line.id,
                                           variant_id=line.variant_id, quantity=quantity))
    db.session.add(shipment)
    db.session.flush()
    _record(shipment, CREATE, None, S.CREATED, source=EventSource.SYSTEM if actor_id is None
            else EventSource.STAFF, actor_id=actor_id, occurred_at=now)
    db.session.flush()
    return shipment


def riders(shipment: Shipment) -> list[Membership]:
    """Members who may carry the parcel: they handle orders at the store it leaves from."""
    members = db.session.scalars(sa.select(Membership).where(
        Membership.merchant_id == shipment.merchant_id).order_by(Membership.id)).all()
    return [m for m in members if allowed(m.role, Permission.HANDLE_ORDERS)
            and m.can_access_store(shipment.store_id)]


def assign_courier(shipment: Shipment, courier_user_id: int | None) -> Shipment:
    """Give a shipment to one of ``riders`` (``None``: take it back). Anyone else (a
    stranger, another merchant's member, a member of other stores) is refused."""
    shipment = lock(shipment)
    if ShipmentState(shipment.state) in FINAL_STATES:
        raise ValidationError(_l("This delivery is over."))
    if courier_user_id is not None \
            and courier_user_id not in {m.user_id for m in riders(shipment)}:
        raise ValidationError.field("courier_user_id",
                                    _l("Choose a member who handles orders at this store."))
    shipment.courier_user_id = courier_user_id
    db.session.flush()
    return shipment


def set_return_store(shipment: Shipment, store: Store) -> Shipment:
    """Send a parcel that comes back to another store of the merchant than the one it left."""
    shipment = lock(shipment)
    if store.merchant_id != shipment.merchant_id:
        raise ValidationError.field("store_id", _l("Unknown store."))
    if shipment.stock_back_at is not None:
        raise ValidationError(_l("The goods are already back in a store."))
    shipment.return_store_id = store.id
    db.session.flush()
    return shipment


# --- moving -----------------------------------------------------------------------------------

def _seen(shipment: Shipment, external_id: str | None) -> bool:
    if not external_id:
        return False
    return db.session.scalar(sa.select(ShipmentEventRecord.id).where(
        ShipmentEventRecord.carrier == shipment.carrier,
        ShipmentEventRecord.external_id == external_id)) is not None


def _aware(moment: datetime | None, now: datetime) -> datetime:
    if moment is None:
        return now
    if moment.tzinfo is None:
        raise ValidationError.field("occurred_at", _l("A time zone is required."))
    return moment


def _cash(shipment: Shipment, event: ShipmentEvent, cash_collected, source) -> int | None:
    if event != E.DELIVER:
        if cash_collected is not None:
            raise ValidationError.field("cash_collected",
                                        _l("Cash is collected only on delivery."))
        return None
    if cash_collected is None:
        # Staff and riders must say what they took; a carrier may tell it later, by itself.
        if shipment.cod_amount and source in (EventSource.STAFF, EventSource.COURIER):
            raise ValidationError.field("cash_collected", _l("Enter the cash collected."))
        return None
    return validate_amount(cash_collected, "cash_collected")


def apply(shipment: Shipment, event: ShipmentEvent, *, source: EventSource,
          actor_id: int | None = None, occurred_at: datetime | None = None,
          external_id: str | None = None, note: str | None = None,
          cash_collected: int | None = None, now: datetime | None = None) -> Outcome:
    """Fire ``event`` on the shipment, or raise ``InvalidTransition`` (409) when its state
    does not allow it. A rider may move only the shipments assigned to them. An
    ``external_id`` seen before (for this carrier) changes nothing: ``duplicate``."""
    now = now or utcnow()
    occurred_at = _aware(occurred_at, now)
    event, source = ShipmentEvent(event), EventSource(source)
    shipment = lock(shipment)
    if _seen(shipment, external_id):
        return Outcome(shipment, DUPLICATE)
    if source == EventSource.COURIER and (actor_id is None
                                          or shipment.courier_user_id != actor_id):
        raise PermissionDenied(_l("This delivery is not assigned to you."))
    goal = next_state(SHIPMENT_TRANSITIONS, ShipmentState(shipment.state), event)
    cash = _cash(shipment, event, cash_collected, source)
    note = optional_text(note, "note", max_length=500)
    steps = _walk(shipment, goal, source=source, actor_id=actor_id, occurred_at=occurred_at,
                  external_id=external_id, note=note, cash=cash, now=now)
    return Outcome(shipment, APPLIED, steps)


def _old_news(shipment: Shipment, status: ShipmentState, occurred_at: datetime) -> bool:
    state = ShipmentState(shipment.state)
    if state in FINAL_STATES or status == state or RANK[status] < RANK[state]:
        return True
    # Out for delivery and a failed attempt alternate: only newer news moves between them.
    return RANK[status] == RANK[state] and shipment.last_event_at is not None \
        and occurred_at <= shipment.last_event_at


def report(shipment: Shipment, update: TrackingUpdate, *, now: datetime | None = None) -> Outcome:
    """Apply what the carrier says (a webhook, a tracking poll).

    Seen before: ``duplicate``, nothing written. Older than what is known (a lower state, a
    state the shipment is already in, anything after it ended): recorded as ``ignored``.
    Further along than the next step (news we never got): the steps in between are
    walked one by one, so their rules apply. Impossible from here: ``InvalidTransition``."""
    now = now or utcnow()
    occurred_at = _aware(update.occurred_at, now)
    if not update.event_id:
        raise ValidationError.field("event_id", _l("The carrier's event id is required."))
    try:
        status = ShipmentState(update.status)
    except ValueError:
        raise ValidationError.field("status", _l("Unknown delivery status.")) from None
    shipment = lock(shipment)
    if _seen(shipment, update.event_id):
        return Outcome(shipment, DUPLICATE)
    note = optional_text(update.note, "note", max_length=500)
    state = ShipmentState(shipment.state)
    if _old_news(shipment, status, occurred_at):
        entry = _record(shipment, str(status), state, state, source=EventSource.CARRIER,
                        occurred_at=occurred_at, external_id=update.event_id, note=note,
                        ignored=True)
        db.session.flush()
        return Outcome(shipment, IGNORED, (entry,))
    path = route(SHIPMENT_TRANSITIONS, state, status)
    if path is None:
        raise InvalidTransition(state=str(state), event=str(status))
    cash = _cash(shipment, path[-1], update.cash_collected, EventSource.CARRIER)
    steps = _walk(shipment, status, source=EventSource.CARRIER, actor_id=None,
                  occurred_at=occurred_at, external_id=update.event_id, note=note, cash=cash,
                  now=now)
    return Outcome(shipment, APPLIED, steps)


def _walk(shipment: Shipment, goal: ShipmentState, *, source, actor_id, occurred_at,
          external_id, note, cash, now) -> tuple[ShipmentEventRecord, ...]:
    """Step along the table until the shipment is in ``goal`` (one step, unless a carrier
    skipped some), or a rule took it further (no attempts left: sent back). The shipment
    is locked."""
    steps: list[ShipmentEventRecord] = []
    while shipment.state != goal:
        path = route(SHIPMENT_TRANSITIONS, ShipmentState(shipment.state), goal)
        if not path:
            break
        steps += _step(shipment, path[0], source=source, actor_id=actor_id,
                       occurred_at=occurred_at, now=now,
                       cash=cash if path[0] == E.DELIVER else None)
    # The news (its id, its note) belongs to the last step it caused; the steps before it
    # were inferred from it. The platform's own follow-ups keep their own notes.
    own = [entry for entry in steps if entry.source == source]
    for entry in own[:-1]:
        entry.note = str(_l("Inferred from a later update."))
    if own:
        own[-1].external_id, own[-1].note = external_id, note
    db.session.flush()
    for entry in steps:  # told once the notes are final (a failed attempt's reason)
        notices.shipment_moved(shipment, ShipmentState(entry.to_state), note=entry.note)
    return tuple(steps)


def _step(shipment: Shipment, event: ShipmentEvent, *, source, actor_id, occurred_at, now,
          note=None, cash=None) -> list[ShipmentEventRecord]:
    old = ShipmentState(shipment.state)
    new = next_state(SHIPMENT_TRANSITIONS, old, event)
    if event == E.PICK_UP:
        order_effects.check_dispatchable(shipment)
        _stock_leaves(shipment, actor_id=actor_id, now=now)
    elif event in (E.SEND_OUT, E.REDELIVER):
        shipment.attempts += 1
    elif event == E.DELIVER and cash is not None:
        shipment.cod_collected = cash
    elif event == E.RECEIVE_BACK or (event == E.CANCEL and old == S.PICKED_UP):
        # Cancelled after pick-up: the courier hands the parcel back where it took it.
        _stock_back(shipment, actor_id=actor_id, now=now)
    shipment.state = new
    if shipment.last_event_at is None or occurred_at > shipment.last_event_at:
        shipment.last_event_at = occurred_at
    steps = [_record(shipment, event, old, new, source=source, actor_id=actor_id,
                     occurred_at=occurred_at, note=note, cash_collected=cash)]
    db.session.flush()
    order_effects.shipment_moved(shipment, event, old, actor_id=actor_id, now=now)
    if event == E.FAIL_ATTEMPT and shipment.attempts >= shipment.max_attempts:
        # No attempt left: the parcel goes back, by the platform's rule, at once.
        steps += _step(shipment, E.SEND_BACK, source=EventSource.SYSTEM, actor_id=None,
                       occurred_at=occurred_at, now=now,
                       note=str(_l("No delivery attempts left.")))
    return steps


def _record(shipment: Shipment, event, old, new, *, source, occurred_at, actor_id=None,
            external_id=None, note=None, cash_collected=None,
            ignored: bool = False) -> ShipmentEventRecord:
    entry = ShipmentEventRecord(
        merchant_id=shipment.merchant_id, shipment_id=shipment.id, carrier=shipment.carrier,
        event=str(event), from_state=str(old) if old else None, to_state=str(new),
        ignored=ignored, source=str(source), external_id=external_id,
        occurred_at=occurred_at, note=(note or None) and note[:500],
        cash_collected=cash_collected, actor_id=actor_id)
    db.session.add(entry)
    return entry


# --- stock ------------------------------------------------------------------------------------

def _stock_leaves(shipment: Shipment, *, actor_id, now) -> None:
    """The order's hold of the parcel's goods becomes a sale at the fulfilling store."""
    if shipment.stock_left_at is not None:
        return
    for line in sorted(shipment.lines, key=lambda x: x.variant_id):  # lock order: no deadlock
        order_line = line.order_line
        if order_line.held_quantity < line.quantity:
            raise ValidationError(_l("The order no longer holds these goods at the store."))
        apply_movement(lock_level(shipment.store, line.variant), reason=MovementReason.SALE,
                       on_hand_delta=-line.quantity, reserved_delta=-line.quantity,
                       actor_id=actor_id, reference=shipment.reference)
        order_line.held_quantity -= line.quantity
    shipment.stock_left_at = now


def _stock_back(shipment: Shipment, *, actor_id, now) -> None:
    """Put the parcel's goods back on sale at the store it returns to, once."""
    if shipment.stock_left_at is None or shipment.stock_back_at is not None:
        return
    store = shipment.return_store or shipment.store
    for line in sorted(shipment.lines, key=lambda x: x.variant_id):
        apply_movement(lock_level(store, line.variant), reason=MovementReason.RETURN,
                       on_hand_delta=line.quantity, actor_id=actor_id,
                       reference=shipment.reference,
                       note=str(_l("Delivery %(ref)s came back.", ref=shipment.reference)))
    shipment.stock_back_at = now
