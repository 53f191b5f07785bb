"""A bank transfer confirmed by many staff at once while the order clock expires the same
order: one outcome, whole. Either the order is confirmed once (one capture, one ledger row,
the stock still held) or it expired (payment cancelled, nothing booked, the stock released),
every other attempt a clean 422 or a no-op, never a 5xx. PostgreSQL proves the row locks with
40 threads; SQLite (BEGIN IMMEDIATE) with fewer."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from marketplace.accounts.services import create_token, register_user
from marketplace.cart import services as carts
from marketplace.catalog.services import change_status, create_listing
from marketplace.extensions import db
from marketplace.inventory.models import StockLevel
from marketplace.inventory.services import adjust_stock
from marketplace.jobs import order_clock
from marketplace.merchants.services import change_status as merchant_status
from marketplace.merchants.services import create_merchant
from marketplace.orders import checkout
from marketplace.orders.models import Order
from marketplace.plugins import services as plugin_services
from marketplace.settlement.models import LedgerEntry
from marketplace.stores.services import create_store, set_opening_hours
from tests.support.apps import fresh_database_app
from tests.support.shopping import slot_at
from tests.support.stampede import all_at_once

POOL = {"pool_size": 45, "max_overflow": 0, "pool_pre_ping": True, "pool_timeout": 120}
OPEN_ALL_WEEK = [{"weekday": d, "opens": "00:00", "closes": "00:00", "overnight": True}
                 for d in range(7)]


def _order_awaiting_transfer(app) -> dict:
    with app.app_context():
        owner = register_user(email="owner@example.vn", password="x" * 12, full_name="Chủ")
        admin = register_user(email="admin@example.vn", password="x" * 12, full_name="QT")
        admin.is_platform_admin = True
        merchant = create_merchant(owner=owner, data={"name": "Trà"}, commission_bp=1000)
        merchant_status(merchant, "approve", actor=admin)
        plugin_services.update_merchant_settings(merchant, "payment_vietqr", {
            "bank_bin": "970436", "account_number": "1023456789", "account_name": "TRA"})
        plugin_services.set_enabled(merchant, "payment_vietqr", True)
        store = create_store(merchant, {
            "name": "Chi nhánh", "address_line": "1", "city": "HCM", "latitude": 10,
            "longitude": 106, "pickup_enabled": True, "pickup_lead_minutes": 0},
            default_timezone="Asia/Ho_Chi_Minh")
        set_opening_hours(store, OPEN_ALL_WEEK)
        listing = create_listing(merchant, {"title": "Trà", "variants": [
            {"sku": "T", "price": 120000}]})
        change_status(listing, "publish")
        variant = listing.variants[0]
        adjust_stock(store=store, variant=variant, delta=5, reason="receipt", actor_id=None)
        buyer = register_user(email="buyer@example.vn", password="x" * 12, full_name="Khách")
        cart = carts.cart_of_user(buyer, create=True)
        carts.add_item(cart, variant.id, 2)
        order = checkout.place(cart, customer=buyer, cart_version=carts.version(cart),
                               raw_choices=[{
                                   "merchant_id": merchant.id, "fulfilment": "pickup",
                                   "store_id": store.id,
                                   # Placed on the real clock: a slot from now on.
                                   "slot_start": slot_at(store, now=datetime.now(UTC))
                                   .start.isoformat(),
                                   "payment_provider": "vietqr"}]).orders[0]
        _token, plaintext = create_token(user=owner, merchant_id=merchant.id, name="quầy")
        db.session.commit()
        found = {"order": order.id, "total": order.total, "deadline": order.expires_at,
                 "token": plaintext, "store": store.id, "variant": variant.id}
        db.session.remove()
        return found


def _race(app, ids: dict, *, confirmers: int, clocks: int) -> Counter:
    def work(index: int) -> str:
        if index < clocks:
            with app.app_context():
                done = order_clock.expire_due(now=ids["deadline"])
                db.session.remove()
            return "expired" if done["expired"] else "clock: nothing to do"
        response = app.test_client().post(
            f"/api/v1/orders/{ids['order']}/payment", json={"amount": ids["total"]},
            headers={"Authorization": f"Bearer {ids['token']}"})
        if response.status_code == 200:
            return "confirmed"
        return f"{response.status_code} {(response.get_json(silent=True) or {}).get('code')}"

    return all_at_once(confirmers + clocks, work)


@pytest.mark.parametrize("kind, confirmers, clocks", [
    ("sqlite", 8, 3),
    pytest.param("postgres", 32, 8, marks=pytest.mark.postgres),
])
def test_confirming_a_transfer_races_the_clock_and_one_outcome_wins(tmp_path, kind,
                                                                    confirmers, clocks):
    with fresh_database_app(kind, tmp_path, "transfer", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        ids = _order_awaiting_transfer(app)
        outcomes = _race(app, ids, confirmers=confirmers, clocks=clocks)
        assert not [o for o in outcomes if o.startswith("5")], outcomes
        with app.app_context():
            order = db.session.get(Order, ids["order"])
            booked = db.session.scalars(sa.select(LedgerEntry)).all()
            reserved = db.session.scalars(sa.select(StockLevel.reserved).where(
                StockLevel.store_id == ids["store"],
                StockLevel.variant_id == ids["variant"])).one()
            state, payment = order.state, order.payments[0].state
            db.session.remove()
    if outcomes["confirmed"]:
        assert outcomes == Counter({"confirmed": 1, "422 validation_failed": confirmers - 1,
                                    "clock: nothing to do": clocks}), outcomes
        assert (state, payment, reserved) == ("confirmed", "captured", 2)
        assert [(e.kind, e.gross) for e in booked] == [("capture", ids["total"])]
    else:
        assert outcomes == Counter({"expired": 1, "clock: nothing to do": clocks - 1,
                                    "422 validation_failed": confirmers}), outcomes
        assert (state, payment, reserved, booked) == ("expired", "cancelled", 0, [])
