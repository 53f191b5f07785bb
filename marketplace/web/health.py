"""``GET /healthz``: the state of each service the app depends on, for load balancers."""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Blueprint, jsonify

from ..extensions import db, limiter

bp = Blueprint("health", __name__)


def check_database() -> dict:
    started = time.perf_counter()
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
    except Exception as exc:  # report, never raise: this endpoint must answer
        db.session.rollback()
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok", "backend": db.engine.dialect.name,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2)}


@bp.get("/healthz")
@limiter.exempt
def healthz():
    checks = {"database": check_database()}
    healthy = all(c["status"] == "ok" for c in checks.values())
    return jsonify(status="ok" if healthy else "degraded", checks=checks), 200 if healthy else 503
