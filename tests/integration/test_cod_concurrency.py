"""Reconciling one courier's cash under real concurrency: many members (or API calls) confirm
the same day's cash at once, and exactly one remittance is made, each order's payment is
captured once and booked once. Each attempt is a thread with its own app context, session
and transaction, released together; PostgreSQL proves the row locks with 40, SQLite (BEGIN
IMMEDIATE) with fewer."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.services import register_user
from marketplace.catalog.services import change_status, create_listing
from marketplace.delivery import cod
from marketplace.delivery import shipments as ship
from marketplace.delivery.cod_models import CodRemittance, CodRemittanceLine
from marketplace.delivery.models import Shipment
from marketplace.errors import MarketplaceError
from marketplace.extensions import db
from marketplace.merchants.models import Merchant
from marketplace.merchants.services import change_status as merchant_status
from marketplace.merchants.services import create_merchant
from marketplace.orders.audit import Actor
from marketplace.payments.models import Payment
from marketplace.plugins import services as plugin_services
from marketplace.plugins.states import PlatformStatus
from marketplace.settlement.models import LedgerEntry
from marketplace.stores.services import create_store, set_opening_hours
from tests.support.apps import fresh_database_app
from tests.support.doorstep import NAME, DoorstepPlugin
from tests.support.shopping import NOW, buy, stock
from tests.support.stampede import all_at_once

POOL = {"pool_size": 60, "max_overflow": 0, "pool_pre_ping": True, "pool_timeout": 120}
OPEN_ALL_WEEK = [{"weekday": d, "opens": "00:00", "closes": "00:00", "overnight": True}
                 for d in range(7)]
KINDS = [("sqlite", 12), pytest.param("postgres", 40, marks=pytest.mark.postgres)]
HOME = {"recipient_name": "Bình", "phone": "0901234567", "line": "12 Nguyễn Huệ",
        "district": "Quận 1", "city": "HCM", "latitude": 10.7741, "longitude": 106.7038}
PRICES = [123_457, 98_761, 55_553, 200_003, 31_337]


def _install_doorstep(app) -> None:
    """The test carrier on this app's platform, installed (its own app: no test fixture)."""
    platform = app.extensions["plugins"]
    plugin = DoorstepPlugin()
    platform.add(plugin)
    plugin.marketplace_register_carriers(
        register=lambda carrier: platform.carriers.register(carrier, plugin=NAME))
    if platform.status(NAME) != PlatformStatus.INSTALLED:
        plugin_services.change_platform_status(NAME, "install")


def _delivered_cash(app) -> dict:
    """Five cash-on-delivery orders delivered the same day by the same courier, committed."""
    with app.app_context():
        _install_doorstep(app)
        owner = register_user(email="owner@example.vn", password="x" * 12, full_name="Chủ")
        admin = register_user(email="admin@example.vn", password="x" * 12, full_name="QT")
        admin.is_platform_admin = True
        merchant = create_merchant(owner=owner, data={"name": "Chuỗi"}, commission_bp=500)
        merchant_status(merchant, "approve", actor=admin)
        plugin_services.set_enabled(merchant, NAME, True)
        plugin_services.set_enabled(merchant, "payment_cash_on_delivery", True)
        store = create_store(merchant, {
            "name": "Chi nhánh", "address_line": "1", "city": "HCM", "latitude": 10.7769,
            "longitude": 106.7009, "pickup_enabled": True, "pickup_lead_minutes": 0},
            default_timezone="Asia/Ho_Chi_Minh")
        set_opening_hours(store, OPEN_ALL_WEEK)
        listing = create_listing(merchant, {"title": "Giày", "variants": [
            {"sku": f"G{i}", "price": price} for i, price in enumerate(PRICES)]})
        change_status(listing, "publish")
        buyer = register_user(email="buyer@example.vn", password="x" * 12, full_name="Bình")
        totals, shipment_ids = [], []
        for i, variant in enumerate(listing.variants):
            stock(store, variant, 5)
            order = buy(buyer, [(variant, 1 + i % 2)], [{
                "merchant_id": merchant.id, "fulfilment": "delivery", "address": HOME,
                "carrier": "doorstep", "service": "standard",
                "payment_provider": "cash_on_delivery"}]).orders[0]
            parcel = db.session.scalars(sa.select(Shipment).where(
                Shipment.order_id == order.id)).one()
            at = NOW + timedelta(hours=1, minutes=i)
            for event in ("pick_up", "forward", "send_out"):
                ship.apply(parcel, event, source="staff", occurred_at=at, now=at)
            ship.apply(parcel, "deliver", source="staff", occurred_at=at, now=at,
                       cash_collected=order.total)
            totals.append(order.total)
            shipment_ids.append(parcel.id)
        db.session.commit()
        ids = {"merchant": merchant.id, "owner": owner.id, "shipments": shipment_ids,
               "expected": sum(totals)}
        db.session.remove()
    return ids


def _reconcile(app, ids: dict, *, with_ids: bool) -> str:
    with app.app_context():
        try:
            cod.reconcile(db.session.get(Merchant, ids["merchant"]), carrier="doorstep",
                          courier_user_id=None, day=date(2026, 12, 2),
                          counted=ids["expected"],
                          shipment_ids=ids["shipments"] if with_ids else None,
                          actor=Actor("staff", ids["owner"]))
            db.session.commit()
            return "reconciled"
        except MarketplaceError as refused:
            db.session.rollback()
            return f"{refused.status} {refused.code}"
        except Exception as exc:  # a deadlock or a unique violation fails the test
            db.session.rollback()
            return f"error: {type(exc).__name__}: {exc}"[:300]
        finally:
            db.session.remove()


def _facts(app, ids: dict) -> dict:
    with app.app_context():
        payments = db.session.scalars(sa.select(Payment).where(
            Payment.merchant_id == ids["merchant"])).all()
        facts = {
            "remittances": db.session.scalar(sa.select(sa.func.count())
                                             .select_from(CodRemittance)),
            "lines": db.session.scalar(sa.select(sa.func.count())
                                       .select_from(CodRemittanceLine)),
            "counted": db.session.scalar(sa.select(sa.func.sum(CodRemittance.counted))),
            "payments": Counter(p.state for p in payments),
            "captured": sum(p.captured_amount for p in payments),
            "bookings": db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)
                                          .where(LedgerEntry.kind == "capture")),
        }
        db.session.remove()
    return facts


@pytest.mark.parametrize("with_ids", [True, False], ids=["counted-ids", "group-as-it-is"])
@pytest.mark.parametrize(("kind", "n"), KINDS)
def test_many_reconciliations_of_one_courier_day_at_once_make_one_remittance(
        tmp_path, kind, n, with_ids):
    with fresh_database_app(kind, tmp_path, "cod", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        ids = _delivered_cash(app)
        outcomes = all_at_once(n, lambda _i: _reconcile(app, ids, with_ids=with_ids))
        assert outcomes["reconciled"] == 1, outcomes
        # Those who read the group before the winner committed find it reconciled (409);
        # those who read it after find nothing left (404). Nothing else happens.
        assert set(outcomes) <= {"reconciled", "409 cod_already_reconciled",
                                 "404 not_found"}, outcomes
        if with_ids:
            assert outcomes == Counter({"reconciled": 1, "409 cod_already_reconciled": n - 1})
        assert _facts(app, ids) == {
            "remittances": 1, "lines": len(PRICES), "counted": ids["expected"],
            "payments": Counter({"captured": len(PRICES)}), "captured": ids["expected"],
            "bookings": len(PRICES)}
