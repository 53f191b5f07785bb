"""What the booking API and pages read: a merchant's services, resources, blocks and calendar,
a customer's own bookings, and the services anyone may book.

Reads only (nothing here writes); every merchant row is found through ``scoped`` or
``get_scoped``, every customer row by its customer, so nobody reads anyone else's.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from marketplace.catalog.models import Listing
from marketplace.catalog.states import ListingStatus
from marketplace.database import MAX_ID, get_scoped, scoped, utcnow
from marketplace.errors import NotFound, ValidationError
from marketplace.extensions import db
from marketplace.redemption import human
from marketplace.redemption import services as redemption
from marketplace.redemption.states import CodeState
from marketplace.stores.models import Store

from . import availability as engine
from .booking import CODE_KIND, setup_resources
from .models import Block, Booking, Resource, ServiceSetup
from .pages import enabled_for
from .setup import setup_of

CUSTOMER_LIST_LIMIT = 100
takes_bookings = enabled_for  # the merchant enabled the plugin (and the platform runs it)


# --- whether the merchant takes bookings ------------------------------------------------------

def require_bookings(merchant) -> None:
    """A merchant without the plugin has no booking API: 404, as if it did not exist."""
    if not takes_bookings(merchant):
        raise NotFound("plugin")


# --- the merchant's setup ---------------------------------------------------------------------

def services(merchant_id: int) -> sa.Select:
    return (scoped(ServiceSetup, merchant_id)
            .options(selectinload(ServiceSetup.listing), selectinload(ServiceSetup.stores))
            .order_by(ServiceSetup.id))


def service_of(listing: Listing) -> ServiceSetup:
    """How ``listing`` is booked, or ``NotFound`` if it was never set up."""
    setup = setup_of(listing)
    if setup is None:
        raise NotFound("service")
    return setup


def resources(membership, store: Store | None = None) -> sa.Select:
    """The resources of the stores the member may see (of one store, if given)."""
    stmt = (scoped(Resource, membership.merchant_id)
            .options(selectinload(Resource.services), selectinload(Resource.hours))
            .order_by(Resource.store_id, Resource.kind, Resource.name, Resource.id))
    if store is not None:
        stmt = stmt.where(Resource.store_id == store.id)
    elif not membership.all_stores:
        stmt = stmt.where(Resource.store_id.in_(membership.store_ids or {-1}))
    return stmt


def accessible_resource(membership, resource_id) -> Resource:
    """A resource of a store the member may see; anything else is 404."""
    resource = get_scoped(Resource, membership.merchant_id, resource_id)
    if not membership.can_access_store(resource.store_id):
        raise NotFound("resource")
    return resource


def accessible_block(membership, block_id) -> Block:
    block = get_scoped(Block, membership.merchant_id, block_id)
    if not membership.can_access_store(block.resource.store_id):
        raise NotFound("block")
    return block


def blocks(resource: Resource, *, now: datetime | None = None) -> sa.Select:
    """The resource's blocks that have not ended yet, soonest first."""
    return (scoped(Block, resource.merchant_id)
            .where(Block.resource_id == resource.id, Block.ends_at > (now or utcnow()))
            .order_by(Block.starts_at, Block.id))


# --- the calendar -----------------------------------------------------------------------------

def accessible_booking(membership, booking_id) -> Booking:
    booking = get_scoped(Booking, membership.merchant_id, booking_id)
    if not membership.can_access_store(booking.store_id):
        raise NotFound("booking")
    return booking


def calendar(store: Store, day: date, *, days: int = 1, resource: Resource | None = None,
             state: str | None = None) -> list[Booking]:
    """The bookings that start on the store-local ``day`` (and the ``days`` - 1 after it), in
    time order; only those of ``resource`` (a staff member, room or table) if given, only
    those in ``state`` if given."""
    tz = ZoneInfo(store.timezone)
    first = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    last = datetime.combine(day + timedelta(days=days), datetime.min.time(), tzinfo=tz)
    stmt = (scoped(Booking, store.merchant_id)
            .where(Booking.store_id == store.id, Booking.starts_at >= first,
                   Booking.starts_at < last)
            .options(selectinload(Booking.service).selectinload(ServiceSetup.listing),
                     selectinload(Booking.customer), selectinload(Booking.staff),
                     selectinload(Booking.resource), selectinload(Booking.session))
            .order_by(Booking.starts_at, Booking.id))
    if resource is not None:
        column = Booking.staff_id if resource.is_staff else Booking.resource_id
        stmt = stmt.where(column == resource.id)
    if state is not None:
        stmt = stmt.where(Booking.state == state)
    return list(db.session.scalars(stmt))


# --- the customer's side ----------------------------------------------------------------------

def public_service(listing_id: int) -> ServiceSetup:
    """A bookable service anyone may see: a published listing of an approved merchant that
    takes bookings, set up and active. Anything else is ``NotFound``."""
    listing = db.session.get(Listing, listing_id) if 0 < listing_id <= MAX_ID else None
    if listing is None or listing.status != ListingStatus.PUBLISHED \
            or not listing.merchant.is_public or not takes_bookings(listing.merchant):
        raise NotFound("service")
    setup = setup_of(listing)
    if setup is None or not setup.is_active:
        raise NotFound("service")
    return setup


def offering_store(setup: ServiceSetup, store_id: int) -> Store:
    """The store asked for by id; one of another merchant is refused like one that does not
    offer the service (``booking.offered_at`` checks the rest)."""
    store = db.session.get(Store, store_id) if 0 < store_id <= MAX_ID else None
    if store is None or store.merchant_id != setup.merchant_id:
        raise ValidationError.field("store_id",
                                    _l("This service is not offered at this store."))
    return store


def slot_views(setup: ServiceSetup, store: Store, slots: list[engine.Slot]) -> dict:
    """The staff who perform the service here (the consumer may choose one, except for a
    group service: there each slot names its session's instructor), and the slots with the
    ids of those free at each and, for a group service, the places left."""
    staff = [{"id": r.id, "name": r.name} for r in setup_resources(setup, store)
             if r.is_staff and r.is_active]
    known = {member["id"] for member in staff}
    return {"staff": staff,
            "slots": [{"start": slot.start, "end": slot.end,
                       "staff_ids": [i for i in slot.staff_ids if i in known],
                       "seats_left": slot.seats_left}
                      for slot in slots]}


def customer_bookings(customer, *, limit: int = CUSTOMER_LIST_LIMIT) -> list[Booking]:
    """The customer's bookings with merchants that take bookings, latest appointment first."""
    found = db.session.scalars(
        sa.select(Booking).where(Booking.customer_id == customer.id)
        .options(selectinload(Booking.service).selectinload(ServiceSetup.listing),
                 selectinload(Booking.store), selectinload(Booking.staff))
        .order_by(Booking.starts_at.desc(), Booking.id.desc()).limit(limit))
    return [b for b in found if takes_bookings(b.store.merchant)]


def customer_booking(customer, reference: str, *, while_running: bool = True) -> Booking:
    """The customer's booking by reference; anyone else's is ``NotFound``. ``while_running``:
    only while the merchant runs the plugin (the API); the pages keep showing a customer
    what they booked after the merchant switched it off."""
    booking = db.session.scalars(sa.select(Booking).where(
        Booking.reference == (reference or "").strip().upper()[:16],
        Booking.customer_id == customer.id)).first()
    if booking is None or (while_running and not takes_bookings(booking.store.merchant)):
        raise NotFound("booking")
    return booking


def ticket(booking: Booking) -> dict | None:
    """The code to show at the counter while the booking waits for the visit."""
    code = redemption.current(CODE_KIND, booking.id)
    if code is None or code.state != CodeState.ACTIVE:
        return None
    return {"code": human.display(redemption.human_code(code)),
            "qr": redemption.qr_text(code), "valid_until": code.valid_until}
