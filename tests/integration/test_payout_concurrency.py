"""Many admins making the same merchant's payout for the same period at the same moment: one
batch is made, every other attempt is a clean 422 (nothing left to pay), never a 5xx, and
every ledger row of the merchant is in exactly one live batch. PostgreSQL proves the merchant
lock with 32 threads; SQLite (BEGIN IMMEDIATE) with fewer. Without the lock the partial
unique index still keeps each row in one batch (19 of 32 claims refused in a trial run): the
service turns that into a 409 (test_payouts), and without that too they are 500s here."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from marketplace.accounts.services import register_user
from marketplace.catalog.services import change_status, create_listing
from marketplace.extensions import db
from marketplace.inventory.services import adjust_stock
from marketplace.merchants.services import change_status as merchant_status
from marketplace.merchants.services import create_merchant
from marketplace.plugins import services as plugin_services
from marketplace.settlement.models import LedgerEntry, Payout, PayoutEntry
from marketplace.stores.services import create_store, set_opening_hours
from tests.support.apps import fresh_database_app
from tests.support.payouts import backdate, card_sale, with_account
from tests.support.stampede import all_at_once

POOL = {"pool_size": 40, "max_overflow": 0, "pool_pre_ping": True, "pool_timeout": 120}
PASSWORD = "x" * 12
OPEN_ALL_WEEK = [{"weekday": d, "opens": "00:00", "closes": "00:00", "overnight": True}
                 for d in range(7)]


def _merchant_with_november_sales(app, sales: int) -> dict:
    with app.app_context():
        owner = register_user(email="owner@example.vn", password=PASSWORD, full_name="Chủ")
        admin = register_user(email="admin@example.vn", password=PASSWORD, full_name="QT")
        admin.is_platform_admin = True
        merchant = create_merchant(owner=owner, data={"name": "Giày"}, commission_bp=1000)
        merchant_status(merchant, "approve", actor=admin)
        plugin_services.set_enabled(merchant, "payment_pay_at_store", True)
        store = create_store(merchant, {
            "name": "Chi nhánh", "address_line": "1", "city": "HCM", "latitude": 10,
            "longitude": 106, "pickup_enabled": True, "pickup_lead_minutes": 0,
            "pickup_orders_per_slot": 50}, default_timezone="Asia/Ho_Chi_Minh")
        set_opening_hours(store, OPEN_ALL_WEEK)
        listing = create_listing(merchant, {"title": "Giày", "variants": [
            {"sku": "G", "price": 500000}]})
        change_status(listing, "publish")
        variant = listing.variants[0]
        adjust_stock(store=store, variant=variant, delta=100, reason="receipt", actor_id=None)
        buyer = register_user(email="buyer@example.vn", password=PASSWORD, full_name="Khách")
        for index in range(sales):
            card_sale(merchant, store, variant, buyer, quantity=1, index=index)
        backdate(merchant)
        with_account(merchant)
        db.session.commit()
        found = {"merchant": merchant.id, "admin": admin.email}
        db.session.remove()
        return found


def _race(app, ids: dict, admins: int) -> Counter:
    clients = []
    for _ in range(admins):
        client = app.test_client()
        assert client.post("/login", data={"email": ids["admin"], "password": PASSWORD}
                           ).status_code == 303
        clients.append(client)

    def work(index: int) -> str:
        response = clients[index].post("/admin/payouts", data={
            "merchant_id": ids["merchant"], "currency": "VND", "from": "",
            "to": "2026-11-30"})
        return "created" if response.status_code == 303 else str(response.status_code)

    return all_at_once(admins, work)


@pytest.mark.parametrize("kind, admins", [
    ("sqlite", 6),
    pytest.param("postgres", 32, marks=pytest.mark.postgres),
])
def test_one_payout_per_ledger_row_however_many_admins_click(tmp_path, kind, admins):
    with fresh_database_app(kind, tmp_path, "payouts", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        ids = _merchant_with_november_sales(app, sales=5)
        outcomes = _race(app, ids, admins)
        with app.app_context():
            made = db.session.scalars(sa.select(Payout)).all()
            rows = db.session.scalars(sa.select(LedgerEntry.id).where(
                LedgerEntry.merchant_id == ids["merchant"])).all()
            claims = Counter(db.session.scalars(sa.select(PayoutEntry.ledger_entry_id).where(
                PayoutEntry.live.is_(True))).all())
            amounts = [(p.amount, p.entry_count) for p in made]
            net = db.session.scalar(sa.select(sa.func.sum(LedgerEntry.net)))
            db.session.remove()
    assert not [o for o in outcomes if o.startswith("5")], outcomes
    # The merchant lock makes the others wait and find nothing left (without it the unique
    # index still refuses their claims, as 409s: test_payouts checks that on its own).
    assert outcomes == Counter({"created": 1, "422": admins - 1}), outcomes
    assert amounts == [(net, 5)]
    assert claims == Counter(dict.fromkeys(rows, 1))  # every row in exactly one live batch
