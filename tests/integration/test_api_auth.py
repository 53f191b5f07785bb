"""API authentication: personal access tokens, 401 problems, throttled guessing, no CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts import services as accounts
from marketplace.accounts.models import PersonalAccessToken
from marketplace.database import utcnow
from marketplace.merchants.models import Membership

PUBLIC_ENDPOINTS = ("catalog.", "search.", "api-docs.", "api_docs.", "pickup_slots.")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def merchant_rules(app):
    """Every (url, method) of a token-authenticated API operation, ids filled with 1."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith(PUBLIC_ENDPOINTS):
            continue
        if rule.rule.startswith("/api/v1/consumer/"):
            continue  # consumer tokens: test_every_consumer_operation_needs_credentials
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", "1").replace(f"<{name}>", "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield url, method


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status
    assert problem["code"] == code
    return problem


@pytest.fixture
def owner_token(make_merchant, owner_of, api_token):
    return api_token(owner_of(make_merchant()))


def test_me_describes_the_token(client, make_merchant, owner_of, api_token):
    merchant = make_merchant(name="Giày Việt")
    membership = owner_of(merchant)
    response = client.get("/api/v1/me", headers=bearer(api_token(membership)))
    assert response.status_code == 200
    me = response.get_json()
    assert me["user"]["email"] == membership.user.email
    assert me["merchant"] == me["merchant"] | {"id": merchant.id, "slug": merchant.slug,
                                               "name": "Giày Việt", "status": "approved",
                                               "commission_bp": 1000}
    assert me["role"] == "owner"
    assert me["all_stores"] is True and me["store_ids"] is None
    assert "manage_staff" in me["permissions"]


def test_me_shows_store_limits(client, make_merchant, make_store, make_member, api_token):
    merchant = make_merchant()
    store = make_store(merchant)
    make_store(merchant)
    member = make_member(merchant, role="staff", stores_=[store])
    me = client.get("/api/v1/me", headers=bearer(api_token(member))).get_json()
    assert me["role"] == "staff"
    assert me["all_stores"] is False and me["store_ids"] == [store.id]
    assert "manage_listings" not in me["permissions"]


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "mkp_no_scheme"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer mkp_not-a-real-token"},
    {"Authorization": "Bearer inv_wrong-kind-of-secret"},
])
def test_missing_or_invalid_token_is_401(client, headers):
    response = client.get("/api/v1/me", headers=headers)
    problem = assert_problem(response, 401, "authentication_failed")
    assert problem["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401(client, db, make_merchant, owner_of):
    membership = owner_of(make_merchant())
    token, plaintext = accounts.create_token(user=membership.user,
                                             merchant_id=membership.merchant_id, name="ci")
    assert client.get("/api/v1/me", headers=bearer(plaintext)).status_code == 200
    accounts.revoke_token(token)
    db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=bearer(plaintext)), 401,
                   "authentication_failed")


def test_expired_token_is_401(client, db, make_merchant, owner_of):
    membership = owner_of(make_merchant())
    token, plaintext = accounts.create_token(user=membership.user,
                                             merchant_id=membership.merchant_id, name="ci",
                                             expires_in_days=1)
    assert client.get("/api/v1/me", headers=bearer(plaintext)).status_code == 200
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=bearer(plaintext)), 401,
                   "authentication_failed")


def test_token_of_a_removed_member_or_disabled_user_is_401(client, db, make_merchant,
                                                           make_member, api_token):
    merchant = make_merchant()
    removed, disabled = make_member(merchant), make_member(merchant)
    removed_token, disabled_token = api_token(removed), api_token(disabled)
    db.session.delete(removed)
    disabled.user.is_enabled = False
    db.session.commit()
    assert_problem(client.get("/api/v1/me", headers=bearer(removed_token)), 401,
                   "authentication_failed")
    assert_problem(client.get("/api/v1/me", headers=bearer(disabled_token)), 401,
                   "authentication_failed")


def test_use_is_recorded(client, db, make_merchant, owner_of, api_token):
    membership = owner_of(make_merchant())
    plaintext = api_token(membership)
    client.get("/api/v1/me", headers=bearer(plaintext))
    token = db.session.scalars(sa.select(PersonalAccessToken).where(
        PersonalAccessToken.user_id == membership.user_id)).one()
    assert token.last_used_at is not None


def test_every_merchant_operation_needs_a_token(app, client):
    operations = list(merchant_rules(app))
    assert len(operations) >= 30  # the walk really found the API
    for url, method in operations:
        response = client.open(url, method=method, json={})
        assert response.status_code == 401, (method, url, response.status_code)
        assert response.mimetype == "application/problem+json", (method, url)


def test_token_is_checked_before_the_body(client):
    """A stranger learns nothing about the expected input from validation errors."""
    response = client.post("/api/v1/stores", json={"latitude": "not a number"})
    assert_problem(response, 401, "authentication_failed")


@pytest.mark.parametrize("status", ["pending", "suspended"])
def test_pending_or_suspended_merchant_can_set_up(client, db, make_merchant, owner_of,
                                                  api_token, admin_user, status):
    from marketplace.merchants import services as merchants

    merchant = make_merchant(approved=(status == "suspended"))
    if status == "suspended":
        merchants.change_status(merchant, "suspend", actor=admin_user, reason="Kiểm tra")
    token = api_token(owner_of(merchant))
    assert client.get("/api/v1/me", headers=bearer(token)).get_json()["merchant"]["status"] \
        == status
    response = client.post("/api/v1/stores", headers=bearer(token), json={
        "name": "Chi nhánh Quận 3", "address_line": "12 Võ Văn Tần", "city": "Hồ Chí Minh",
        "latitude": 10.776, "longitude": 106.69})
    assert response.status_code == 201, response.get_json()


@pytest.fixture
def throttled_app(make_app):
    app = make_app(RATELIMIT_ENABLED=True, TOKEN_RATE_LIMIT="3 per minute")
    yield app
    # The limiter object is shared by every app of the process and the last init_app decides
    # whether it is on: build a default (unthrottled) app again so later tests are not limited.
    make_app()


def test_failed_authentications_are_throttled_per_address(throttled_app, db, make_merchant,
                                                          owner_of, api_token):
    token = api_token(owner_of(make_merchant()))
    client = throttled_app.test_client()
    guesser = {"REMOTE_ADDR": "203.0.113.7"}
    # Successful requests do not count towards the limit.
    for _ in range(5):
        assert client.get("/api/v1/me", headers=bearer(token),
                          environ_base=guesser).status_code == 200
    for guess in range(3):
        response = client.get("/api/v1/stores", headers=bearer(f"mkp_guess{guess}"),
                              environ_base=guesser)
        assert response.status_code == 401
    # The counter is shared by every token-authenticated endpoint.
    response = client.get("/api/v1/listings", headers=bearer("mkp_guess4"),
                          environ_base=guesser)
    problem = assert_problem(response, 429, "rate_limited")
    assert problem["title"]
    assert int(response.headers["Retry-After"]) > 0
    # Another address is not affected; the public catalog is not throttled.
    assert client.get("/api/v1/me", headers=bearer(token),
                      environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 200
    assert client.get("/api/v1/catalog/merchants", environ_base=guesser).status_code == 200


def test_api_needs_no_csrf_token(make_app, db, make_merchant, owner_of, api_token):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = api_token(owner_of(make_merchant()))
    response = client.post("/api/v1/stores", headers=bearer(token), json={
        "name": "Chi nhánh Thủ Đức", "address_line": "1 Võ Văn Ngân", "city": "Thủ Đức",
        "latitude": 10.85, "longitude": 106.77})
    assert response.status_code == 201, response.get_data(as_text=True)
    # The web forms are still protected in that app.
    assert client.post("/login", data={"email": "a@b.vn", "password": "x"}).status_code == 400


def test_membership_lookup_is_per_merchant(client, db, make_merchant, owner_of, api_token,
                                           make_member):
    """A token acts only for its own merchant, even if its user works for others too."""
    first = make_merchant()
    owner = owner_of(first)
    second = make_merchant(owner=owner.user)
    token = api_token(owner)
    me = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert me["merchant"]["id"] == first.id != second.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(
        Membership.user_id == owner.user_id)) == 2


def test_every_consumer_operation_needs_credentials(app, client):
    """401 before the body is read, except logging in, starting a guest cart and reading a
    bookable service's stores and free times."""
    open_ones = {("POST", "/api/v1/consumer/tokens"), ("POST", "/api/v1/consumer/carts"),
                 ("GET", "/api/v1/consumer/booking/services/<int:listing_id>/availability"),
                 ("GET", "/api/v1/consumer/booking/services/<int:listing_id>/stores")}
    seen = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/consumer/"):
            continue
        url = (rule.rule.replace("<int:line_id>", "1").replace("<number>", "DH2222222222")
               .replace("<int:checkout_id>", "1").replace("<reference>", "BK-22222222")
               .replace("<int:address_id>", "1"))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) in open_ones:
                continue
            seen += 1
            for headers in ({}, {"X-Cart-Token": "cart_forged"},
                            {"Authorization": "Bearer mkp_forged"}):
                response = client.open(url, method=method, json={"bad": True},
                                       headers=headers)
                assert response.status_code == 401, (method, url, headers)
    # 17 of the core (6 of delivery: delivery options, addresses listed, added, changed,
    # deleted, a parcel), 3 of the card plugin (payment_stripe), 7 of the appointments plugin
    # (booking_appointments: hold, list, one, confirm, pay, cancel, reschedule).
    assert seen == 27
