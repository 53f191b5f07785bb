"""Database plumbing shared by every domain: column types, SQLite pragmas, merchant scoping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from .errors import NotFound
from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """Stores naive UTC, returns aware UTC: SQLite keeps no offset, PostgreSQL would convert."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


def configure_engine(engine: Engine) -> None:
    """SQLite: WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for writing transactions.

    SQLite has no SELECT ... FOR UPDATE. Taking the write lock when the transaction begins
    means two read-modify-write transactions queue up (busy timeout) instead of one failing
    with SQLITE_BUSY half way, which is how stock updates stay atomic on the embedded database.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def _may_write() -> bool:
    """Whether the current unit of work may write, so must take SQLite's write lock up front.

    Page views that only read (GET/HEAD) begin a deferred transaction: under WAL they run side
    by side instead of queueing for the one write lock. Everything else does take it first:
    form posts, the API (it records when a token was last used, on GETs too) except the
    blueprints that declare themselves read-only (public search: without this its requests
    queued for the write lock, and a few waited seconds under load), CLI commands, workers and
    tests. A GET page must therefore never write."""
    if not has_request_context():
        return True
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return True
    if request.path.startswith("/api/"):
        blueprint = current_app.blueprints.get(request.blueprint or "")
        return not getattr(blueprint, "read_only", False)
    return False


M = TypeVar("M")

# Ids are INTEGER columns; a URL's <int:…> converter accepts any number of digits.
MAX_ID = 2**31 - 1


def scoped(model: type[M], merchant_id: int) -> sa.Select:
    """A SELECT of ``model`` limited to one merchant's rows: the only way merchant data is read."""
    return sa.select(model).where(model.merchant_id == merchant_id)


def get_scoped(model: type[M], merchant_id: int, object_id, *, lock: bool = False) -> M:
    """Fetch one merchant-owned row by id or raise ``NotFound`` (never another merchant's)."""
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        raise NotFound(model.__name__.lower()) from None
    if not 0 < object_id <= MAX_ID:  # no such row, and the database would refuse the number
        raise NotFound(model.__name__.lower())
    stmt = scoped(model, merchant_id).where(model.id == object_id)
    if lock:
        stmt = stmt.with_for_update()
    obj = db.session.scalars(stmt).first()
    if obj is None:
        raise NotFound(model.__name__.lower())
    return obj


def dialect_insert(table):
    """An INSERT for the session's database that supports ``on_conflict_do_nothing``."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
