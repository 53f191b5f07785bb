"""No oversell and no overbooked slot, under real concurrency, through the HTTP API.

Every buyer is a thread with its own test client (so its own request, session and
transaction) posting ``/api/v1/consumer/checkout`` at the same moment. PostgreSQL proves the
row locks and conditional updates with 500 buyers; SQLite (BEGIN IMMEDIATE) with fewer.
"""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from marketplace.accounts.services import create_token, register_user
from marketplace.cart import services as carts
from marketplace.catalog.services import change_status, create_listing
from marketplace.extensions import db
from marketplace.inventory.models import StockLevel
from marketplace.inventory.services import adjust_stock
from marketplace.merchants.services import change_status as merchant_status
from marketplace.merchants.services import create_merchant
from marketplace.orders.models import Order
from marketplace.plugins import services as plugin_services
from marketplace.stores.services import create_store, set_opening_hours
from tests.support.apps import fresh_database_app
from tests.support.shopping import PAY_AT_STORE, slot_at
from tests.support.stampede import all_at_once

POOL = {"pool_size": 40, "max_overflow": 0, "pool_pre_ping": True, "pool_timeout": 120}
OPEN_ALL_WEEK = [{"weekday": d, "opens": "00:00", "closes": "00:00", "overnight": True}
                 for d in range(7)]


def _setup(app, *, buyers: int, stock: int, per_slot: int):
    with app.app_context():
        owner = register_user(email="owner@example.vn", password="x" * 12, full_name="Chủ")
        merchant = create_merchant(owner=owner, data={"name": "Chuỗi"}, commission_bp=0)
        admin = register_user(email="admin@example.vn", password="x" * 12, full_name="QT")
        admin.is_platform_admin = True
        merchant_status(merchant, "approve", actor=admin)
        plugin_services.set_enabled(merchant, PAY_AT_STORE, True)
        store = create_store(merchant, {
            "name": "Chi nhánh", "address_line": "1", "city": "HCM", "latitude": 10,
            "longitude": 106, "pickup_enabled": True, "pickup_lead_minutes": 0,
            "pickup_orders_per_slot": per_slot}, default_timezone="Asia/Ho_Chi_Minh")
        set_opening_hours(store, OPEN_ALL_WEEK)
        listing = create_listing(merchant, {"title": "Giày", "variants": [
            {"sku": "HOT", "price": 500000}]})
        change_status(listing, "publish")
        variant = listing.variants[0]
        adjust_stock(store=store, variant=variant, delta=stock, reason="receipt", actor_id=None)
        from datetime import timedelta

        from marketplace.database import utcnow

        slot = slot_at(store, now=utcnow() + timedelta(minutes=90))
        people = []
        for n in range(buyers):
            user = register_user(email=f"buyer{n}@example.vn", password="x" * 12,
                                 full_name=f"Khách {n}")
            _token, plaintext = create_token(user=user, merchant_id=None, name="app")
            cart = carts.cart_of_user(user, create=True)
            cart.lines.append(carts.CartLine(merchant_id=merchant.id, variant_id=variant.id,
                                             quantity=1))
            db.session.flush()
            people.append((plaintext, carts.version(cart)))
        db.session.commit()
        ids = {"merchant": merchant.id, "store": store.id, "variant": variant.id,
               "slot": slot.start.isoformat()}
        db.session.remove()
    return ids, people


def _stampede(app, ids, people) -> Counter:
    def buy(index: int) -> str:
        token, version = people[index]
        response = app.test_client().post("/api/v1/consumer/checkout", headers={
            "Authorization": f"Bearer {token}"}, json={"cart_version": version, "orders": [{
                "merchant_id": ids["merchant"], "fulfilment": "pickup",
                "store_id": ids["store"], "slot_start": ids["slot"],
                "payment_provider": "pay_at_store"}]})
        body = response.get_json(silent=True) or {}
        return "placed" if response.status_code == 201 else \
            f"{response.status_code} {body.get('code')}"

    return all_at_once(len(people), buy)


def _level(app, ids) -> tuple[int, int, int]:
    with app.app_context():
        level = db.session.scalars(sa.select(StockLevel).where(
            StockLevel.store_id == ids["store"], StockLevel.variant_id == ids["variant"])).one()
        orders = db.session.scalar(sa.select(sa.func.count()).select_from(Order))
        db.session.remove()
        return level.on_hand, level.reserved, orders


@pytest.mark.parametrize("kind, buyers, stock", [
    ("sqlite", 60, 10),
    pytest.param("postgres", 500, 50, marks=pytest.mark.postgres),
])
def test_many_buyers_few_in_stock_exactly_stock_orders(tmp_path, kind, buyers, stock):
    with fresh_database_app(kind, tmp_path, "oversell", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        ids, people = _setup(app, buyers=buyers, stock=stock, per_slot=10_000)
        outcomes = _stampede(app, ids, people)
        assert outcomes == Counter({"placed": stock,
                                    "409 insufficient_stock": buyers - stock}), outcomes
        on_hand, reserved, orders = _level(app, ids)
        assert (on_hand, reserved, orders) == (stock, stock, stock)


@pytest.mark.parametrize("kind, buyers", [
    ("sqlite", 30),
    pytest.param("postgres", 200, marks=pytest.mark.postgres),
])
def test_a_pickup_slot_never_takes_more_than_its_capacity(tmp_path, kind, buyers):
    with fresh_database_app(kind, tmp_path, "slots", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        ids, people = _setup(app, buyers=buyers, stock=buyers, per_slot=7)
        outcomes = _stampede(app, ids, people)
        assert outcomes == Counter({"placed": 7, "409 slot_full": buyers - 7}), outcomes
        _on_hand, reserved, orders = _level(app, ids)
        assert (reserved, orders) == (7, 7)
