"""The demo marketplace's spa takes bookings (``marketplace_demo_data``).

Lụa Spa & Salon sells services "to book online"; here they become bookable, through the
plugin's own setup services as a merchant would do it on the dashboard: every published
service is set up at the three stores, each store gets its staff (weekly shifts inside the
spa's opening hours) and its rooms. Idempotent like the core's loader — a service already
set up, a staff member or room already there (by store and name) is left exactly as it is,
since the merchant may have changed it — and deterministic: no randomness, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time

import sqlalchemy as sa

from marketplace.catalog.models import Listing
from marketplace.catalog.states import ListingKind, ListingStatus
from marketplace.database import scoped
from marketplace.extensions import db
from marketplace.merchants.models import Merchant
from marketplace.plugins import services as plugin_services
from marketplace.stores.models import Store

from . import setup
from .models import Resource, ServiceSetup
from .pages import NAME

SHOP = "lua-spa"

# What each service is, by the demo catalogue's tags, first match wins: a hair wash with a
# neck massage is done at the wash basin, so it is the salon's, not a room's.
HAIR, NAILS_LASHES, FACIAL, TREATMENT = "hair", "nails_lashes", "facial", "treatment"
SKILL_TAGS = (
    (HAIR, {"tóc", "gội đầu"}),
    (NAILS_LASHES, {"móng", "mi"}),
    (FACIAL, {"chăm sóc da"}),
    (TREATMENT, {"massage", "body", "thảo dược", "triệt lông", "mẹ bầu", "cặp đôi"}),
)
# A service the tags do not place is a treatment: the therapists in a room can do anything.
DEFAULT_SKILL = TREATMENT
COUPLE_TAG = "cặp đôi"
COUPLE_DEPOSIT = 300_000  # đồng, paid online; the rest at the spa

# Rules every demo service shares (docs/booking.md): starts every half hour, from an hour
# ahead, a month out; free cancellation and moves until a day before.
COMMON_RULES = {"needs_staff": True, "step_minutes": 30, "lead_minutes": 60,
                "horizon_days": 30, "cancel_cutoff_hours": 24, "reschedule_cutoff_hours": 24,
                "payment": setup.AT_STORE}


@dataclass(frozen=True)
class StaffSpec:
    name: str
    skills: frozenset[str]
    starts: time
    ends: time | None  # None: until the store closes


def _staff(name: str, skills: set[str], starts: str, ends: str | None = None) -> StaffSpec:
    return StaffSpec(name, frozenset(skills), time.fromisoformat(starts),
                     time.fromisoformat(ends) if ends else None)


THERAPIST = {TREATMENT, FACIAL}
# Per store: who works there and when. Shifts differ, so the free times differ by person;
# every kind of service has someone on every open day.
STAFF = {
    "le-van-sy": [
        _staff("Nguyễn Thị Hoa", THERAPIST, "09:00", "17:00"),
        _staff("Trần Thị Mai", THERAPIST, "12:00"),
        _staff("Lê Minh Tuấn", {HAIR}, "10:00", "19:00"),
        _staff("Phạm Ngọc Trâm", {NAILS_LASHES}, "13:00"),
    ],
    "nguyen-gia-tri": [
        _staff("Võ Thị Thu", THERAPIST, "09:00", "17:00"),
        _staff("Đỗ Thanh Hương", THERAPIST, "13:00"),
        _staff("Huỳnh Gia Bảo", {HAIR}, "09:00", "18:00"),
        _staff("Bùi Khánh Linh", {NAILS_LASHES, FACIAL}, "11:00"),
    ],
    "to-ngoc-van": [
        _staff("Đặng Thị Ngân", THERAPIST, "09:00"),
        _staff("Hoàng Văn Nam", {HAIR}, "09:00", "17:00"),
        _staff("Vũ Phương Thảo", {NAILS_LASHES, FACIAL}, "12:00"),
    ],
}
# (name, capacity) of each store's rooms; the couple package needs the room for two.
ROOMS = (("Phòng đơn 1", 1), ("Phòng đơn 2", 1), ("Phòng đôi", 2))


def add_demo_data(shops: Mapping[str, Merchant]) -> None:
    """Make the demo spa bookable; nothing to do without it."""
    merchant = shops.get(SHOP)
    if merchant is None:
        return
    stores = list(db.session.scalars(scoped(Store, merchant.id).where(
        Store.slug.in_(STAFF)).order_by(Store.id)))
    first_time = db.session.scalar(
        sa.select(ServiceSetup.id).where(ServiceSetup.merchant_id == merchant.id)) is None
    if first_time:  # later runs leave the switch alone: the merchant may have turned it off
        plugin_services.set_enabled(merchant, NAME, True)
    by_skill = _services(merchant.id, [s.id for s in stores])
    rooms_serve = [s.id for s in by_skill[TREATMENT]]
    existing = {(r.store_id, r.name) for r in db.session.scalars(scoped(Resource, merchant.id))}
    for store in stores:
        for person in STAFF[store.slug]:
            if (store.id, person.name) in existing:
                continue
            resource = setup.create_resource(merchant.id, {
                "store_id": store.id, "kind": "staff", "name": person.name,
                "service_ids": [s.id for skill in sorted(person.skills)
                                for s in by_skill[skill]]})
            setup.set_working_hours(resource, shift_hours(store, person))
        for name, capacity in ROOMS:
            if (store.id, name) not in existing:
                setup.create_resource(merchant.id, {
                    "store_id": store.id, "kind": "room", "name": name, "capacity": capacity,
                    "service_ids": rooms_serve})


def skill_of(listing: Listing) -> str:
    tags = set(listing.tags)
    return next((skill for skill, wanted in SKILL_TAGS if tags & wanted), DEFAULT_SKILL)


def booking_rules(listing: Listing, store_ids: list[int]) -> dict:
    """How a demo service is booked: a treatment takes a therapist and a room (and time to
    tidy the room after a massage); the salon's services take a person only."""
    tags = set(listing.tags)
    in_room = skill_of(listing) == TREATMENT
    rules = {**COMMON_RULES, "needs_resource": in_room, "store_ids": store_ids,
             "buffer_after_minutes": 0}
    if in_room:
        rules["buffer_after_minutes"] = 15 if tags & {"massage", COUPLE_TAG} else 10
    if COUPLE_TAG in tags:
        rules |= {"party_min": 2, "party_max": 2, "payment": setup.DEPOSIT,
                  "deposit_amount": COUPLE_DEPOSIT}
    return rules


def _services(merchant_id: int, store_ids: list[int]) -> dict[str, list[ServiceSetup]]:
    """Every published service with a duration, set up if it was not: by skill."""
    listings = db.session.scalars(scoped(Listing, merchant_id).where(
        Listing.kind == ListingKind.SERVICE, Listing.status == ListingStatus.PUBLISHED,
        Listing.duration_minutes.is_not(None)).order_by(Listing.id))
    by_skill: dict[str, list[ServiceSetup]] = {skill: [] for skill, _tags in SKILL_TAGS}
    for listing in listings:
        found = setup.setup_of(listing) or setup.configure_service(
            listing, booking_rules(listing, store_ids))
        by_skill[skill_of(listing)].append(found)
    return by_skill


def shift_hours(store: Store, person: StaffSpec) -> list[dict]:
    """A person's weekly hours: their shift, cut to each of the store's openings, so nobody
    works while the store is closed (nor on its closed day)."""
    rows = []
    for opening in store.hours:
        if opening.overnight:  # not the spa's; a shift there would need its own rule
            continue
        starts = max(opening.opens, person.starts)
        ends = min(opening.closes, person.ends or opening.closes)
        if starts < ends:
            rows.append({"weekday": opening.weekday, "opens": starts.strftime("%H:%M"),
                         "closes": ends.strftime("%H:%M")})
    return rows
