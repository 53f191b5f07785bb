"""The order clock: what the periodic job does every minute, one transaction per order.

A failure on one order (a plugin, a lock timeout) rolls back that order alone; the next
round tries it again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..database import utcnow
from ..extensions import db
from ..orders import lifecycle
from ..payments import services as payments


def expire_due(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Release every hold whose time is up. Returns counts by outcome."""
    now = now or utcnow()
    due = lifecycle.due_for_expiry(now, limit=limit)
    db.session.commit()
    counts = {"expired": 0, "no_show": 0}
    for order_id in due:
        outcome = lifecycle.expire(order_id, now=now)
        db.session.commit()
        if outcome:
            counts[outcome] += 1
    return counts


def send_reminders(*, now: datetime | None = None, within_minutes: int,
                   limit: int = 200) -> int:
    """"Please collect it soon" for each order whose hold lapses within the window."""
    now = now or utcnow()
    due = lifecycle.due_for_reminder(now, within=timedelta(minutes=within_minutes),
                                     limit=limit)
    db.session.commit()
    sent = 0
    for order_id in due:
        sent += lifecycle.remind(order_id, now=now)
        db.session.commit()
    return sent


def capture_lapsing(*, now: datetime | None = None, margin_hours: int,
                    limit: int = 200) -> int:
    """Queue the capture of card authorizations that lapse within ``margin_hours``."""
    now = now or utcnow()
    due = payments.due_for_capture(now, margin=timedelta(hours=margin_hours), limit=limit)
    db.session.commit()
    queued = 0
    for payment_id in due:
        queued += lifecycle.capture_lapsing(payment_id, now=now)
        db.session.commit()
    return queued
