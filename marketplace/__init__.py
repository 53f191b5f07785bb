"""O2O Marketplace: the Flask core. ``create_app`` is the only place an app is built."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

__version__ = "0.1.0"

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("MARKETPLACE_INSTANCE_PATH") or None,
                instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from .config import from_environment

    app.config.from_mapping(from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    logging.getLogger("marketplace").setLevel(app.config.get("LOG_LEVEL", "INFO"))

    _init_extensions(app)
    _register_blueprints(app)
    _init_plugins(app)
    _init_themes(app)
    _init_outbox(app)
    return app


def _init_extensions(app: Flask) -> None:
    from . import errors_web, i18n, security
    from .auth import init_login
    from .database import configure_engine
    from .extensions import csrf, db, limiter, migrate

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    # Importing the models registers them on the metadata Alembic and the app use.
    from . import models  # noqa: F401

    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    init_login(app)
    i18n.init_app(app)
    security.init_app(app)
    errors_web.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from .api import init_api
    from .web import init_web

    init_web(app)
    init_api(app)


def _init_plugins(app: Flask) -> None:
    from .extensions import migrate
    from .plugins import events, manager
    from .plugins.migrations import add_plugin_locations

    if add_plugin_locations not in migrate.configure_callbacks:
        migrate.configure(add_plugin_locations)
    manager.init_app(app)
    events.init_app(app)


def _init_themes(app: Flask) -> None:
    from . import theming

    theming.init_app(app)


def _init_outbox(app: Flask) -> None:
    from .notifications import mail
    from .outbox import services as outbox
    from .outbox.services import InProcessWorker, register_handler

    outbox.init_app(app)
    register_handler(app, mail.TOPIC, mail.deliver)
    from . import jobs, search
    from .delivery import tracking
    from .payments import services as payments
    from .settlement import payouts

    payments.init_app(app)
    tracking.init_app(app)
    payouts.init_app(app)
    search.init_app(app)
    jobs.init_app(app)
    if app.config["OUTBOX_INPROCESS"] and not app.testing:
        worker = InProcessWorker(app)
        app.extensions["outbox_worker"] = worker
        worker.start()
