"""Stock under real concurrency: many threads, each with its own session and transaction, on a
fresh database (PostgreSQL proves the row locks; SQLite proves BEGIN IMMEDIATE).

These tests cannot use the ``db`` fixture: its single rolled-back transaction would serialize
everything and hide lost updates. Each scenario starts its threads together on a barrier and
counts the outcomes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from marketplace.accounts.services import create_token, register_user
from marketplace.catalog.models import Variant
from marketplace.catalog.services import create_listing
from marketplace.errors import InsufficientStock
from marketplace.extensions import db
from marketplace.inventory.models import StockLevel, StockMovement
from marketplace.inventory.services import adjust_stock, transfer_stock
from marketplace.merchants.services import create_merchant
from marketplace.stores.models import Store
from marketplace.stores.services import create_store
from tests.support.apps import fresh_database_app
from tests.support.stampede import all_at_once

KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
POOL = {"pool_size": 60, "max_overflow": 0, "pool_pre_ping": True, "pool_timeout": 60}


@pytest.fixture(params=KINDS)
def shop(request, tmp_path):
    """A fresh database with one merchant, two stores and a product of two variants."""
    with fresh_database_app(request.param, tmp_path, "conc",
                            SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        with app.app_context():
            owner = register_user(email="owner@example.vn", password="x" * 12,
                                  full_name="Chủ")
            merchant = create_merchant(owner=owner, data={"name": "Chuỗi"}, commission_bp=0)
            stores = [create_store(merchant, {"name": f"Chi nhánh {n}", "address_line": "1",
                                              "city": "HCM", "latitude": 10, "longitude": 106},
                                   default_timezone="Asia/Ho_Chi_Minh") for n in (1, 2)]
            listing = create_listing(merchant, {"title": "Giày", "variants": [
                {"sku": "A", "price": 1}, {"sku": "B", "price": 1}]})
            _token, plaintext = create_token(user=owner, merchant_id=merchant.id, name="POS")
            db.session.commit()
            ids = {"a": stores[0].id, "b": stores[1].id, "token": plaintext,
                   "v": listing.variants[0].id, "w": listing.variants[1].id}
            db.session.remove()
        yield app, ids


def run_together(app, n: int, work: Callable[[int], str]) -> Counter:
    """Run ``work(i)`` in ``n`` threads started at once, each in its own app context (so its
    own session); ``work`` returns an outcome label. Unexpected exceptions are outcomes too."""

    def in_own_session(i: int) -> str:
        with app.app_context():
            try:
                outcome = work(i)
                db.session.commit()
            except InsufficientStock:
                db.session.rollback()
                outcome = "insufficient"
            except Exception as exc:  # anything else is a failure of the test
                db.session.rollback()
                outcome = f"error: {type(exc).__name__}: {exc}"
            finally:
                db.session.remove()
        return outcome

    # The barrier releases the threads before any touches the database (SQLite's write lock
    # is taken at BEGIN), so they really compete.
    return all_at_once(n, in_own_session, timeout=180)


def store(store_id: int) -> Store:
    return db.session.get(Store, store_id)


def variant(variant_id: int) -> Variant:
    return db.session.get(Variant, variant_id)


def adjust(store_id, variant_id, delta, reason="receipt"):
    adjust_stock(store=store(store_id), variant=variant(variant_id), delta=delta, reason=reason,
                 actor_id=None)
    return "ok"


def numbers(app, store_id, variant_id) -> tuple[int, list[StockMovement]]:
    with app.app_context():
        level = db.session.scalars(sa.select(StockLevel).where(
            StockLevel.store_id == store_id, StockLevel.variant_id == variant_id)).one()
        moves = list(db.session.scalars(sa.select(StockMovement).where(
            StockMovement.store_id == store_id, StockMovement.variant_id == variant_id)
            .order_by(StockMovement.id)))
        db.session.expunge_all()
        db.session.remove()
        return level.on_hand, moves


def test_fifty_concurrent_receipts_lose_no_update(shop):
    app, ids = shop
    adjust_in_context(app, ids["a"], ids["v"], 1)  # the level exists; now they all race on it
    outcomes = run_together(app, 50, lambda i: adjust(ids["a"], ids["v"], 1))
    assert outcomes == Counter({"ok": 50})
    on_hand, moves = numbers(app, ids["a"], ids["v"])
    assert on_hand == 51
    assert len(moves) == 51
    # each transaction saw the one before it: the numbers after are exactly 1..51
    assert sorted(m.on_hand_after for m in moves) == list(range(1, 52))


def test_a_hundred_removals_of_twenty_in_stock(shop):
    app, ids = shop
    adjust_in_context(app, ids["a"], ids["v"], 20)
    outcomes = run_together(app, 100, lambda i: adjust(ids["a"], ids["v"], -1, "damage"))
    assert outcomes == Counter({"ok": 20, "insufficient": 80})
    on_hand, moves = numbers(app, ids["a"], ids["v"])
    assert on_hand == 0
    assert len(moves) == 21
    assert min(m.on_hand_after for m in moves) == 0  # never negative, not even for a moment
    assert sum(m.on_hand_delta for m in moves) == 0


def test_opposite_transfers_do_not_deadlock_and_conserve_stock(shop):
    app, ids = shop
    adjust_in_context(app, ids["a"], ids["v"], 15)
    adjust_in_context(app, ids["b"], ids["v"], 15)

    def move(i: int) -> str:
        source, target = (ids["a"], ids["b"]) if i % 2 else (ids["b"], ids["a"])
        transfer_stock(source=store(source), target=store(target), variant=variant(ids["v"]),
                       quantity=1 + i % 3, actor_id=None)
        return "ok"

    outcomes = run_together(app, 60, move)
    assert set(outcomes) <= {"ok", "insufficient"}, outcomes
    assert outcomes["ok"] > 0
    a, a_moves = numbers(app, ids["a"], ids["v"])
    b, b_moves = numbers(app, ids["b"], ids["v"])
    assert a + b == 30 and a >= 0 and b >= 0
    assert sum(m.on_hand_delta for m in a_moves) == a
    assert sum(m.on_hand_delta for m in b_moves) == b
    legs = Counter(m.reference for m in a_moves + b_moves if m.reference)
    assert len(legs) == outcomes["ok"] and set(legs.values()) == {2}


def test_opposite_transfers_through_the_api_answer_201_or_409(shop):
    """The same race through HTTP: no deadlock or lock error ever surfaces as a 5xx."""
    app, ids = shop
    adjust_in_context(app, ids["a"], ids["v"], 10)
    adjust_in_context(app, ids["b"], ids["v"], 10)
    headers = {"Authorization": f"Bearer {ids['token']}"}

    def post(i: int) -> str:
        source, target = (ids["a"], ids["b"]) if i % 2 else (ids["b"], ids["a"])
        response = app.test_client().post("/api/v1/stock/transfers", headers=headers, json={
            "from_store_id": source, "to_store_id": target, "variant_id": ids["v"],
            "quantity": 3})
        return str(response.status_code)

    outcomes = run_together(app, 40, post)
    assert set(outcomes) <= {"201", "409"}, outcomes
    assert outcomes["201"] > 0
    a, _ = numbers(app, ids["a"], ids["v"])
    b, _ = numbers(app, ids["b"], ids["v"])
    assert a + b == 20 and min(a, b) >= 0


def test_concurrent_first_adjustments_create_one_level(shop):
    app, ids = shop
    outcomes = run_together(app, 12, lambda i: adjust(ids["b"], ids["w"], 2))
    assert outcomes == Counter({"ok": 12})
    on_hand, moves = numbers(app, ids["b"], ids["w"])
    assert on_hand == 24 and len(moves) == 12
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StockLevel).where(
            StockLevel.store_id == ids["b"], StockLevel.variant_id == ids["w"])) == 1
        db.session.remove()


def test_two_first_adjustments_exactly_at_once(shop):
    app, ids = shop
    outcomes = run_together(app, 2, lambda i: adjust(ids["a"], ids["w"], 5))
    assert outcomes == Counter({"ok": 2})
    assert numbers(app, ids["a"], ids["w"])[0] == 10


def adjust_in_context(app, store_id, variant_id, delta):
    with app.app_context():
        adjust(store_id, variant_id, delta)
        db.session.commit()
        db.session.remove()
