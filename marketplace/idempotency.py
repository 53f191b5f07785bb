"""``Idempotency-Key`` for POSTs that create things (checkout, payments).

The first request's answer is stored in the same transaction as what it created, under a
unique (scope, key). A retry finds it and gets the same answer; two copies racing both try
to insert the key, the database lets one commit and the other, on its unique violation,
reads the winner's answer. A key reused for a different request body is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .database import UTCDateTime, utcnow
from .errors import Conflict, ValidationError
from .extensions import db

MAX_KEY_LENGTH = 200


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    key: Mapped[str] = mapped_column(sa.String(MAX_KEY_LENGTH), nullable=False)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    status: Mapped[int] = mapped_column(nullable=False)
    body: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (sa.UniqueConstraint("scope", "key"),)


class KeyReused(Conflict):
    code = "idempotency_key_reused"
    title = _l("This Idempotency-Key was used for a different request.")


def valid_key(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_KEY_LENGTH or not value.isprintable():
        raise ValidationError.field("Idempotency-Key",
                                    _l("Send 1 to 200 printable characters."))
    return value


def fingerprint(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def replay(scope: str, key: str, payload) -> IdempotencyRecord | None:
    """The stored answer for (scope, key), or None; a different payload is ``KeyReused``."""
    record = db.session.scalars(sa.select(IdempotencyRecord).where(
        IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)).first()
    if record is not None and record.fingerprint != fingerprint(payload):
        raise KeyReused()
    return record


def remember(scope: str, key: str, payload, status: int, body: dict) -> None:
    """Store the answer in the current transaction (commits or rolls back with the work)."""
    db.session.add(IdempotencyRecord(scope=scope, key=key, fingerprint=fingerprint(payload),
                                     status=status, body=body))
    db.session.flush()


def commit_once(scope: str, key: str | None, payload, work: Callable[[], Any],
                answer: Callable[[Any], dict], status: int = 201) -> tuple[int, dict, bool]:
    """Do ``work`` and commit it with its answer, or give the answer stored for the key.

    Returns ``(status, body, replayed)``. Without a key the work is simply done and
    committed. When the same key races in twice, the loser's commit hits the unique
    constraint, is rolled back, and answers with what the winner stored."""
    if key:
        done = replay(scope, key, payload)
        if done is not None:
            return done.status, done.body, True
    body = answer(work())
    if key:
        remember(scope, key, payload, status, body)
    try:
        db.session.commit()
    except IntegrityError:
        if not key:
            raise
        db.session.rollback()
        done = replay(scope, key, payload)
        return done.status, done.body, True
    return status, body, False
