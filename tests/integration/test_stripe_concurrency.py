"""Card payments under concurrency, with real transactions (PostgreSQL proves the row locks;
SQLite runs the same with fewer threads) and localstripe as Stripe:

* the same webhook delivered ten times at once changes the order once;
* staff handing an order over while a colleague cancels it: one of them wins, and Stripe ends
  in the matching state (captured for the collected amount, or released);
* a webhook delivered by localstripe itself, signed with its secret, to a running server.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from marketplace.extensions import db
from marketplace.orders.models import AuditEntry, Checkout, Order
from marketplace.outbox.services import drain
from tests.support.apps import fresh_database_app
from tests.support.cards import (
    WEBHOOK_SECRET,
    configure_stripe,
    intent_event,
    plugin_module,
    signed,
    stripe_api,
)
from tests.support.localstripe_server import post_form
from tests.support.meilisearch_server import free_port
from tests.support.stampede import all_at_once
from tests.support.waiting_order import order_waiting_for_payment

POOL = {"pool_size": 24, "max_overflow": 0, "pool_pre_ping": True, "pool_timeout": 120}
KINDS = [("sqlite", 10), pytest.param("postgres", 10, marks=pytest.mark.postgres)]


def _card_order(app, api_base: str) -> dict:
    """A shop taking cards, and an order of 2 waiting for its card payment."""
    with app.app_context():
        configure_stripe(api_base)
        db.session.commit()
        db.session.remove()
    return order_waiting_for_payment(app, plugin="payment_stripe", provider="stripe",
                                     price=450000)


def _authorize_behind_our_back(app, ids) -> str:
    with app.app_context():
        intents = plugin_module("intents")
        found = db.session.get(Checkout, ids["checkout"])
        attempt = intents.plan(found, payment_method="pm_card_visa", now=datetime.now(UTC))
        db.session.commit()
        intent_id = intents.create_remote(attempt)["id"]
        db.session.remove()
        return intent_id


def _state(app, order_id):
    with app.app_context():
        order = db.session.get(Order, order_id)
        paid = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.order_id == order_id, AuditEntry.entity == "order",
            AuditEntry.event == "pay"))
        found = (order.state, order.payments[0].state, order.payments[0].captured_amount, paid)
        db.session.remove()
        return found


@pytest.mark.parametrize("kind, deliveries", KINDS)
def test_the_same_webhook_ten_times_at_once_changes_the_order_once(
        tmp_path, localstripe, monkeypatch, kind, deliveries):
    monkeypatch.setenv("STRIPE_NETWORK_RETRIES", "0")
    with fresh_database_app(kind, tmp_path, "webhooks", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        ids = _card_order(app, localstripe)
        intent_id = _authorize_behind_our_back(app, ids)
        body, headers = signed(intent_event(intent_id))

        def deliver(_index: int) -> str:
            response = app.test_client().post("/payments/stripe/webhook", data=body,
                                              headers=headers)
            answer = response.get_json(silent=True) or {}
            return f"{response.status_code} {'duplicate' if answer.get('duplicate') else 'new'}"

        outcomes = all_at_once(deliveries, deliver)
        assert outcomes == Counter({"200 new": 1, "200 duplicate": deliveries - 1}), outcomes
        assert _state(app, ids["order"]) == ("confirmed", "authorized", 0, 1)


@pytest.mark.parametrize("kind, staff", [("sqlite", 3),
                                         pytest.param("postgres", 8,
                                                      marks=pytest.mark.postgres)])
def test_collecting_and_cancelling_at_once_end_in_one_state_here_and_at_stripe(
        tmp_path, localstripe, monkeypatch, kind, staff):
    monkeypatch.setenv("STRIPE_NETWORK_RETRIES", "0")
    with fresh_database_app(kind, tmp_path, "race", SQLALCHEMY_ENGINE_OPTIONS=POOL) as app:
        ids = _card_order(app, localstripe)
        with app.app_context():
            paying = plugin_module("paying")
            outcome = paying.charge(db.session.get(Checkout, ids["checkout"]),
                                    "pm_card_visa")
            assert outcome.status == "authorized"
            db.session.remove()
        auth = {"Authorization": f"Bearer {ids['token']}"}
        client = app.test_client()
        ready = client.post(f"/api/v1/orders/{ids['order']}/events",
                            json={"event": "mark_ready"}, headers=auth)
        assert ready.status_code == 200, ready.get_json()

        def work(index: int) -> str:
            body = ({"event": "collect", "code": ids["code"]} if index % 2 == 0
                    else {"event": "cancel", "reason": "Khách đổi ý"})
            response = app.test_client().post(f"/api/v1/orders/{ids['order']}/events",
                                              json=body, headers=auth)
            return f"{body['event']} {response.status_code}"

        outcomes = all_at_once(staff, work)
        assert not [o for o in outcomes if o.endswith(("500", "503"))], outcomes
        assert sum(n for o, n in outcomes.items() if o.endswith(" 200")) == 1, outcomes
        with app.app_context():
            while drain():
                pass
            db.session.remove()
        state, payment, captured, _paid = _state(app, ids["order"])
        with app.app_context():
            intent_id = db.session.get(Order, ids["order"]).payments[0].reference
            db.session.remove()
        remote = stripe_api(localstripe).v1.payment_intents.retrieve(intent_id).to_dict()
        if state == "collected":
            assert (payment, captured, remote["status"]) == ("captured", ids["total"],
                                                              "succeeded")
        else:
            assert (state, payment, captured, remote["status"]) == (
                "cancelled", "voided", 0, "canceled")


def _events(app) -> list[tuple[str, str]]:
    with app.app_context():
        events = plugin_module("models").StripeEvent
        found = [(e.type, e.object_id) for e in db.session.scalars(sa.select(events))]
        db.session.remove()
        return found


def test_webhooks_sent_by_localstripe_are_verified_and_recorded_once(
        tmp_path, localstripe, monkeypatch):
    """localstripe signs its deliveries itself: one registration with our secret, one with
    another. The capture at pickup makes it send ``payment_intent.succeeded`` to both; ours
    is verified and recorded (and changes nothing: the capture is already booked), the other
    is refused."""
    monkeypatch.setenv("STRIPE_NETWORK_RETRIES", "0")
    with fresh_database_app("sqlite", tmp_path, "delivered") as app:
        ids = _card_order(app, localstripe)
        port = free_port()
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            for name, secret in (("ours", WEBHOOK_SECRET), ("forged", "whsec_not_ours")):
                post_form(f"{localstripe}/_config/webhooks/o2o-{port}-{name}", [
                    ("url", f"http://127.0.0.1:{port}/payments/stripe/webhook"),
                    ("secret", secret), ("events[]", "payment_intent.succeeded")])
            with app.app_context():
                paying = plugin_module("paying")
                assert paying.charge(db.session.get(Checkout, ids["checkout"]),
                                     "pm_card_visa").status == "authorized"
                db.session.remove()
            auth = {"Authorization": f"Bearer {ids['token']}"}
            client = app.test_client()
            for body in ({"event": "mark_ready"}, {"event": "collect", "code": ids["code"]}):
                answer = client.post(f"/api/v1/orders/{ids['order']}/events", json=body,
                                     headers=auth)
                assert answer.status_code == 200, answer.get_json()
            with app.app_context():
                while drain():
                    pass
                intent_id = db.session.get(Order, ids["order"]).payments[0].reference
                db.session.remove()
            deadline = time.monotonic() + 20
            while not _events(app):
                assert time.monotonic() < deadline, "localstripe's webhook never arrived"
                time.sleep(0.2)
            time.sleep(1.5)  # the forged delivery, sent at the same time, had its chance too
            # (Other tests' intents may be announced here too: localstripe tells every hook.)
            ours = [e for e in _events(app) if e[1] == intent_id]
            assert ours == [("payment_intent.succeeded", intent_id)]
            assert _state(app, ids["order"]) == ("collected", "captured", ids["total"], 1)
        finally:
            for name in ("ours", "forged"):  # localstripe cannot forget a hook: mute it
                post_form(f"{localstripe}/_config/webhooks/o2o-{port}-{name}", [
                    ("url", f"http://127.0.0.1:{port}/gone"), ("secret", "whsec_gone"),
                    ("events[]", "nothing.ever")])
            server.shutdown()
