"""Cross-cutting security guarantees: CSRF, rate limits, cookies, headers, redirects, sessions,
secrets on disk and in logs."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat

import pytest

from marketplace.accounts.services import create_token, register_user
from marketplace.config import from_environment, instance_secret_key
from marketplace.extensions import db as _db
from marketplace.merchants.services import create_merchant
from tests.factories import PASSWORD
from tests.support.apps import fresh_app, fresh_sqlite_url

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def isolated(tmp_path, restore_limiter):
    """Build an app with its own fresh SQLite database and settings, plus one committed user."""
    with contextlib.ExitStack() as stack:

        def build(**overrides):
            app = stack.enter_context(
                fresh_app(fresh_sqlite_url(tmp_path, "sec"), tmp_path, **overrides))
            with app.app_context():
                register_user(email="sec@example.vn", password=PASSWORD, full_name="Bảo Mật")
                _db.session.commit()
                _db.session.remove()
            return app

        yield build


def login_form(client, email="sec@example.vn", password=PASSWORD, **extra):
    return {"email": email, "password": password, **extra}


# --- CSRF --------------------------------------------------------------------------------------

def test_csrf_is_enforced_on_forms_when_enabled(isolated):
    app = isolated(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    refused = client.post("/login", data=login_form(client))
    assert refused.status_code == 400
    forged = client.post("/login", data=login_form(client, csrf_token="forged"))
    assert forged.status_code == 400
    page = client.get("/login")
    token = CSRF_INPUT.search(page.get_data(as_text=True)).group(1)
    accepted = client.post("/login", data=login_form(client, csrf_token=token))
    assert accepted.status_code == 303
    assert client.get("/account").status_code == 200


def test_a_csrf_token_of_another_session_is_refused(isolated):
    app = isolated(WTF_CSRF_ENABLED=True)
    attacker, victim = app.test_client(), app.test_client()
    token = CSRF_INPUT.search(attacker.get("/login").get_data(as_text=True)).group(1)
    victim.get("/login")
    assert victim.post("/login", data=login_form(victim, csrf_token=token)).status_code == 400


def test_the_api_needs_no_csrf_token_but_a_bearer_token(isolated):
    app = isolated(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/api/v1/stores", json={"name": "x"})
    assert response.status_code == 401  # authentication, not a CSRF refusal
    assert response.mimetype == "application/problem+json"


# --- rate limits -------------------------------------------------------------------------------

def test_login_is_rate_limited(isolated):
    app = isolated(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [client.post("/login", data=login_form(client, password="wrong password!"))
                .status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    # even the right password waits now
    assert client.post("/login", data=login_form(client)).status_code == 429


def test_login_limit_per_account_holds_across_addresses(isolated):
    app = isolated(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [client.post("/login", data=login_form(client, password="guess"),
                            environ_base={"REMOTE_ADDR": f"203.0.113.{n}"}).status_code
                for n in range(4)]
    assert statuses == [401, 401, 401, 429]


# --- cookies -----------------------------------------------------------------------------------

def set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_session_cookie_flags(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "remember": "on"})
    cookies = set_cookies(response)
    session = cookies["session"]
    assert "HttpOnly" in session and "SameSite=Lax" in session
    assert "Secure" not in session  # plain http in development and tests
    remember = cookies["remember_token"]
    assert "HttpOnly" in remember and "SameSite=Lax" in remember


def test_session_cookie_is_secure_behind_https(isolated):
    app = isolated(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    client = app.test_client()
    response = client.post("/login", data=login_form(client, remember="on"),
                           base_url="https://localhost")
    cookies = set_cookies(response)
    assert "Secure" in cookies["session"] and "HttpOnly" in cookies["session"]
    assert "Secure" in cookies["remember_token"]


def test_https_setting_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MARKETPLACE_HTTPS", "1")
    config = from_environment(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["PREFERRED_URL_SCHEME"] == "https"


# --- headers -----------------------------------------------------------------------------------

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Referrer-Policy": "strict-origin-when-cross-origin"}


@pytest.mark.parametrize("path", ["/login", "/", "/no-such-page", "/api/v1/me",
                                  "/api/v1/openapi.json", "/api/v1/stores/999999", "/healthz"])
def test_security_headers_on_every_kind_of_response(client, path):
    response = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


# --- redirects and sessions --------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "/\t/evil.example", "/\n/evil.example", "http:evil.example",
    "https:/evil.example",
])
def test_open_redirect_after_login_is_refused(client, make_user, target):
    user = make_user()
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "evil" not in location and "javascript" not in location
    assert location.startswith("/") and not location.startswith("//")


def test_a_local_next_is_followed(client, make_user):
    user = make_user()
    response = client.post("/login?next=/account%3Ftab%3D1",
                           data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account?tab=1"


def test_password_change_logs_out_the_other_sessions(app, client, make_user, login):
    user = make_user()
    login(user)
    other = login(user, with_client=app.test_client())
    assert other.get("/account").status_code == 200
    changed = client.post("/account", data={"current_password": PASSWORD,
                                            "new_password": "a whole new passphrase"})
    assert changed.status_code == 303
    assert client.get("/account").status_code == 200  # this session stays
    gone = other.get("/account")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]


def test_logout_ends_the_session(client, make_user, login):
    login(make_user())
    assert client.get("/account").status_code == 200
    assert client.post("/logout").status_code == 303
    assert client.get("/account").status_code == 302


# --- secrets -----------------------------------------------------------------------------------

def test_secret_key_is_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    folder = tmp_path / "instance"
    first = instance_secret_key(str(folder))
    path = folder / "secret_key"
    assert len(first) >= 64 and path.read_text().strip() == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert instance_secret_key(str(folder)) == first
    assert from_environment(str(folder))["SECRET_KEY"] == first
    assert instance_secret_key(str(tmp_path / "other")) != first


def test_secret_key_from_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert from_environment(str(tmp_path))["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_passwords_and_tokens_never_reach_the_logs(isolated, caplog):
    """Even with every SQL statement and its parameters logged, no secret shows: only hashes
    reach the database."""
    app = isolated(SQLALCHEMY_ECHO=True)
    with app.app_context():
        owner = register_user(email="owner@example.vn", password="owner secret phrase",
                              full_name="Chủ")
        merchant = create_merchant(owner=owner, data={"name": "Nhật ký"}, commission_bp=0)
        _token, token = create_token(user=owner, merchant_id=merchant.id, name="POS")
        _db.session.commit()
        _db.session.remove()
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    client.post("/login", data=login_form(client, password="wrong password 123"))
    client.post("/login", data=login_form(client))
    client.post("/account", data={"current_password": PASSWORD,
                                  "new_password": "brand new secret phrase"})
    client.post("/register", data={"email": "new@example.vn", "full_name": "Mới",
                                   "password": "another secret phrase"})
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}) \
        .status_code == 200
    client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}x"})
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "SELECT" in logged and "personal_access_tokens" in logged  # the check has teeth
    for secret in (PASSWORD, "wrong password 123", "brand new secret phrase",
                   "another secret phrase", "owner secret phrase", token, token[4:]):
        assert secret not in logged


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["backend"] in ("sqlite", "postgresql")
