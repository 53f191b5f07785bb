"""Fresh PostgreSQL databases for a test run, made from ``TEST_DATABASE_URL``."""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url


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
