"""Building blocks of the test kit: test configuration, databases, the per-test session."""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest
import sqlalchemy as sa
from flask import current_app, g, has_app_context
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.engine import make_url

#: With MARKETPLACE_REQUIRE_SERVICES=1 (CI) a test skipped for a missing service fails.
STRICT = os.environ.get("MARKETPLACE_REQUIRE_SERVICES") == "1"
TEST_SECRET_KEY = "test-secret-key-not-for-production"


def base_config(database_url: str, tmp_path) -> dict:
    """The configuration of a test app: fast password hashing, no CSRF, no rate limits,
    no background thread; files under ``tmp_path``."""
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "OUTBOX_INPROCESS": False,
        "JOBS_INPROCESS": False,
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite3"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
        # The embedded search backend in the test's folder (a test asks for Meilisearch).
        "MEILISEARCH_URL": None,
        "SEARCH_SQLITE_PATH": str(tmp_path / "search.sqlite3"),
        "SERVER_NAME": None,
        # Cheap argon2 parameters: the algorithm and code path are the production ones.
        "PASSWORD_HASHER": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
    }


def postgres_server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests need a server")
    return url


@contextlib.contextmanager
def fresh_postgres(label: str):
    """Create an empty database on the server, yield its URL, drop it afterwards."""
    server = make_url(postgres_server_url())
    name = f"mkt_{label}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL at {server.render_as_string()} is not reachable: {exc}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextlib.contextmanager
def database_for_run(config, tmp_path_factory, label: str):
    """The URL of an empty database for one test run: PostgreSQL with ``--db=postgres`` (a
    fresh database, dropped afterwards), else a new SQLite file."""
    if config.getoption("--db") == "postgres":
        with fresh_postgres(label) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp(label) / f'{label}.sqlite3'}"


class ConnectionSession(FlaskSession):
    """Flask-SQLAlchemy's session picks an engine per model and ignores ``bind``; a test
    session must use the test's connection, or it opens a second one (on SQLite that one
    waits for the test transaction's write lock, and nothing would be rolled back)."""

    def get_bind(self, *args, **kwargs):
        return self.bind


class FreshGlobalsClient(FlaskClient):
    """The ``db`` fixture keeps one app context open for the whole test and Flask reuses it
    for the client's requests, so ``g`` (Flask-Login's user, Babel's locale, the API
    principal) would leak from one request, or one client, into the next. In production every
    request has its own ``g``: start each test request with an empty one too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Assertions on page text are written in English; the app's default language is
        # Vietnamese. Tests about language negotiation send their own Accept-Language.
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")

    def open(self, *args, **kwargs):
        if has_app_context() and current_app._get_current_object() is self.application:
            g.__dict__.clear()
        return super().open(*args, **kwargs)
