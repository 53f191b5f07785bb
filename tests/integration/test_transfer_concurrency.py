"""A bank transfer confirmed by many staff at once while the order clock expires the same
order: one outcome, whole. Either the order is confirmed once (one capture, one ledger row,
the stock still held) or it expired (payment cancelled, nothing booked, the stock released),
every other attempt a clean 422 or a no-op, never a 5xx. PostgreSQL proves the row locks with
40 threads; SQLite (BEGIN IMMEDIATE) with fewer."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.inventory.models import StockLevel
from marketplace.jobs import order_clock
from marketplace.orders.models import Order
from marketplace.settlement.models import LedgerEntry
from tests.support.apps import fresh_database_app
from tests.support.stampede import all_at_once
from tests.support.waiting_order import order_waiting_for_payment

POOL = {"pool_size": 45, "max_overflow": 0, "pool_pre_ping": True, "pool_timeout": 120}


def _order_awaiting_transfer(app) -> dict:
    return order_waiting_for_payment(app, plugin="payment_vietqr", provider="vietqr",
                                     price=120000, plugin_settings={
                                         "bank_bin": "970436", "account_number": "1023456789",
                                         "account_name": "TRA"})


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
