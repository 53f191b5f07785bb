"""``GET /healthz``: the state of each service the app depends on, for load balancers.

Search reports its backend and the outbox backlog of index changes; a down search engine
makes the answer "degraded" but keeps it 200: checkouts still work without search.
"""

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
    from ..search.health import search_health

    checks = {"database": check_database(), "search": search_health()}
    everything = all(c["status"] == "ok" for c in checks.values())
    # Without its database the app can do nothing (503: take it out of rotation); without
    # search it still sells, so it stays in rotation and says "degraded".
    serving = checks["database"]["status"] == "ok"
    return (jsonify(status="ok" if everything else "degraded", checks=checks),
            200 if serving else 503)
