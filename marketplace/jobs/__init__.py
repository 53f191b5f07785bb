"""Background jobs with Huey: the clock of the marketplace.

Holds must lapse even when nobody visits the site, so a periodic task releases expired holds
and sends "collect it soon" reminders every minute; plugins add theirs through
``marketplace_register_periodic_jobs``. Storage is SQLite in the instance folder
by default and Redis when ``REDIS_URL`` is set. The web process runs a consumer in a thread
(``JOBS_INPROCESS``, the embedded default); production runs ``marketplace worker`` instead.
With several consumers (several gunicorn workers) the task may run more than once a minute:
it is safe, because each order is re-checked under its row lock and reminders are claimed by
a conditional update.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from ..extensions import db

log = logging.getLogger(__name__)

QUEUE_NAME = "marketplace"


def make_huey(app: Flask):
    if app.config.get("REDIS_URL"):
        return RedisHuey(QUEUE_NAME, url=app.config["REDIS_URL"])
    return SqliteHuey(QUEUE_NAME, filename=app.config["JOBS_SQLITE_PATH"])


def run_order_clock(app: Flask, now=None) -> dict[str, int]:
    """Expire what is due, send due reminders, capture authorizations about to lapse; what
    the periodic task runs."""
    from .order_clock import capture_lapsing, expire_due, send_reminders

    with app.app_context():
        try:
            counts = expire_due(now=now)
            counts["reminded"] = send_reminders(
                now=now, within_minutes=app.config["ORDER_REMINDER_MINUTES"])
            counts["captured"] = capture_lapsing(
                now=now, margin_hours=app.config["CAPTURE_MARGIN_HOURS"])
        finally:
            db.session.remove()
    if any(counts.values()):
        log.info("order clock: %s", counts)
        from ..outbox.services import notify

        notify(app)
    return counts


def run_search_hours(app: Flask, now=None) -> int:
    """Index the next opening of stores that just closed (see search.indexing)."""
    from ..search.indexing import refresh_opening_windows

    with app.app_context():
        try:
            return refresh_opening_windows(now)
        finally:
            db.session.remove()


def run_tracking_poll(app: Flask, now=None) -> int:
    """Ask carriers about booked shipments still on their way (see delivery.tracking)."""
    from ..delivery.tracking import poll_all

    with app.app_context():
        try:
            return poll_all(now=now)
        finally:
            db.session.remove()


def run_periodic_job(app: Flask, name: str, now=None) -> int:
    """Run a plugin's periodic job once (what its periodic task does): only while the platform
    has the plugin installed; a failure is logged, and the next run tries again."""
    from ..database import utcnow
    from ..outbox.services import notify

    platform = app.extensions["plugins"]
    job = platform.periodic_jobs[name]
    with app.app_context():
        try:
            if not platform.is_runnable(job.plugin):
                return 0
            done = job.function(now or utcnow()) or 0
        except Exception:
            log.exception("periodic job %s failed", name)
            db.session.rollback()
            return 0
        finally:
            db.session.remove()
    if done:
        log.info("periodic job %s: %s", name, done)
        notify(app)
    return done


class ThreadConsumer(Consumer):
    """A consumer living in threads of the web process: it must leave the process's signal
    handlers (gunicorn's, Flask's) alone."""

    def _set_signal_handlers(self):
        pass


def init_app(app: Flask) -> None:
    huey = make_huey(app)
    app.extensions["huey"] = huey

    @huey.periodic_task(crontab(minute="*"), name="orders.clock")
    def order_clock():
        return run_order_clock(app)

    @huey.periodic_task(crontab(minute="*"), name="search.opening_hours")
    def search_opening_hours():
        return run_search_hours(app)

    @huey.periodic_task(crontab(minute="*/15"), name="delivery.tracking_poll")
    def delivery_tracking_poll():
        return run_tracking_poll(app)

    tasks = {"orders.clock": order_clock, "search.opening_hours": search_opening_hours,
             "delivery.tracking_poll": delivery_tracking_poll}
    for job in app.extensions["plugins"].periodic_jobs.values():
        tasks[job.name] = huey.periodic_task(
            crontab(minute=f"*/{job.every_minutes}"), name=job.name)(
            lambda name=job.name: run_periodic_job(app, name))
    app.extensions["huey_tasks"] = tasks
    if app.config["JOBS_INPROCESS"] and not app.testing:
        consumer = ThreadConsumer(huey, workers=1, worker_type="thread", periodic=True)
        consumer.start()
        app.extensions["huey_consumer"] = consumer


def current_huey():
    return current_app.extensions["huey"]
