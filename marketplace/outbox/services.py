"""Write side effects into the outbox; drain it with retries and exponential back-off.

A drainer claims a message with a conditional UPDATE, so several gunicorn workers (or the
in-process thread and a ``marketplace outbox drain`` command) never deliver one message twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..database import utcnow
from ..extensions import db
from .models import OutboxMessage

log = logging.getLogger(__name__)

Handler = Callable[[dict], None]
CLAIM_SECONDS = 300


def enqueue(topic: str, payload: dict) -> OutboxMessage:
    """Record a side effect in the current transaction; it is delivered only if that commits."""
    if topic not in handlers():
        raise KeyError(f"no outbox handler for topic {topic!r}")
    message = OutboxMessage(topic=topic, payload=payload)
    db.session.add(message)
    db.session.flush()
    db.session.info["outbox_written"] = True
    return message


def handlers(app: Flask | None = None) -> dict[str, Handler]:
    app = app or current_app
    return app.extensions.setdefault("outbox_handlers", {})


def register_handler(app: Flask, topic: str, handler: Handler) -> None:
    registry = handlers(app)
    if topic in registry:
        raise ValueError(f"outbox topic {topic!r} already has a handler")
    registry[topic] = handler


def _claim(message_id: int) -> bool:
    now = utcnow()
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending",
               OutboxMessage.available_at <= now,
               sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    )
    db.session.commit()
    return result.rowcount == 1


def drain(limit: int = 100) -> int:
    """Deliver due messages; returns how many were delivered. Commits per message."""
    now = utcnow()
    due = db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.available_at <= now,
               sa.or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .order_by(OutboxMessage.id).limit(limit)
    ).all()
    db.session.commit()
    delivered = 0
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    for message_id in due:
        if not _claim(message_id):
            continue
        message = db.session.get(OutboxMessage, message_id)
        try:
            handlers()[message.topic](message.payload)
        except Exception as exc:  # a failing mail server must not lose the message
            db.session.rollback()
            message = db.session.get(OutboxMessage, message_id)
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            message.claimed_until = None
            if message.attempts >= max_attempts:
                message.status = "failed"
                log.error("outbox message %s (%s) failed for good: %s",
                          message.id, message.topic, message.last_error)
            else:
                message.available_at = utcnow() + timedelta(seconds=2 ** message.attempts * 5)
                log.warning("outbox message %s (%s) failed, retrying: %s",
                            message.id, message.topic, message.last_error)
        else:
            message.status = "done"
            message.attempts += 1
            message.done_at = utcnow()
            message.claimed_until = None
            delivered += 1
        db.session.commit()
    return delivered


class InProcessWorker:
    """Drains the outbox in a daemon thread of the web process (the embedded default)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name="outbox-worker", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        interval = self.app.config["OUTBOX_POLL_SECONDS"]
        while True:
            self.wake.wait(interval)
            self.wake.clear()
            try:
                with self.app.app_context():
                    drain()
                    db.session.remove()
            except Exception:  # keep the thread alive; the next round retries
                log.exception("outbox worker round failed")


def _wake_after_commit(session) -> None:
    """A transaction that wrote outbox messages committed: deliver them now rather than at
    the worker's next poll (search must see a stock change within seconds)."""
    if session.info.pop("outbox_written", False) and has_app_context():
        notify()


def _forget_after_rollback(session) -> None:
    session.info.pop("outbox_written", None)


def init_app(app: Flask) -> None:
    if not getattr(Session, "_marketplace_outbox_events", False):
        event.listen(Session, "after_commit", _wake_after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, _t: _forget_after_rollback(s))
        Session._marketplace_outbox_events = True


def notify(app: Flask | None = None) -> None:
    """Tell the in-process worker that new messages were committed."""
    worker = (app or current_app).extensions.get("outbox_worker")
    if worker is not None:
        worker.wake.set()
