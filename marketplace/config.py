"""Configuration from environment variables with safe defaults.

Every setting can be overridden by the ``config`` mapping given to ``create_app`` (tests do that).
Nothing secret is a constant in the code: without ``SECRET_KEY`` a key is generated once and
kept in the instance folder, so sessions survive restarts without anyone choosing a key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def instance_secret_key(instance_path: str) -> str:
    """Read the instance's secret key, creating it (mode 0600) on first use."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: when two workers start at once, one writes and the other reads its key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def from_environment(instance_path: str) -> dict:
    """Build the configuration mapping from the process environment."""
    database_url = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "marketplace.sqlite3")
    )
    redis_url = os.environ.get("REDIS_URL") or None
    https = _bool("MARKETPLACE_HTTPS", False)
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or instance_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "MEILISEARCH_URL": os.environ.get("MEILISEARCH_URL") or None,
        "MEILISEARCH_KEY": os.environ.get("MEILISEARCH_KEY") or None,
        # Several marketplaces (or test runs) can share one Meilisearch server.
        "MEILISEARCH_INDEX_PREFIX": os.environ.get("MEILISEARCH_INDEX_PREFIX", "marketplace_"),
        # The embedded backend's file when there is no Meilisearch.
        "SEARCH_SQLITE_PATH": os.environ.get("SEARCH_SQLITE_PATH")
        or str(Path(instance_path) / "search.sqlite3"),
        # Create indexes and apply their settings at start-up (also: marketplace search setup).
        "SEARCH_SETUP_ON_START": _bool("SEARCH_SETUP_ON_START", True),
        "REDIS_URL": redis_url,
        # Rate limits live in Redis when there is one, so every gunicorn worker shares them.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        # Where people reach the marketplace: links in mail sent by background jobs.
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        # Number of reverse proxies in front of the app whose X-Forwarded-* headers we trust.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024),
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER") or str(Path(instance_path) / "uploads"),
        "IMAGE_MAX_BYTES": _int("IMAGE_MAX_BYTES", 5 * 1024 * 1024),
        "IMAGE_MAX_PIXELS": _int("IMAGE_MAX_PIXELS", 40_000_000),
        "DEFAULT_CURRENCY": os.environ.get("DEFAULT_CURRENCY", "VND"),
        "DEFAULT_TIMEZONE": os.environ.get("DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "DEFAULT_COUNTRY": os.environ.get("DEFAULT_COUNTRY", "VN"),
        "BABEL_DEFAULT_LOCALE": os.environ.get("BABEL_DEFAULT_LOCALE", "vi"),
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("DEFAULT_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "LANGUAGES": ["vi", "en"],
        "DEFAULT_COMMISSION_BP": _int("DEFAULT_COMMISSION_BP", 1000),
        "INVITATION_TTL_HOURS": _int("INVITATION_TTL_HOURS", 72),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "TOKEN_RATE_LIMIT": os.environ.get("TOKEN_RATE_LIMIT", "20 per minute"),
        "REGISTER_RATE_LIMIT": os.environ.get("REGISTER_RATE_LIMIT", "10 per hour"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int("MAIL_PORT", 587),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "no-reply@marketplace.local"),
        # Without an SMTP server, mail is written as .eml files here (the embedded default).
        "MAIL_FILE_DIR": os.environ.get("MAIL_FILE_DIR") or str(Path(instance_path) / "mail"),
        # The in-process outbox worker drains side effects in a thread of the web process.
        "OUTBOX_INPROCESS": _bool("OUTBOX_INPROCESS", True),
        "OUTBOX_POLL_SECONDS": _int("OUTBOX_POLL_SECONDS", 5),
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", 8),
        # Plugins: names never to load; whether to load packages' entry points at all; safe
        # mode loads no third-party plugin (the switch for a plugin that breaks the site).
        "PLUGINS_BLOCKED": [n.strip() for n in os.environ.get("PLUGINS_BLOCKED", "").split(",")
                            if n.strip()],
        "PLUGINS_AUTOLOAD": _bool("PLUGINS_AUTOLOAD", True),
        "PLUGINS_SAFE_MODE": _bool("PLUGINS_SAFE_MODE", False),
        "PLUGINS_BUILTIN_DIR": os.environ.get("PLUGINS_BUILTIN_DIR")
        or str(Path(__file__).resolve().parent.parent / "plugins"),
        "THEMES_DIR": os.environ.get("THEMES_DIR")
        or str(Path(__file__).resolve().parent.parent / "themes"),
        "DEFAULT_THEME": os.environ.get("DEFAULT_THEME", "default"),
        "API_TITLE": "O2O Marketplace API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        # Checkout and pickup.
        "PICKUP_HORIZON_DAYS": _int("PICKUP_HORIZON_DAYS", 14),
        # How long an order waiting for an online payment holds its stock.
        "ORDER_PAYMENT_MINUTES": _int("ORDER_PAYMENT_MINUTES", 15),
        # Card authorizations are captured in full this long before they lapse.
        "CAPTURE_MARGIN_HOURS": _int("CAPTURE_MARGIN_HOURS", 24),
        # "Please collect it soon" goes out this long before an order's hold lapses.
        "ORDER_REMINDER_MINUTES": _int("ORDER_REMINDER_MINUTES", 60),
        # The code format of every redeemable code's QR (a registered CodeFormat); without
        # it codes are human codes only.
        "CODE_FORMAT": os.environ.get("CODE_FORMAT", "signed_qr"),
        "PICKUP_CODE_RATE_LIMIT": os.environ.get("PICKUP_CODE_RATE_LIMIT",
                                                 "10 per minute;60 per hour"),
        # Appointments (booking_appointments): how long a chosen slot is kept while the
        # customer confirms.
        "BOOKING_HOLD_MINUTES": _int("BOOKING_HOLD_MINUTES", 10),
        # Reminders before an appointment, in hours (the nearest due one is sent).
        "BOOKING_REMINDER_HOURS": os.environ.get("BOOKING_REMINDER_HOURS", "24,2"),
        # Background jobs (Huey): SQLite storage in the instance folder unless Redis is set;
        # the web process runs a consumer thread unless JOBS_INPROCESS is off.
        "JOBS_INPROCESS": _bool("JOBS_INPROCESS", True),
        "JOBS_SQLITE_PATH": os.environ.get("JOBS_SQLITE_PATH")
        or str(Path(instance_path) / "jobs.sqlite3"),
    }
