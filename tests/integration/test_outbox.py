"""The outbox: side effects are written in the transaction that causes them and delivered after
commit, with retries and back-off, exactly once even with several drainers."""

from __future__ import annotations

import email
import threading
from datetime import timedelta
from email.policy import default as email_policy
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.extensions import db as _db
from marketplace.notifications import mail
from marketplace.outbox import services as outbox
from marketplace.outbox.models import OutboxMessage
from tests.support.apps import fresh_database_app


@pytest.fixture
def mail_dir(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "mail"
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(folder))
    return folder


@pytest.fixture
def topic(app, monkeypatch):
    """Register a handler for a test topic (removed after the test)."""

    def register(name, handler):
        monkeypatch.setitem(outbox.handlers(app), name, handler)
        return name

    return register


def pending(db) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage)
                                   .where(OutboxMessage.status == "pending")))


def letters(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def test_a_message_of_a_rolled_back_transaction_is_never_delivered(db, mail_dir):
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    outbox.enqueue(mail.TOPIC, {"to": "an@example.vn", "subject": "Không gửi", "body": "x"})
    db.session.rollback()
    assert outbox.drain() == 0
    assert letters(mail_dir) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == before


def test_unknown_topic_is_refused_at_enqueue(db):
    with pytest.raises(KeyError):
        outbox.enqueue("no.such.topic", {})


def test_drain_writes_mail_as_eml_files(app, db, mail_dir):
    outbox.enqueue(mail.TOPIC, {"to": "Chi <chi@example.vn>", "subject": "Đơn hàng đã sẵn sàng",
                                "body": "Xin chào Chi,\nĐơn hàng của bạn đã sẵn sàng để nhận."})
    db.session.commit()
    assert letters(mail_dir) == []  # nothing is sent before the drain
    assert outbox.drain() == 1
    [path] = letters(mail_dir)
    message = email.message_from_bytes(path.read_bytes(), policy=email_policy)
    assert message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert message["To"] == "Chi <chi@example.vn>"
    assert message["Subject"] == "Đơn hàng đã sẵn sàng"
    assert message["Message-ID"].endswith("@marketplace.local>")
    assert message.get_content_type() == "text/plain"
    assert "Đơn hàng của bạn đã sẵn sàng để nhận." in message.get_content()
    [done] = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.payload["subject"].as_string() == "Đơn hàng đã sẵn sàng")).all()
    assert (done.status, done.attempts, done.claimed_until) == ("done", 1, None)
    assert done.done_at is not None
    assert outbox.drain() == 0 and len(letters(mail_dir)) == 1


def test_a_failing_handler_is_retried_with_back_off_then_marked_failed(app, db, topic,
                                                                       monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    calls = []

    def broken(payload):
        calls.append(payload["n"])
        raise ConnectionRefusedError("mail server down")

    outbox.enqueue(topic("test.broken", broken), {"n": 1})
    db.session.commit()
    message = pending(db)[-1]
    delays = []
    for attempt in (1, 2, 3):
        started = utcnow()
        assert outbox.drain() == 0
        db.session.refresh(message)
        assert message.attempts == attempt
        assert message.last_error == "ConnectionRefusedError: mail server down"
        assert message.claimed_until is None
        if attempt < 3:
            assert message.status == "pending"
            delays.append(message.available_at - started)
            assert outbox.drain() == 0  # not due yet: no new attempt
            assert len(calls) == attempt
            message.available_at = utcnow() - timedelta(seconds=1)  # time passes
            db.session.commit()
    assert message.status == "failed"
    assert calls == [1, 1, 1]
    assert delays[1] > delays[0] >= timedelta(seconds=9)  # exponential back-off
    message.available_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert outbox.drain() == 0 and calls == [1, 1, 1]  # failed for good: left alone


def test_a_handler_that_recovers_delivers_once(app, db, topic):
    calls = []

    def flaky(payload):
        calls.append(payload)
        if len(calls) == 1:
            raise TimeoutError("slow")

    outbox.enqueue(topic("test.flaky", flaky), {"n": 1})
    db.session.commit()
    message = pending(db)[-1]
    assert outbox.drain() == 0
    message.available_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert outbox.drain() == 1
    db.session.refresh(message)
    assert (message.status, message.attempts, len(calls)) == ("done", 2, 2)


def test_a_claimed_message_is_not_taken_by_another_drainer(app, db, topic):
    calls = []
    outbox.enqueue(topic("test.claim", lambda p: calls.append(p["n"])), {"n": 1})
    db.session.commit()
    message = pending(db)[-1]
    assert outbox._claim(message.id) is True
    assert outbox._claim(message.id) is False  # a second drainer loses the race
    assert outbox.drain() == 0 and calls == []
    message.claimed_until = utcnow() - timedelta(seconds=1)  # the first drainer died
    db.session.commit()
    assert outbox.drain() == 1 and calls == [1]


def test_a_drain_running_inside_another_delivers_nothing_twice(app, db, topic):
    """Two drains interleaved on one database: the inner one runs while the outer one is in
    the middle of delivering; every message is still delivered exactly once."""
    delivered = []

    def handler(payload):
        delivered.append(payload["n"])
        if payload["n"] == 0:
            outbox.drain()  # another worker wakes up now

    name = topic("test.nested", handler)
    for n in range(4):
        outbox.enqueue(name, {"n": n})
    db.session.commit()
    outbox.drain()
    assert sorted(delivered) == [0, 1, 2, 3]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_concurrent_drainers_deliver_each_message_exactly_once(tmp_path, kind):
    delivered: list[int] = []
    lock = threading.Lock()

    def handler(payload):
        with lock:
            delivered.append(payload["n"])

    with fresh_database_app(kind, tmp_path, "outbox") as app:
        outbox.register_handler(app, "test.count", handler)
        with app.app_context():
            for n in range(40):
                outbox.enqueue("test.count", {"n": n})
            _db.session.commit()
            _db.session.remove()
        barrier = threading.Barrier(4)
        errors = []

        def worker():
            try:
                with app.app_context():
                    barrier.wait()
                    outbox.drain()
                    _db.session.remove()
            except Exception as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert sorted(delivered) == list(range(40))
        with app.app_context():
            statuses = _db.session.scalars(sa.select(OutboxMessage.status)).all()
            assert statuses == ["done"] * 40


def test_a_commit_that_wrote_messages_wakes_the_worker(app, db, monkeypatch):
    import threading
    from types import SimpleNamespace

    from marketplace.outbox.services import enqueue

    worker = SimpleNamespace(wake=threading.Event())
    monkeypatch.setitem(app.extensions, "outbox_worker", worker)
    enqueue("mail.send", {"to": "a@example.vn", "subject": "s", "body": "b"})
    db.session.rollback()
    db.session.commit()
    assert not worker.wake.is_set()  # rolled back: nothing to deliver
    enqueue("mail.send", {"to": "a@example.vn", "subject": "s", "body": "b"})
    assert not worker.wake.is_set()  # not before the commit
    db.session.commit()
    assert worker.wake.is_set()
