"""No double booking under real concurrency: every request is a thread with its own app
context and transaction, released together. PostgreSQL proves the exclusion constraint with
200 customers racing for one slot; SQLite (BEGIN IMMEDIATE) with fewer."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from marketplace.accounts.services import register_user
from marketplace.catalog.services import change_status, create_listing
from marketplace.errors import MarketplaceError
from marketplace.extensions import db
from marketplace.merchants.services import change_status as merchant_status
from marketplace.merchants.services import create_merchant
from marketplace.plugins import services as plugin_services
from marketplace.stores.services import create_store, set_opening_hours
from tests.support.apps import fresh_database_app
from tests.support.salon import NINE_TO_SIX, NOW, PLUGIN, at, booking_module
from tests.support.stampede import all_at_once

POOL = {"pool_size": 40, "max_overflow": 0, "pool_pre_ping": True, "pool_timeout": 120}


def _spa(app, *, customers: int, therapists: int, rooms: int) -> dict:
    setup = booking_module("setup")
    with app.app_context():
        owner = register_user(email="owner@spa.example.vn", password="x" * 12,
                              full_name="Chủ spa")
        admin = register_user(email="admin@spa.example.vn", password="x" * 12,
                              full_name="QT")
        admin.is_platform_admin = True
        merchant = create_merchant(owner=owner, data={"name": "Spa Sen"}, commission_bp=0)
        merchant_status(merchant, "approve", actor=admin)
        plugin_services.set_enabled(merchant, PLUGIN, True)
        store = create_store(merchant, {
            "name": "Spa Sen Quận 1", "address_line": "1 Lê Lợi", "city": "HCM",
            "latitude": 10.77, "longitude": 106.70}, default_timezone="Asia/Ho_Chi_Minh")
        set_opening_hours(store, NINE_TO_SIX)
        listing = create_listing(merchant, {"title": "Massage", "kind": "service",
                                            "duration_minutes": 60, "price": 300000})
        change_status(listing, "publish")
        service = setup.configure_service(listing, {
            "needs_staff": True, "needs_resource": True, "buffer_after_minutes": 15,
            "store_ids": [store.id]})
        for n in range(therapists):
            setup.create_resource(merchant.id, {"store_id": store.id, "kind": "staff",
                                                "name": f"KTV {n}", "service_ids": [service.id]})
        for n in range(rooms):
            setup.create_resource(merchant.id, {"store_id": store.id, "kind": "room",
                                                "name": f"Phòng {n}", "service_ids": [service.id]})
        users = [register_user(email=f"khach{n}@example.vn", password="x" * 12,
                               full_name=f"Khách {n}").id for n in range(customers)]
        db.session.commit()
        ids = {"service": service.id, "store": store.id, "users": users}
        db.session.remove()
    return ids


def _hold(app, ids: dict, index: int) -> str:
    from marketplace.accounts.models import User
    from marketplace.stores.models import Store

    bookings, models = booking_module("booking"), booking_module("models")
    with app.app_context():
        try:
            bookings.hold(db.session.get(models.ServiceSetup, ids["service"]),
                          db.session.get(Store, ids["store"]), at(10),
                          customer=db.session.get(User, ids["users"][index]), now=NOW)
            db.session.commit()
            return "held"
        except MarketplaceError as refused:
            db.session.rollback()
            return f"{refused.status} {refused.code}"
        finally:
            db.session.remove()


# A loser learns it either from the calendar (the winner had committed: nobody free) or from
# the insert (the winner committed while it was inserting): both are "taken", 409.
TAKEN = {"409 slot_taken", "409 no_staff_free", "409 no_resource_free"}


def _taken(outcomes: Counter) -> Counter:
    return Counter("409" if o in TAKEN else o for o in outcomes.elements())


def _overlaps(app) -> int:
    """Pairs of occupancies of one resource that share time: must be none."""
    occupancy = booking_module("models").Occupancy
    other = sa.orm.aliased(occupancy)
    with app.app_context():
        found = db.session.scalar(sa.select(sa.func.count()).select_from(occupancy).join(
            other, sa.and_(other.resource_id == occupancy.resource_id,
                           other.id < occupancy.id, other.starts_at < occupancy.ends_at,
                           other.ends_at > occupancy.starts_at)))
        held = db.session.scalar(sa.select(sa.func.count()).select_from(
            booking_module("models").Booking))
        db.session.remove()
    return found, held


@pytest.mark.parametrize("kind, customers", [
    ("sqlite", 30),
    pytest.param("postgres", 200, marks=pytest.mark.postgres),
])
def test_many_customers_race_for_the_last_slot_and_one_gets_it(tmp_path, kind, customers):
    with fresh_database_app(kind, tmp_path, "last-slot", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        ids = _spa(app, customers=customers, therapists=1, rooms=1)
        outcomes = _taken(all_at_once(customers, lambda i: _hold(app, ids, i)))
        assert outcomes == Counter({"held": 1, "409": customers - 1}), outcomes
        assert _overlaps(app) == (0, 1)


@pytest.mark.parametrize("kind, customers", [
    ("sqlite", 30),
    pytest.param("postgres", 200, marks=pytest.mark.postgres),
])
def test_anyone_available_fills_every_free_pair_and_no_more(tmp_path, kind, customers):
    # Three therapists but two rooms: two bookings at 10:00, whoever loses a race for a
    # person or a room tries the next free one.
    with fresh_database_app(kind, tmp_path, "pairs", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        ids = _spa(app, customers=customers, therapists=3, rooms=2)
        outcomes = _taken(all_at_once(customers, lambda i: _hold(app, ids, i)))
        assert outcomes == Counter({"held": 2, "409": customers - 2}), outcomes
        assert _overlaps(app) == (0, 2)


# --- group sessions ---------------------------------------------------------------------------

SEATS = 12


def _studio(app, *, customers: int) -> dict:
    """The spa's yoga class: 12 places, parties of up to 3, one teacher, a studio for 12."""
    setup = booking_module("setup")
    ids = _spa(app, customers=customers, therapists=1, rooms=1)
    with app.app_context():
        from marketplace.stores.models import Store

        models = booking_module("models")
        store = db.session.get(Store, ids["store"])
        listing = create_listing(store.merchant, {"title": "Yoga", "kind": "service",
                                                  "duration_minutes": 60, "price": 150000})
        change_status(listing, "publish")
        yoga = setup.configure_service(listing, {
            "needs_staff": True, "needs_resource": True, "buffer_after_minutes": 15,
            "seats": SEATS, "party_max": 3, "store_ids": [store.id]})
        for resource in db.session.scalars(sa.select(models.Resource)):
            setup.update_resource(resource, {"service_ids": [yoga.id], "capacity": SEATS}
                                  if not resource.is_staff else {"service_ids": [yoga.id]})
        db.session.commit()
        ids["service"] = yoga.id
        db.session.remove()
    return ids


def _hold_places(app, ids: dict, index: int, party: int) -> str:
    from marketplace.accounts.models import User
    from marketplace.stores.models import Store

    bookings, models = booking_module("booking"), booking_module("models")
    with app.app_context():
        try:
            bookings.hold(db.session.get(models.ServiceSetup, ids["service"]),
                          db.session.get(Store, ids["store"]), at(16),
                          customer=db.session.get(User, ids["users"][index]), party=party,
                          now=NOW)
            db.session.commit()
            return f"held {party}"
        except MarketplaceError as refused:
            db.session.rollback()
            return f"{refused.status} {refused.code}"
        finally:
            db.session.remove()


def _session_rows(app) -> list[tuple[int, int]]:
    """(seats_taken, the parties of its held bookings) of every session."""
    models = booking_module("models")
    with app.app_context():
        rows = [(s.seats_taken, db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(models.Booking.party_size), 0))
            .where(models.Booking.session_id == s.id, models.Booking.state == "held")))
            for s in db.session.scalars(sa.select(models.Session))]
        db.session.remove()
    return rows


@pytest.mark.parametrize("kind, customers", [
    ("sqlite", 30),
    pytest.param("postgres", 200, marks=pytest.mark.postgres),
])
def test_many_customers_open_one_class_together_and_exactly_its_places_are_taken(
        tmp_path, kind, customers):
    # Nobody has booked the 16:00 class yet: they all try to open it at once. One session
    # is opened, the others join it, and 12 get a place.
    with fresh_database_app(kind, tmp_path, "class", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        ids = _studio(app, customers=customers)
        outcomes = all_at_once(customers, lambda i: _hold_places(app, ids, i, 1))
        assert outcomes == Counter({"held 1": SEATS, "409 session_full": customers - SEATS}), \
            outcomes
        assert _session_rows(app) == [(SEATS, SEATS)]
        assert _overlaps(app) == (0, SEATS)


@pytest.mark.parametrize("kind, customers", [
    ("sqlite", 30),
    pytest.param("postgres", 200, marks=pytest.mark.postgres),
])
def test_parties_of_one_to_three_never_take_more_than_the_places(tmp_path, kind, customers):
    with fresh_database_app(kind, tmp_path, "parties", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        ids = _studio(app, customers=customers)
        outcomes = all_at_once(customers, lambda i: _hold_places(app, ids, i, 1 + i % 3))
        held = sum(int(o.split()[1]) * n for o, n in outcomes.items() if o.startswith("held"))
        # Every customer is answered: a place, or "full" (409), never an error.
        assert sum(outcomes.values()) == customers, outcomes
        assert set(outcomes) <= {"held 1", "held 2", "held 3", "409 session_full"}, outcomes
        [(taken, parties)] = _session_rows(app)
        assert taken == parties == held <= SEATS, outcomes
