"""A real server and Debian's Chromium for the browser tests.

The live server is a separate app on its own fresh database (SQLite file, or PostgreSQL with
``--db=postgres``), migrated like production, with CSRF on so the real forms are exercised.
It is served by Werkzeug in a daemon thread on a free loopback port. Chromium is the Debian
package driven by Playwright (no browser download): without it the tests skip, which strict
mode (``MARKETPLACE_REQUIRE_SERVICES=1``) turns into a failure.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.accounts.services import create_admin
from marketplace.extensions import db
from tests.support import databases

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
ADMIN_EMAIL = "admin@browser-test.example.vn"
ADMIN_PASSWORD = "admin password for the browser test"


class ErrorCollector(logging.Handler):
    """Keeps the server's logged errors (tracebacks of 500s) so a test can show them."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


@dataclass
class LiveServer:
    url: str
    app: object
    admin_email: str = ADMIN_EMAIL
    admin_password: str = ADMIN_PASSWORD
    errors: ErrorCollector = field(default_factory=ErrorCollector)

    def server_errors(self) -> str:
        """The errors logged since the last call, for assertion messages."""
        text = "\n".join(self.errors.records)
        self.errors.records.clear()
        return text


@pytest.fixture(scope="session")
def live_database_url(request, tmp_path_factory):
    """A database of its own: the browser journey commits, unlike the rolled-back tests."""
    with databases.database_for_run(request.config, tmp_path_factory, "browser") as url:
        yield url


@pytest.fixture(scope="session")
def live_server(live_database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-instance")
    app = create_app({
        "SECRET_KEY": "browser-test-secret-key",
        "SQLALCHEMY_DATABASE_URI": live_database_url,
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
        "OUTBOX_INPROCESS": False,
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "MAIL_FILE_DIR": str(folder / "mail"),
        "MEILISEARCH_URL": None,
        "SEARCH_SQLITE_PATH": str(folder / "search.sqlite3"),
        "JOBS_INPROCESS": False,
        "JOBS_SQLITE_PATH": str(folder / "jobs.sqlite3"),
        "SERVER_NAME": None,
    })
    with app.app_context():
        upgrade(revision="heads")
        create_admin(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, full_name="Quản trị viên")
        db.session.commit()
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    app_logger = logging.getLogger(app.name)  # Flask's and the marketplace's own loggers
    app_logger.addHandler(live.errors)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        app_logger.removeHandler(live.errors)
        server.shutdown()
        thread.join(10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(browser, live_server):
    """Open browser contexts (separate cookie jars: separate people) that close afterwards."""
    contexts = []

    def factory(**options):
        options.setdefault("base_url", live_server.url)
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        with contextlib.suppress(Exception):
            context.close()


@pytest.fixture
def screenshot_dir():
    """Where screenshots go: $BROWSER_SCREENSHOTS, else nowhere (they are not test output)."""
    folder = os.environ.get("BROWSER_SCREENSHOTS")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path
