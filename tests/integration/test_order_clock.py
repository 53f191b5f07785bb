"""The order clock (the Huey periodic task): holds lapse and reminders go out with nobody on
the site, at a frozen 'now'."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.inventory.models import StockLevel
from marketplace.jobs import order_clock
from marketplace.outbox.models import OutboxMessage
from tests.support.shopping import buy, pickup_choice, slot_at


def _reserved(store, variant):
    return db.session.scalars(sa.select(StockLevel.reserved).where(
        StockLevel.store_id == store.id, StockLevel.variant_id == variant.id)).one()


def _mail_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.topic == "mail.send"))


def test_no_show_after_window_and_grace_releases_stock_once(app, selling_shop, buyer):
    merchant, (store, _), listing = selling_shop()
    variant = listing.variants[0]
    order = buy(buyer, [(variant, 3)], [pickup_choice(merchant, store, slot_at(store))]).orders[0]
    deadline = order.expires_at
    assert order_clock.expire_due(now=deadline - timedelta(seconds=1)) == {"expired": 0,
                                                                         "no_show": 0}
    assert _reserved(store, variant) == 3
    mails = _mail_count()
    reminded = order_clock.send_reminders(now=deadline - timedelta(minutes=30), within_minutes=60)
    assert reminded == 1 and _mail_count() == mails + 1
    assert order_clock.send_reminders(now=deadline - timedelta(minutes=20), within_minutes=60) == 0
    assert order_clock.expire_due(now=deadline) == {"expired": 0, "no_show": 1}
    db.session.refresh(order)
    assert order.state == "no_show" and order.payments[0].state == "cancelled"
    assert _reserved(store, variant) == 0
    assert order_clock.expire_due(now=deadline + timedelta(hours=1)) == {"expired": 0,
                                                                       "no_show": 0}


def test_the_periodic_task_is_registered_every_minute(app):
    huey = app.extensions["huey"]
    task = app.extensions["huey_tasks"]["orders.clock"]
    assert task.name == "orders.clock"
    assert "marketplace.jobs.orders.clock" in huey._registry._registry
    periodic = [t.name for t in huey._registry.periodic_tasks]
    # The core's three, and the built-in plugins' (marketplace_register_periodic_jobs).
    assert sorted(periodic) == ["booking_appointments.expire_holds",
                                "booking_appointments.reminders", "delivery.tracking_poll",
                                "orders.clock", "search.opening_hours"]
