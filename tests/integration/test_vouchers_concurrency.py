"""The quota and the per-customer limit hold under real concurrency, through the HTTP API.

Every claim is a thread with its own test client (its own request and transaction) posting
``/api/v1/consumer/vouchers`` at the same moment. PostgreSQL proves the campaign's row lock
with 200 customers racing for 50 vouchers; SQLite (BEGIN IMMEDIATE) with fewer.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.services import create_token, register_user
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.merchants.services import change_status, create_merchant
from marketplace.orders.audit import Actor
from marketplace.redemption.models import RedeemableCode
from marketplace.vouchers import services
from marketplace.vouchers.models import Campaign, Voucher
from tests.support.apps import fresh_database_app
from tests.support.stampede import all_at_once

POOL = {"pool_size": 40, "max_overflow": 0, "pool_pre_ping": True, "pool_timeout": 120}


def _setup(app, *, customers: int, quota: int, per_customer: int = 1):
    with app.app_context():
        owner = register_user(email="owner@example.vn", password="x" * 12, full_name="Chủ")
        merchant = create_merchant(owner=owner, data={"name": "Chuỗi giày"}, commission_bp=0)
        admin = register_user(email="admin@example.vn", password="x" * 12, full_name="QT")
        admin.is_platform_admin = True
        change_status(merchant, "approve", actor=admin)
        now = utcnow()
        campaign = services.create_campaign(merchant, {
            "name": "50 phiếu giảm 30%", "discount_kind": "percent", "percent": 30,
            "starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=1),
            "quota": quota, "per_customer_limit": per_customer},
            actor=Actor.staff(owner))
        services.change_state(campaign, "activate", actor=Actor.staff(owner))
        tokens = []
        for n in range(customers):
            user = register_user(email=f"khach{n}@example.vn", password="x" * 12,
                                 full_name=f"Khách {n}")
            _token, plaintext = create_token(user=user, merchant_id=None, name="app")
            tokens.append(plaintext)
        db.session.commit()
        link = campaign.token
        db.session.remove()
    return link, tokens


def _claim(app, link: str, token: str) -> str:
    response = app.test_client().post("/api/v1/consumer/vouchers", json={"campaign": link},
                                      headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 201:
        return "201"
    body = response.get_json(silent=True) or {}
    return f"{response.status_code} {body.get('code')}"


def _stored(app) -> tuple[int, int, int, int]:
    """Vouchers, the campaign's count, voucher codes, distinct holders."""
    with app.app_context():
        vouchers = db.session.scalar(sa.select(sa.func.count()).select_from(Voucher))
        holders = db.session.scalar(sa.select(sa.func.count(sa.distinct(Voucher.customer_id))))
        count = db.session.scalars(sa.select(Campaign.claimed_count)).one()
        issued = db.session.scalar(sa.select(sa.func.count()).select_from(RedeemableCode)
                                   .where(RedeemableCode.kind == "voucher"))
        db.session.remove()
        return vouchers, count, issued, holders


@pytest.mark.parametrize("kind, customers, quota", [
    ("sqlite", 30, 10),
    pytest.param("postgres", 200, 50, marks=pytest.mark.postgres),
])
def test_many_customers_claim_at_once_and_the_quota_holds(tmp_path, kind, customers, quota):
    with fresh_database_app(kind, tmp_path, "claims", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        link, tokens = _setup(app, customers=customers, quota=quota)
        outcomes = all_at_once(customers, lambda i: _claim(app, link, tokens[i]))
        # Exactly the quota got one; everyone else a clean 409, and nobody a 5xx.
        assert outcomes == Counter({"201": quota,
                                    "409 quota_exhausted": customers - quota}), outcomes
        assert _stored(app) == (quota, quota, quota, quota)


@pytest.mark.parametrize("kind, attempts", [
    ("sqlite", 15),
    pytest.param("postgres", 60, marks=pytest.mark.postgres),
])
def test_one_customer_claiming_at_once_gets_no_more_than_the_limit(tmp_path, kind, attempts):
    with fresh_database_app(kind, tmp_path, "limit", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        link, [token] = _setup(app, customers=1, quota=1000, per_customer=3)
        outcomes = all_at_once(attempts, lambda _i: _claim(app, link, token))
        assert outcomes == Counter({"201": 3,
                                    "409 claim_limit_reached": attempts - 3}), outcomes
        assert _stored(app) == (3, 3, 3, 1)
