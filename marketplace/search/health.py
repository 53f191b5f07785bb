"""How search is doing, for /healthz and ``marketplace search status``."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from ..database import utcnow
from ..extensions import db
from ..outbox.models import OutboxMessage
from .indexing import TOPIC


def search_health() -> dict:
    """The backend's own answer plus the outbox backlog: how many index changes wait and how
    old the oldest is (a growing backlog means search is falling behind)."""
    report = current_app.extensions["search"].health()
    try:
        waiting, oldest = db.session.execute(
            sa.select(sa.func.count(), sa.func.min(OutboxMessage.created_at))
            .where(OutboxMessage.topic == TOPIC, OutboxMessage.status == "pending")).one()
        failed = db.session.scalar(sa.select(sa.func.count()).where(
            OutboxMessage.topic == TOPIC, OutboxMessage.status == "failed"))
        db.session.rollback()
    except Exception as exc:  # report, never raise
        db.session.rollback()
        report["backlog"] = {"error": type(exc).__name__}
        return report
    report["backlog"] = {
        "pending": waiting, "failed": failed,
        "oldest_seconds": round((utcnow() - oldest).total_seconds()) if oldest else 0}
    return report
