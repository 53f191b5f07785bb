"""The test kit: the core's own pytest fixtures, for plugins too.

Installed as a pytest plugin (entry point ``pytest11``), so a plugin package's tests get,
with no conftest of their own:

* ``app`` — one app per test session on a fresh database (SQLite, or PostgreSQL with
  ``--db=postgres`` and ``TEST_DATABASE_URL``), migrated to every head, installed plugins'
  branches included;
* ``db`` — a transaction per test, rolled back afterwards (``commit()`` makes a savepoint);
* ``client`` — a test client whose requests each start with a clean ``g``, in English;
* ``make_app(**config)`` — another app on the same database with other settings;
* factories — ``make_user``, ``admin_user``, ``make_merchant``, ``owner_of``,
  ``make_member``, ``make_store``, ``make_listing``, ``login``, ``api_token``;
* ``register_plugin(obj, install=True, enable_for=())`` — a plugin for one test.

``MARKETPLACE_REQUIRE_SERVICES=1`` turns every skip (a missing PostgreSQL, Chromium …) into a
failure, as CI wants.
"""

from __future__ import annotations

import os

import pytest
from flask import current_app
from flask_migrate import upgrade

from .. import create_app
from ..extensions import db as _db
from ..extensions import limiter
from .testing_factories import (  # noqa: F401  (fixtures, registered by being here)
    admin_user,
    api_token,
    login,
    make_listing,
    make_member,
    make_merchant,
    make_store,
    make_user,
    owner_of,
)
from .testing_support import (
    STRICT,
    ConnectionSession,
    FreshGlobalsClient,
    base_config,
    database_for_run,
)


def pytest_addoption(parser):
    parser.addoption("--db", default=os.environ.get("TEST_DB", "sqlite"),
                     choices=["sqlite", "postgres"], help="main database of the test run")


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs a real PostgreSQL (TEST_DATABASE_URL)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in strict mode (MARKETPLACE_REQUIRE_SERVICES=1): {reason}"


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    with database_for_run(request.config, tmp_path_factory, "main") as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(base_config(database_url, tmp_path_factory.mktemp("instance")))
    app.test_client_class = FreshGlobalsClient
    with app.app_context():
        upgrade(revision="heads")  # the schema comes from the migrations, as in production
        _db.session.remove()
    return app


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build another app on the same database with some settings changed."""

    def factory(**overrides):
        built = create_app(base_config(database_url, tmp_path) | overrides)
        built.test_client_class = FreshGlobalsClient
        return built

    return factory


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
             "class_": ConnectionSession})
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def register_plugin(db):
    """Register a plugin object (a module or object with ``PLUGIN`` and hook implementations)
    on the current app for one test; install it on the platform and enable it for the given
    merchants. Removed again after the test."""
    added: list[tuple[object, str]] = []

    def register(plugin, *, install: bool = True, enable_for=()):
        from ..plugins import services
        from .states import PlatformStatus

        platform = current_app.extensions["plugins"]
        loaded = platform.add(plugin)
        added.append((platform, loaded.name))
        current_app.extensions["themes"].forget_environments()  # its templates
        if install and platform.status(loaded.name) != PlatformStatus.INSTALLED:
            services.change_platform_status(loaded.name, "install")
        for merchant in enable_for:
            services.set_enabled(merchant, loaded.name, True)
        return loaded

    yield register
    for platform, name in reversed(added):
        platform.remove(name)
        platform.app.extensions["themes"].forget_environments()
