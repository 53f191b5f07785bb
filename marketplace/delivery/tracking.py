"""Talking to carriers: booking and cancelling after the commit, and applying their news.

Nothing here holds a row lock across a call to a carrier. Booking and cancelling are
outbox messages (``order_effects`` writes them in the transaction that decided them), so
a carrier that is down loses nothing: the outbox retries, and a refusal for good
(``ValidationError``) is recorded on the shipment's timeline for staff to see. A
carrier's news (its webhook, a tracking poll) goes through ``carrier_news``, which finds
the shipment by the carrier's own tracking reference and hands each update to
``shipments.report`` (replays and old news change nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from ..database import utcnow
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..outbox.services import register_handler
from ..plugins.manager import current_platform
from ..plugins.providers import Carrier, ShipmentInfo, TrackingUpdate
from . import shipments
from .models import Shipment, ShipmentEventRecord
from .order_effects import BOOK_TOPIC, CANCEL_TOPIC
from .states import FINAL_STATES, EventSource, ShipmentState

log = logging.getLogger(__name__)

BOOKING_REFUSED = "booking_refused"  # a timeline row: the carrier would not take it


def carrier_for(shipment: Shipment) -> Carrier:
    return current_platform().carriers.get(shipment.carrier)


def shipment_info(shipment: Shipment) -> ShipmentInfo:
    """The shipment as its carrier sees it: no table of ours leaves the platform."""
    address = ", ".join(part for part in (shipment.address_line, shipment.ward,
                                          shipment.district, shipment.city) if part)
    return ShipmentInfo(
        shipment_id=shipment.id, reference=shipment.reference,
        merchant_id=shipment.merchant_id, store_id=shipment.store_id,
        origin=(shipment.store.latitude, shipment.store.longitude),
        destination=shipment.position, recipient_name=shipment.recipient_name,
        recipient_phone=shipment.recipient_phone, address=address, service=shipment.service,
        cod_amount=shipment.cod_amount, currency=shipment.currency,
        tracking_reference=shipment.tracking_reference, note=shipment.note)


def find(carrier: str, tracking_reference: str) -> Shipment:
    """The shipment a carrier means by its tracking reference (unique per carrier)."""
    shipment = db.session.scalars(sa.select(Shipment).where(
        Shipment.carrier == carrier,
        Shipment.tracking_reference == str(tracking_reference or "")[:100])).first()
    if shipment is None:
        raise NotFound("shipment")
    return shipment


def carrier_news(carrier: str, tracking_reference: str, updates: Iterable[TrackingUpdate], *,
                 now: datetime | None = None) -> list[shipments.Outcome]:
    """Apply what a carrier says happened to one of its shipments, oldest first.

    Raises ``NotFound`` for a reference the carrier never got from us (nothing written);
    ``InvalidTransition`` for news that cannot follow from where the shipment is. Flushes;
    the caller (the webhook route, the poll) commits or rolls back the whole batch."""
    shipment = find(carrier, tracking_reference)
    ordered = sorted(updates, key=lambda update: update.occurred_at)
    return [shipments.report(shipment, update, now=now) for update in ordered]


# --- after the commit: the outbox ------------------------------------------------------------

def _book(payload: dict) -> None:
    shipment = db.session.get(Shipment, payload["shipment_id"])
    if shipment is None or shipment.tracking_reference or shipment.state != ShipmentState.CREATED:
        return  # booked already, called off meanwhile, or gone
    info = shipment_info(shipment)
    db.session.commit()  # no transaction (and so no lock) stays open across the call
    try:
        reference = carrier_for(shipment).create_shipment(info)
    except ValidationError as exc:  # refused for good: staff must choose another way
        _refused(payload["shipment_id"], str(exc.message))
        return
    shipment = shipments.lock(db.session.get(Shipment, payload["shipment_id"]))
    if shipment.tracking_reference is None:
        shipment.tracking_reference = str(reference)[:100]
        db.session.flush()


def _refused(shipment_id: int, why: str) -> None:
    shipment = shipments.lock(db.session.get(Shipment, shipment_id))
    db.session.add(ShipmentEventRecord(
        merchant_id=shipment.merchant_id, shipment_id=shipment.id, carrier=shipment.carrier,
        event=BOOKING_REFUSED, from_state=shipment.state, to_state=shipment.state,
        ignored=True, source=str(EventSource.CARRIER), occurred_at=utcnow(),
        note=why[:500]))
    log.warning("shipment %s: carrier %s refused the booking: %s", shipment.reference,
                shipment.carrier, why)
    db.session.flush()


def _cancel(payload: dict) -> None:
    shipment = db.session.get(Shipment, payload["shipment_id"])
    if shipment is None or not shipment.tracking_reference:
        return
    info = shipment_info(shipment)
    db.session.commit()
    try:
        carrier_for(shipment).cancel(info)
    except ValidationError as exc:
        # Already on its way at the carrier: its next news brings the parcel back to us.
        log.warning("shipment %s: carrier %s would not cancel: %s", info.reference,
                    shipment.carrier, exc.message)


def poll(shipment_id: int, *, now: datetime | None = None) -> list[shipments.Outcome]:
    """Ask the carrier what happened (carriers without webhooks) and apply it. The call is
    made outside any transaction; the caller commits."""
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None or not shipment.tracking_reference \
            or ShipmentState(shipment.state) in FINAL_STATES:
        return []
    info, carrier = shipment_info(shipment), shipment.carrier
    db.session.commit()
    updates = carrier_for(shipment).track(info)
    if not updates:
        return []
    return carrier_news(carrier, info.tracking_reference, updates, now=now)


def poll_all(*, now: datetime | None = None, limit: int = 200) -> int:
    """One round of tracking polls (the periodic job): one transaction per shipment, so a
    carrier that is down or answers nonsense for one parcel holds up no other."""
    changed = 0
    for shipment_id in open_booked(limit):
        try:
            outcomes = poll(shipment_id, now=now)
            db.session.commit()
        except Exception:  # logged and retried next round
            db.session.rollback()
            log.exception("tracking poll of shipment %s failed", shipment_id)
            continue
        changed += sum(1 for outcome in outcomes if outcome.result == shipments.APPLIED)
    return changed


def open_booked(limit: int = 200) -> list[int]:
    """Shipments a tracking poll should ask about: booked and not over."""
    return list(db.session.scalars(
        sa.select(Shipment.id).where(
            Shipment.tracking_reference.is_not(None),
            Shipment.state.notin_([str(s) for s in FINAL_STATES]))
        .order_by(Shipment.updated_at).limit(limit)))


def init_app(app) -> None:
    register_handler(app, BOOK_TOPIC, _book)
    register_handler(app, CANCEL_TOPIC, _cancel)
