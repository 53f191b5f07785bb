"""Times are shown in the store's own zone, never in the platform's default one (flask-babel
would convert an aware time to its default zone, Asia/Ho_Chi_Minh, unless told not to)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import force_locale

from marketplace.orders.notifications import local
from marketplace.web.shop import store_time


def test_a_tokyo_store_shows_tokyo_time(app, db, make_merchant, make_store):
    store = make_store(make_merchant(), timezone="Asia/Tokyo")
    moment = datetime(2026, 12, 9, 1, 30, tzinfo=UTC)  # 10:30 in Tokyo, 08:30 in Hồ Chí Minh
    with app.test_request_context("/"), force_locale("en"):
        assert "10:30" in store_time(store, moment)

        class Order:
            pass

        order = Order()
        order.store = store
        assert "10:30" in local(order, moment)
