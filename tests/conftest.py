"""Test fixtures: ``app``, ``db`` (a transaction per test), ``client`` and factories.

The main database is SQLite by default; ``--db=postgres`` (or ``TEST_DB=postgres``) runs the
suite on a fresh PostgreSQL database made from ``TEST_DATABASE_URL``. Tests marked
``postgres`` (the concurrency proofs) always use PostgreSQL. With
``MARKETPLACE_REQUIRE_SERVICES=1`` (CI), a test skipped for a missing service fails instead.
"""

from __future__ import annotations

import os

import pytest
from flask import current_app, g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession

from marketplace import create_app
from marketplace.extensions import db as _db
from marketplace.extensions import limiter
from tests.support import databases

pytest_plugins = ["tests.factories"]

STRICT = os.environ.get("MARKETPLACE_REQUIRE_SERVICES") == "1"


def pytest_addoption(parser):
    parser.addoption("--db", default=os.environ.get("TEST_DB", "sqlite"),
                     choices=["sqlite", "postgres"], help="main database of the test run")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in strict mode (MARKETPLACE_REQUIRE_SERVICES=1): {reason}"


def base_config(database_url: str, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "OUTBOX_INPROCESS": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
        "SERVER_NAME": None,
        # Cheap argon2 parameters: the algorithm and code path are the production ones.
        "PASSWORD_HASHER": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
    }


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    with databases.database_for_run(request.config, tmp_path_factory, "main") as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(base_config(database_url, tmp_path_factory.mktemp("instance")))
    app.test_client_class = _FreshGlobalsClient
    with app.app_context():
        upgrade(revision="heads")  # the schema comes from the migrations, as in production
        _db.session.remove()
    return app


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build another app on the same database with some settings changed."""

    def factory(**overrides):
        return create_app(base_config(database_url, tmp_path) | overrides)

    return factory


class _ConnectionSession(FlaskSession):
    """Flask-SQLAlchemy's session picks an engine per model and ignores ``bind``; a test
    session must use the test's connection, or it opens a second one (on SQLite that one
    waits for the test transaction's write lock, and nothing would be rolled back)."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture(autouse=True)
def restore_limiter():
    """flask-limiter keeps one Limiter per process and each ``create_app`` re-initializes it
    (``RATELIMIT_ENABLED`` included): after a test that built a throttled app, put it back so
    the other tests' app is not throttled."""
    saved = dict(vars(limiter))
    yield
    vars(limiter).clear()
    vars(limiter).update(saved)


@pytest.fixture
def db(app):
    """A database session whose work is rolled back after the test (commits are savepoints)."""
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original = _db.session
        _db.session = _db._make_scoped_session(
            {"bind": connection, "join_transaction_mode": "create_savepoint",
             "class_": _ConnectionSession})
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            transaction.rollback()
            connection.close()


class _FreshGlobalsClient(FlaskClient):
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


@pytest.fixture
def client(app, db):
    return app.test_client()
