"""What a rider does: the parcels assigned to them and the four things they record.

A rider is a member of the merchant who handles orders at the parcel's store, and a parcel
is theirs when staff assigned it to them (``Shipment.courier_user_id``) and it goes with the
local courier. Only those are ever read here: any other parcel, another rider's or another
merchant's, is ``NotFound``, whatever its id. A member who lost the right to handle orders
at the store (or left the merchant) no longer sees the parcels still assigned to them.

Every change goes through ``marketplace.delivery.shipments.apply`` with source ``courier``
(which refuses a rider the parcel is not assigned to); these functions flush, the view
commits.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from marketplace.database import get_scoped, utcnow
from marketplace.delivery import shipments
from marketplace.delivery.models import Shipment
from marketplace.delivery.states import FINAL_STATES, EventSource, ShipmentEvent, ShipmentState
from marketplace.errors import InvalidTransition, NotFound, ValidationError
from marketplace.extensions import db
from marketplace.media import save_image
from marketplace.merchants.models import Membership
from marketplace.merchants.roles import Permission, allowed
from marketplace.validation import optional_text

from .carrier import IDENTIFIER
from .models import DeliveryPhoto
from .settings import NAME

E, S = ShipmentEvent, ShipmentState

FINISHED_SHOWN = 20
# Why a delivery failed: the common cases as choices (the customer is told the reason).
REASONS = {
    "nobody_home": _l("Nobody was at home"),
    "phone_unreachable": _l("The phone did not answer"),
    "refused_after_inspection": _l("The customer refused the goods after inspecting them"),
    "wrong_address": _l("The address is wrong"),
    "other": _l("Another reason"),
}
DETAIL_MAX = 300


def may_ride(membership: Membership | None, shipment: Shipment) -> bool:
    return membership is not None and allowed(membership.role, Permission.HANDLE_ORDERS) \
        and membership.can_access_store(shipment.store_id)


def _assigned(user_id: int) -> sa.Select:
    """The local courier's parcels assigned to the user, each with the user's membership at
    its merchant (none: not listed)."""
    return (sa.select(Shipment, Membership)
            .join(Membership, sa.and_(Membership.merchant_id == Shipment.merchant_id,
                                      Membership.user_id == user_id))
            .where(Shipment.courier_user_id == user_id, Shipment.carrier == IDENTIFIER))


def by_promise(shipment: Shipment):
    """Sort key: the soonest promised end first, parcels without a window last."""
    far = datetime.max.replace(tzinfo=UTC)
    return (shipment.window_end is None, shipment.window_end or far,
            shipment.window_start or far, shipment.id)


def rider_shipments(user_id: int) -> tuple[list[Shipment], list[Shipment]]:
    """(open parcels, soonest promise first; the last ones finished, latest first)."""
    finals = [str(s) for s in FINAL_STATES]
    open_rows = db.session.execute(_assigned(user_id).where(Shipment.state.notin_(finals)))
    opened = sorted((s for s, m in open_rows if may_ride(m, s)), key=by_promise)
    done_rows = db.session.execute(_assigned(user_id).where(Shipment.state.in_(finals))
                                   .order_by(Shipment.updated_at.desc(), Shipment.id.desc())
                                   .limit(FINISHED_SHOWN))
    return opened, [s for s, m in done_rows if may_ride(m, s)]


def rider_shipment(user_id: int, shipment_id) -> Shipment:
    """One of the user's parcels (``NotFound`` for any other), read in its merchant's scope."""
    try:
        wanted = int(shipment_id)
    except (TypeError, ValueError):
        raise NotFound("shipment") from None
    found = db.session.execute(_assigned(user_id).where(Shipment.id == wanted)).first()
    if found is None or not may_ride(found.Membership, found.Shipment):
        raise NotFound("shipment")
    return get_scoped(Shipment, found.Membership.merchant_id, wanted)


# --- what riders record -----------------------------------------------------------------------

def _apply(shipment: Shipment, event: ShipmentEvent, rider_id: int, *, now=None, **extra):
    return shipments.apply(shipment, event, source=EventSource.COURIER, actor_id=rider_id,
                           now=now, **extra)


def pick_up(shipment: Shipment, rider_id: int, *, now=None) -> shipments.Outcome:
    """The rider took the parcel at the store."""
    return _apply(shipment, E.PICK_UP, rider_id, now=now)


# "On my way" is one button whatever the step before: the merchant's riders have no hubs, so
# from the store they go straight out for delivery, and after a failed attempt they go again.
ON_MY_WAY = {
    S.PICKED_UP: (E.FORWARD, E.SEND_OUT),
    S.IN_TRANSIT: (E.SEND_OUT,),
    S.FAILED_ATTEMPT: (E.REDELIVER,),
}


def on_my_way(shipment: Shipment, rider_id: int, *, now=None) -> list[shipments.Outcome]:
    """The rider sets out for the door (another attempt after a failed one)."""
    events = ON_MY_WAY.get(ShipmentState(shipment.state))
    if events is None:
        raise InvalidTransition(state=shipment.state, event="on_my_way")
    return [_apply(shipment, event, rider_id, now=now) for event in events]


def deliver(shipment: Shipment, rider_id: int, *, cash_collected: int | None, photo=None,
            now=None) -> tuple[shipments.Outcome, DeliveryPhoto | None]:
    """The customer has the parcel. ``cash_collected`` is required when there is cash to
    collect; ``photo`` (an uploaded file's stream, optional) is kept as proof of delivery.
    The photo is stored only once the delivery is recorded: a refused delivery leaves no
    file behind."""
    outcome = _apply(shipment, E.DELIVER, rider_id, now=now, cash_collected=cash_collected)
    if photo is None:
        return outcome, None
    stored = save_image(photo, folder=f"{NAME}/{shipment.merchant_id}/{shipment.id}",
                        field="photo")
    record = DeliveryPhoto(merchant_id=shipment.merchant_id, shipment_id=shipment.id,
                           shipment_event_id=outcome.steps[-1].id, path=stored.path,
                           created_at=now or utcnow())
    db.session.add(record)
    db.session.flush()
    return outcome, record


def failure_note(shipment: Shipment, reason, detail) -> str:
    """The reason as the customer reads it (in their language) and the rider's words."""
    reason = str(reason or "").strip()
    if reason not in REASONS:
        raise ValidationError.field("reason", _l("Choose why the delivery failed: the "
                                                 "customer is told."))
    detail = optional_text(detail, "detail", max_length=DETAIL_MAX)
    if reason == "other" and detail is None:
        raise ValidationError.field("detail", _l("Say what happened: the customer is told."))
    if reason == "other":
        return detail
    with force_locale(shipment.order.customer.locale or "vi"):
        said = str(REASONS[reason])
    return f"{said}: {detail}" if detail else said


def fail_attempt(shipment: Shipment, rider_id: int, *, reason, detail=None,
                 now=None) -> shipments.Outcome:
    """Nobody took the parcel. When no attempt is left the platform sends it back at once."""
    note = failure_note(shipment, reason, detail)
    return _apply(shipment, E.FAIL_ATTEMPT, rider_id, now=now, note=note)


# --- photos -------------------------------------------------------------------------------

def photos_of(shipment: Shipment) -> list[DeliveryPhoto]:
    return list(db.session.scalars(sa.select(DeliveryPhoto).where(
        DeliveryPhoto.merchant_id == shipment.merchant_id,
        DeliveryPhoto.shipment_id == shipment.id).order_by(DeliveryPhoto.id)))


def rider_photo(user_id: int, photo_id) -> DeliveryPhoto:
    """A photo of one of the rider's parcels; any other is ``NotFound``."""
    try:
        wanted = int(photo_id)
    except (TypeError, ValueError):
        raise NotFound("photo") from None
    shipment_id = db.session.scalar(sa.select(DeliveryPhoto.shipment_id).where(
        DeliveryPhoto.id == wanted))
    if shipment_id is None:
        raise NotFound("photo")
    shipment = rider_shipment(user_id, shipment_id)
    return get_scoped(DeliveryPhoto, shipment.merchant_id, wanted)
