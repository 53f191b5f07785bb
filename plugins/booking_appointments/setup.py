"""What a merchant sets up before anyone can book: how each service is booked, the staff and
rooms of each store, staff working hours, and blocks of time off.

Services here flush and never commit (the house rule); every row is the merchant's own and is
found through ``get_scoped``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from marketplace.catalog.models import Listing
from marketplace.catalog.states import ListingKind
from marketplace.database import get_scoped, scoped
from marketplace.errors import Conflict, NotFound, ValidationError
from marketplace.extensions import db
from marketplace.stores.hours import Interval, parse_time, validate_weekly
from marketplace.stores.models import Store
from marketplace.validation import optional_text, required_text, valid_int

from .models import Block, Booking, Occupancy, Resource, ServiceSetup, WorkingHours
from .states import TAKING_TIME

RESOURCE_KINDS = ("staff", "room", "table")
# (field, minimum, maximum, default) of the numbers a service is booked by.
SERVICE_NUMBERS = (
    ("buffer_before_minutes", 0, 240, 0),
    ("buffer_after_minutes", 0, 240, 0),
    ("step_minutes", 5, 240, 15),
    ("lead_minutes", 0, 60 * 24 * 14, 60),
    ("horizon_days", 1, 366, 30),
    ("party_min", 1, 500, 1),
    ("party_max", 1, 500, 1),
    ("seats", 1, 500, 1),
    ("cancel_cutoff_hours", 0, 24 * 30, 24),
    ("reschedule_cutoff_hours", 0, 24 * 30, 24),
)
MAX_BLOCK_DAYS = 366
# What a customer pays ahead when booking (see ``prepay.py``).
AT_STORE, DEPOSIT, FULL = "at_store", "deposit", "full"
PAYMENT_POLICIES = (AT_STORE, DEPOSIT, FULL)


class TimeTaken(Conflict):
    code = "time_taken"
    title = _l("This time is already taken.")


def _own(model, merchant_id: int, object_id, field: str):
    """One of the merchant's rows named in a request body: an unknown or another merchant's
    id is bad input on that field (422), like every id the core reads from a body."""
    try:
        return get_scoped(model, merchant_id, object_id)
    except NotFound:
        raise ValidationError.field(field, _l("Unknown or not yours.")) from None


def _stores(merchant_id: int, ids, field: str) -> list[Store]:
    if not isinstance(ids, list | tuple):
        raise ValidationError.field(field, _l("Choose at least one store."))
    stores = [_own(Store, merchant_id, store_id, field) for store_id in ids]
    return list({store.id: store for store in stores}.values())


def _offering(setup: ServiceSetup, ids, membership) -> list[Store]:
    """The stores that will offer the service. A member limited to some stores (``membership``)
    changes only theirs: naming another is refused like an unknown id, and the ones they cannot
    see stay as they are (they could not untick them)."""
    chosen = _stores(setup.merchant_id, ids, "store_ids")
    if membership is None:
        return chosen
    if any(not membership.can_access_store(store.id) for store in chosen):
        raise ValidationError.field("store_ids", _l("Unknown or not yours."))
    kept = [store for store in setup.stores if not membership.can_access_store(store.id)]
    return list({store.id: store for store in chosen + kept}.values())


def setup_of(listing: Listing) -> ServiceSetup | None:
    """How ``listing`` is booked, if it was ever set up."""
    return db.session.scalars(scoped(ServiceSetup, listing.merchant_id).where(
        ServiceSetup.listing_id == listing.id)).first()


def configure_service(listing: Listing, data: dict, *, membership=None) -> ServiceSetup:
    """Create or change how ``listing`` (a service) is booked. ``data`` may hold any of the
    ``SERVICE_NUMBERS``, ``needs_staff``, ``needs_resource``, ``is_active``, ``store_ids``,
    ``payment`` and ``deposit_amount``; what is missing keeps its value (or its default, for
    a new setup). ``membership``: the member making the change, when it is one (a member
    limited to some stores changes only those stores' offer)."""
    if listing.kind != ListingKind.SERVICE or not listing.duration_minutes:
        raise ValidationError.field("listing", _l("Only a service with a duration is booked."))
    setup = setup_of(listing)
    if setup is None:
        setup = ServiceSetup(merchant_id=listing.merchant_id, listing_id=listing.id)
        db.session.add(setup)
        for name, _low, _high, default in SERVICE_NUMBERS:
            setattr(setup, name, default)
        setup.needs_staff, setup.needs_resource, setup.is_active = True, False, True
        setup.payment = AT_STORE
    was_group = setup.is_group
    for name, low, high, _default in SERVICE_NUMBERS:
        if name in data:
            setattr(setup, name, valid_int(data[name], name, minimum=low, maximum=high))
    for name in ("needs_staff", "needs_resource", "is_active"):
        if name in data:
            setattr(setup, name, bool(data[name]))
    if setup.party_max < setup.party_min:
        raise ValidationError.field("party_max", _l("The largest party is below the smallest."))
    _group_rules(setup, was_group)
    if not (setup.needs_staff or setup.needs_resource):
        raise ValidationError.field("needs_staff", _l(
            "A service needs a staff member, a room or table, or both."))
    _payment_policy(setup, listing, data)
    if "store_ids" in data:
        setup.stores = _offering(setup, data["store_ids"], membership)
    db.session.flush()
    return setup


def _group_rules(setup: ServiceSetup, was_group: bool) -> None:
    """``seats`` above one makes a group service (``sessions.py``): a party fits in one
    session, and a service with bookings still to come keeps its kind, since a group
    booking's places live in a session and a single booking's time in occupancies of its
    own."""
    if setup.is_group and setup.party_max > setup.seats:
        raise ValidationError.field("party_max", _l(
            "A party takes at most the %(seats)d places of a session.", seats=setup.seats))
    if setup.id is None or setup.is_group == was_group:
        return
    with db.session.no_autoflush:  # the change must not reach the database before this
        live = db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(
            Booking.service_id == setup.id, Booking.state.in_(TAKING_TIME)))
    if live:
        raise ValidationError.field("seats", _l(
            "This service has bookings still to come: finish or cancel them before switching "
            "between group sessions and single bookings."))


def _payment_policy(setup: ServiceSetup, listing: Listing, data: dict) -> None:
    """What is paid ahead: nothing, a deposit below the price, or the whole price."""
    if "payment" in data:
        if data["payment"] not in PAYMENT_POLICIES:
            raise ValidationError.field("payment", _l(
                "Choose payment at the store, a deposit or the full price ahead."))
        setup.payment = data["payment"]
    if "deposit_amount" in data:
        setup.deposit_amount = None if data["deposit_amount"] in (None, "") else valid_int(
            data["deposit_amount"], "deposit_amount", minimum=1, maximum=10**12)
    if setup.payment == DEPOSIT:
        price = service_price(listing)
        if setup.deposit_amount is None:
            raise ValidationError.field("deposit_amount", _l("Enter the deposit."))
        if price is not None and setup.deposit_amount >= price:
            raise ValidationError.field("deposit_amount", _l(
                "A deposit is less than the price; for the whole price choose full payment."))


def service_variant(listing: Listing):
    """What a booking of the service is sold as: its first active variant (its price)."""
    if not listing.active_variants:
        raise ValidationError.field("service_id", _l("This service has no price yet."))
    return listing.active_variants[0]


def service_price(listing: Listing) -> int | None:
    """The price a booking of the service costs: its first active variant's."""
    variants = listing.active_variants
    return variants[0].price if variants else None


def create_resource(merchant_id: int, data: dict) -> Resource:
    store = _own(Store, merchant_id, data.get("store_id"), "store_id")
    # Joins the session once it is valid: a query made while checking it would flush it.
    resource = Resource(merchant_id=merchant_id, store_id=store.id)
    return update_resource(resource, {"kind": "staff", "capacity": 1, **data}, creating=True)


def update_resource(resource: Resource, data: dict, *, creating: bool = False) -> Resource:
    """Name, kind, capacity, active flag, linked team member and the services it serves."""
    if "kind" in data and (creating or data["kind"] != resource.kind):
        if data["kind"] not in RESOURCE_KINDS:
            raise ValidationError.field("kind", _l("Choose staff, room or table."))
        if not creating:
            raise ValidationError.field("kind", _l("A resource keeps its kind."))
        resource.kind = data["kind"]
    if "name" in data or creating:
        resource.name = required_text(data.get("name"), "name", max_length=120)
    if "capacity" in data:
        resource.capacity = valid_int(data["capacity"], "capacity", minimum=1, maximum=500)
    if "is_active" in data:
        resource.is_active = bool(data["is_active"])
    if "user_id" in data:
        resource.user_id = _member(resource.merchant_id, data["user_id"])
    if "service_ids" in data:
        ids = data["service_ids"]
        if not isinstance(ids, list | tuple):
            raise ValidationError.field("service_ids", _l("Choose the services."))
        resource.services = [_own(ServiceSetup, resource.merchant_id, i, "service_ids")
                             for i in ids]
    with db.session.no_autoflush:  # the new name must not reach the database before this
        taken = db.session.scalar(sa.select(Resource.id).where(
            Resource.store_id == resource.store_id, Resource.name == resource.name,
            Resource.id != resource.id if resource.id else sa.true()))
    if taken:
        raise ValidationError.field("name", _l("This store already has one by this name."))
    db.session.add(resource)
    db.session.flush()
    return resource


def _member(merchant_id: int, user_id) -> int | None:
    """A staff resource may be linked to a member of the team (to see their own calendar)."""
    from marketplace.merchants.models import Membership

    if user_id in (None, ""):
        return None
    user_id = valid_int(user_id, "user_id", minimum=1)
    member = db.session.scalars(scoped(Membership, merchant_id).where(
        Membership.user_id == user_id)).first()
    if member is None:
        raise ValidationError.field("user_id", _l("This person is not on your team."))
    return user_id


def set_working_hours(resource: Resource, rows: list) -> Resource:
    """Replace a staff member's weekly hours (``[{weekday, opens, closes, overnight}]``); an
    empty list means they work whenever the store is open."""
    if not resource.is_staff:
        raise ValidationError.field("hours", _l("Only staff have working hours."))
    if not isinstance(rows, list):
        raise ValidationError.field("hours", _l("Send a list of intervals."))
    parsed = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValidationError.field(f"hours[{index}]", _l("Send a list of intervals."))
        parsed.append((row.get("weekday"), Interval(
            parse_time(row.get("opens"), f"hours[{index}].opens"),
            parse_time(row.get("closes"), f"hours[{index}].closes"),
            bool(row.get("overnight", False)))))
    checked = validate_weekly(parsed)
    resource.hours = [WorkingHours(merchant_id=resource.merchant_id, weekday=weekday,
                                   opens=i.opens, closes=i.closes, overnight=i.overnight)
                      for weekday, i in checked]
    db.session.flush()
    return resource


def add_block(resource: Resource, starts_at: datetime, ends_at: datetime, *, reason: str | None,
              actor_id: int | None) -> Block:
    """Take ``resource`` out of service for a while (leave, a day off, a repair). Refused if
    a booking holds part of that time: move or cancel it first."""
    if ends_at <= starts_at:
        raise ValidationError.field("ends_at", _l("The end must be after the start."))
    if (ends_at - starts_at).days > MAX_BLOCK_DAYS:
        raise ValidationError.field("ends_at", _l("Block at most a year at a time."))
    block = Block(merchant_id=resource.merchant_id, resource_id=resource.id,
                  starts_at=starts_at, ends_at=ends_at, created_by_id=actor_id,
                  reason=optional_text(reason, "reason", max_length=200) or "")
    db.session.add(block)
    db.session.flush()
    from . import booking  # the occupancy rules are the bookings'

    booking.occupy(resource.merchant_id, [resource.id], starts_at, ends_at, block_id=block.id,
                   taken=TimeTaken(_l("A booking holds part of this time: move or cancel it "
                                      "first.")))
    return block


def remove_block(block: Block) -> None:
    db.session.execute(sa.delete(Occupancy).where(Occupancy.block_id == block.id))
    db.session.delete(block)
    db.session.flush()
