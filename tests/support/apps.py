"""Apps on their own fresh database, for tests that need real concurrent transactions or a
schema of their own (the ``db`` fixture's single rolled-back transaction cannot give that)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.extensions import db
from tests.support.databases import fresh_postgres


def fresh_sqlite_url(tmp_path: Path, name: str = "fresh") -> str:
    return f"sqlite:///{tmp_path / f'{name}.sqlite3'}"


@contextlib.contextmanager
def fresh_app(database_url: str, tmp_path: Path, **overrides) -> Flask:
    """An app on ``database_url`` migrated to ``heads``; its engine is disposed afterwards."""
    from marketplace.plugins.testing_support import base_config

    app = create_app(base_config(database_url, tmp_path) | overrides)
    with app.app_context():
        upgrade(revision="heads")
        db.session.remove()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextlib.contextmanager
def fresh_database_app(kind: str, tmp_path: Path, label: str, **overrides) -> Flask:
    """``fresh_app`` on a new SQLite file or a new PostgreSQL database (``kind``)."""
    if kind == "postgres":
        with fresh_postgres(label) as url, fresh_app(url, tmp_path, **overrides) as app:
            yield app
    else:
        with fresh_app(fresh_sqlite_url(tmp_path, label), tmp_path, **overrides) as app:
            yield app
