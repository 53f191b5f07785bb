"""Exactly once at the counter, under real concurrency, through the HTTP API.

Every request is a thread with its own test client (its own transaction) posting
``/api/v1/redemptions`` at the same moment. PostgreSQL proves the row lock with 100 scans of
one code; SQLite (BEGIN IMMEDIATE) with fewer.
"""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.redemption.models import RedeemableCode, RedemptionAttempt
from tests.support.apps import fresh_database_app
from tests.support.counter import ready_orders
from tests.support.stampede import all_at_once

POOL = {"pool_size": 40, "max_overflow": 0, "pool_pre_ping": True, "pool_timeout": 120}


def _redeem(app, shop, index: int, *, nonce: str) -> tuple[str, dict]:
    tokens = shop["tokens"]
    response = app.test_client().post("/api/v1/redemptions", json={
        "code": shop["payloads"][0], "store_id": shop["ids"]["store"], "nonce": nonce,
        "details": {"payment_taken": True}},
        headers={"Authorization": f"Bearer {tokens[index % len(tokens)]}",
                 "X-Scanner-Device": f"counter-{index % 4}"})
    body = response.get_json(silent=True) or {}
    return f"{response.status_code} {body.get('outcome')}", body


def _counts(app):
    with app.app_context():
        attempts = Counter(db.session.scalars(sa.select(RedemptionAttempt.outcome)))
        code = db.session.scalars(sa.select(RedeemableCode)).one()
        collected = db.session.scalar(sa.select(sa.func.count()).select_from(Order).where(
            Order.state == "collected"))
        db.session.remove()
        return attempts, code.state, collected


@pytest.mark.parametrize("kind, scans", [
    ("sqlite", 30),
    pytest.param("postgres", 100, marks=pytest.mark.postgres),
])
def test_one_code_scanned_at_once_everywhere_is_redeemed_exactly_once(tmp_path, kind, scans):
    with fresh_database_app(kind, tmp_path, "redeem", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        shop = ready_orders(app, members=5)
        answers = {}

        def scan(index: int) -> str:
            outcome, body = _redeem(app, shop, index, nonce=f"scan-{index:04d}")
            answers[index] = body
            return outcome

        outcomes = all_at_once(scans, scan)
        assert outcomes == Counter({"200 redeemed": 1,
                                    "409 already_redeemed": scans - 1}), outcomes
        already = next(a for a in answers.values() if a["outcome"] == "already_redeemed")
        assert shop["ids"]["store_name"] in already["message"]
        attempts, state, collected = _counts(app)
        assert attempts == Counter({"redeemed": 1, "already_redeemed": scans - 1})
        assert (state, collected) == ("redeemed", 1)


@pytest.mark.parametrize("kind, scans", [
    ("sqlite", 20),
    pytest.param("postgres", 50, marks=pytest.mark.postgres),
])
def test_one_scan_retried_at_once_gets_one_answer(tmp_path, kind, scans):
    with fresh_database_app(kind, tmp_path, "nonce", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        shop = ready_orders(app)
        bodies = []

        def retry(index: int) -> str:
            outcome, body = _redeem(app, shop, 0, nonce="the-same-scan")
            bodies.append(body)
            return outcome

        outcomes = all_at_once(scans, retry)
        assert outcomes == Counter({"200 redeemed": scans}), outcomes
        assert all(body == bodies[0] for body in bodies)  # the first answer, every time
        attempts, state, collected = _counts(app)
        assert attempts == Counter({"redeemed": 1}) and (state, collected) == ("redeemed", 1)
