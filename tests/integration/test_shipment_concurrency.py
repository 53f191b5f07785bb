"""Carrier news under real concurrency: a webhook delivered many times at once is applied
once, and many "returned" updates at once put the stock back once. Each update is a thread
with its own app context, session and transaction, released together; PostgreSQL proves the
row locks with 50, SQLite (BEGIN IMMEDIATE) with fewer."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.services import register_user
from marketplace.catalog.services import change_status, create_listing
from marketplace.delivery import shipments as ship
from marketplace.delivery.models import Shipment, ShipmentEventRecord
from marketplace.errors import MarketplaceError
from marketplace.extensions import db
from marketplace.inventory.models import StockLevel, StockMovement
from marketplace.merchants.services import change_status as merchant_status
from marketplace.merchants.services import create_merchant
from marketplace.plugins import DeliveryQuote, TrackingUpdate
from marketplace.plugins import services as plugin_services
from marketplace.stores.services import create_store, set_opening_hours
from tests.support.apps import fresh_database_app
from tests.support.shopping import NOW, PAY_AT_STORE, buy, pickup_choice, slot_at, stock
from tests.support.stampede import all_at_once

POOL = {"pool_size": 60, "max_overflow": 0, "pool_pre_ping": True, "pool_timeout": 120}
OPEN_ALL_WEEK = [{"weekday": d, "opens": "00:00", "closes": "00:00", "overnight": True}
                 for d in range(7)]
KINDS = [("sqlite", 15), pytest.param("postgres", 50, marks=pytest.mark.postgres)]
ADDRESS = {"recipient_name": "Bình", "phone": "0901234567", "line": "12 Nguyễn Huệ",
           "district": "Quận 1", "city": "HCM", "latitude": 10.77, "longitude": 106.70}


def _parcel(app, *, walk_to: list[str]) -> dict:
    """A committed shipment of 3 items (10 on hand at the store), moved by ``walk_to``."""
    with app.app_context():
        owner = register_user(email="owner@example.vn", password="x" * 12, full_name="Chủ")
        admin = register_user(email="admin@example.vn", password="x" * 12, full_name="QT")
        admin.is_platform_admin = True
        merchant = create_merchant(owner=owner, data={"name": "Chuỗi"}, commission_bp=0)
        merchant_status(merchant, "approve", actor=admin)
        plugin_services.set_enabled(merchant, PAY_AT_STORE, True)
        store = create_store(merchant, {
            "name": "Chi nhánh", "address_line": "1", "city": "HCM", "latitude": 10.78,
            "longitude": 106.70, "pickup_enabled": True, "pickup_lead_minutes": 0},
            default_timezone="Asia/Ho_Chi_Minh")
        set_opening_hours(store, OPEN_ALL_WEEK)
        listing = create_listing(merchant, {"title": "Giày", "variants": [
            {"sku": "G", "price": 500000}]})
        change_status(listing, "publish")
        variant = listing.variants[0]
        stock(store, variant, 10)
        buyer = register_user(email="buyer@example.vn", password="x" * 12, full_name="Bình")
        order = buy(buyer, [(variant, 3)], [pickup_choice(merchant, store, slot_at(store))])\
            .orders[0]
        quote = DeliveryQuote(carrier="walker", service="std", label="Standard", fee=20000,
                              currency="VND", window_start=NOW,
                              window_end=NOW + timedelta(hours=3), cash_on_delivery=False)
        shipment = ship.create_shipment(order, quote, address=ADDRESS, now=NOW)
        for event in walk_to:
            ship.apply(shipment, event, source="staff")
        db.session.commit()
        ids = {"shipment": shipment.id, "store": store.id, "variant": variant.id,
               "reference": shipment.reference}
        db.session.remove()
    return ids


def _report(app, ids: dict, update: TrackingUpdate) -> str:
    with app.app_context():
        try:
            outcome = ship.report(db.session.get(Shipment, ids["shipment"]), update)
            db.session.commit()
            return outcome.result
        except MarketplaceError as refused:
            db.session.rollback()
            return f"{refused.status} {refused.code}"
        except Exception as exc:  # a deadlock or a unique violation fails the test
            db.session.rollback()
            return f"error: {type(exc).__name__}"
        finally:
            db.session.remove()


def _facts(app, ids: dict) -> dict:
    with app.app_context():
        shipment = db.session.get(Shipment, ids["shipment"])
        level = db.session.scalars(sa.select(StockLevel).where(
            StockLevel.store_id == ids["store"], StockLevel.variant_id == ids["variant"])).one()
        moves = Counter(db.session.scalars(sa.select(StockMovement.reason).where(
            StockMovement.reference == ids["reference"])))
        carrier_rows = db.session.scalars(sa.select(ShipmentEventRecord).where(
            ShipmentEventRecord.shipment_id == ids["shipment"],
            ShipmentEventRecord.source == "carrier")).all()
        facts = {"state": shipment.state, "on_hand": level.on_hand, "reserved": level.reserved,
                 "moves": dict(moves), "carrier_rows": len(carrier_rows),
                 "changes": sum(not row.ignored for row in carrier_rows)}
        db.session.remove()
    return facts


@pytest.mark.parametrize(("kind", "n"), KINDS)
def test_one_webhook_delivered_many_times_at_once_is_applied_once(tmp_path, kind, n):
    with fresh_database_app(kind, tmp_path, "ship-dup", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        ids = _parcel(app, walk_to=[])
        same = TrackingUpdate(event_id="evt-1", status="picked_up",
                              occurred_at=NOW + timedelta(minutes=5))
        outcomes = all_at_once(n, lambda _i: _report(app, ids, same))
        assert outcomes == Counter({"applied": 1, "duplicate": n - 1}), outcomes
        assert _facts(app, ids) == {"state": "picked_up", "on_hand": 7, "reserved": 0,
                                    "moves": {"sale": 1}, "carrier_rows": 1, "changes": 1}


@pytest.mark.parametrize(("kind", "n"), KINDS)
def test_many_returned_updates_at_once_put_the_stock_back_once(tmp_path, kind, n):
    with fresh_database_app(kind, tmp_path, "ship-ret", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        ids = _parcel(app, walk_to=["pick_up", "forward", "send_out", "fail_attempt"])
        assert _facts(app, ids)["state"] == "returning"  # one attempt allowed, used up

        def returned(i: int) -> str:
            return _report(app, ids, TrackingUpdate(
                event_id=f"ret-{i}", status="returned_to_store",
                occurred_at=NOW + timedelta(minutes=10 + i)))

        outcomes = all_at_once(n, returned)
        assert outcomes == Counter({"applied": 1, "ignored": n - 1}), outcomes
        assert _facts(app, ids) == {"state": "returned_to_store", "on_hand": 10, "reserved": 0,
                                    "moves": {"sale": 1, "return": 1}, "carrier_rows": n,
                                    "changes": 1}
