"""Factory fixtures of the test kit. They go through the services, so test data obeys the
same rules as real data. Part of ``marketplace.plugins.testing`` (plugins use them too)."""

from __future__ import annotations

import itertools

import pytest

from marketplace.accounts import services as accounts
from marketplace.catalog import services as catalog
from marketplace.merchants import services as merchants
from marketplace.merchants.models import Membership
from marketplace.stores import services as stores

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)

WEEKDAYS_8_TO_22 = [{"weekday": d, "opens": "08:00", "closes": "22:00"} for d in range(7)]


@pytest.fixture
def make_user(db):
    def factory(*, email=None, password=PASSWORD, full_name="Nguyễn Văn An", admin=False,
                locale=None):
        n = next(_seq)
        user = accounts.register_user(email=email or f"user{n}@example.vn", password=password,
                                      full_name=full_name, locale=locale)
        user.is_platform_admin = admin
        db.session.flush()
        return user

    return factory


@pytest.fixture
def admin_user(make_user):
    return make_user(admin=True, full_name="Quản trị viên")


@pytest.fixture
def make_merchant(db, make_user, admin_user):
    def factory(*, owner=None, name=None, approved=True, **data):
        n = next(_seq)
        owner = owner or make_user()
        merchant = merchants.create_merchant(
            owner=owner, data={"name": name or f"Cửa hàng {n}", "slug": f"merchant-{n}", **data},
            commission_bp=1000)
        if approved:
            merchants.change_status(merchant, "approve", actor=admin_user)
        return merchant

    return factory


@pytest.fixture
def owner_of(db):
    def lookup(merchant) -> Membership:
        return next(m for m in merchant.memberships if m.role == "owner")

    return lookup


@pytest.fixture
def make_member(db, make_user):
    """Add a user to a merchant's staff directly (invitations have their own tests)."""

    def factory(merchant, *, role="staff", stores_=(), user=None):
        user = user or make_user()
        membership = Membership(merchant_id=merchant.id, user_id=user.id, role=role,
                                all_stores=not stores_, stores=list(stores_))
        db.session.add(membership)
        db.session.flush()
        return membership

    return factory


@pytest.fixture
def make_store(db):
    def factory(merchant, **data):
        n = next(_seq)
        values = {"name": f"Chi nhánh {n}", "slug": f"store-{n}",
                  "address_line": f"{n} Lê Lợi", "district": "Quận 1",
                  "city": "Hồ Chí Minh", "latitude": 10.7769, "longitude": 106.7009,
                  "phone": "028 3822 1234"} | data
        hours = values.pop("hours", WEEKDAYS_8_TO_22)
        store = stores.create_store(merchant, values, default_timezone="Asia/Ho_Chi_Minh")
        stores.set_opening_hours(store, hours)
        return store

    return factory


@pytest.fixture
def make_listing(db):
    def factory(merchant, *, publish=True, variants=None, **data):
        n = next(_seq)
        kind = data.get("kind", "product")
        values = {"title": f"Áo thun {n}", "kind": kind, "description": "Vải cotton"} | data
        if kind == "product":
            values["variants"] = variants or [
                {"sku": f"SKU-{n}-M", "price": 150000, "options": {"size": "M"}},
                {"sku": f"SKU-{n}-L", "price": 170000, "options": {"size": "L"}},
            ]
        listing = catalog.create_listing(merchant, values)
        if publish:
            catalog.change_status(listing, "publish")
        return listing

    return factory


@pytest.fixture
def login(client):
    def do_login(user, password=PASSWORD, *, with_client=None):
        target = with_client or client
        response = target.post("/login", data={"email": user.email, "password": password})
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
        return target

    return do_login


@pytest.fixture
def api_token(db):
    """A personal access token's plaintext for a membership."""

    def factory(membership, name="test token"):
        _token, plaintext = accounts.create_token(user=membership.user,
                                                  merchant_id=membership.merchant_id, name=name)
        # Committed, as a token is before anyone can send it: a request that fails rolls
        # back its own work only, never the test's setup made so far.
        db.session.commit()
        return plaintext

    return factory
