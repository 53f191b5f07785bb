"""Search: nearby stores, products, and "in stock at a store near me".

``init_app`` picks the backend from the configuration — Meilisearch when ``MEILISEARCH_URL``
is set, otherwise the embedded SQLite file — and wires indexing to the outbox.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from . import indexing
from .backend import SearchBackend
from .cli import search_group

log = logging.getLogger(__name__)


def make_backend(config) -> SearchBackend:
    if config.get("MEILISEARCH_URL"):
        from .meili_backend import MeiliBackend
        from .nearby import stores_within

        return MeiliBackend(config["MEILISEARCH_URL"], config.get("MEILISEARCH_KEY"),
                            prefix=config["MEILISEARCH_INDEX_PREFIX"],
                            stores_within=stores_within)
    from .sqlite_backend import SqliteBackend

    return SqliteBackend(config["SEARCH_SQLITE_PATH"])


def init_app(app: Flask) -> None:
    app.config.setdefault("SEARCH_SQLITE_PATH", str(Path(app.instance_path) / "search.sqlite3"))
    backend = make_backend(app.config)
    app.extensions["search"] = backend
    indexing.init_app(app)
    app.cli.add_command(search_group)
    if app.config.get("SEARCH_SETUP_ON_START", True):
        try:
            backend.setup()
        except Exception:  # a down Meilisearch must not stop the site: search waits for it
            log.exception("search backend %s could not be set up; will retry on use",
                          backend.name)
