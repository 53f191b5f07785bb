"""Stripe's webhooks (signature against the raw body, five-minute window, one handling per
event id, the PaymentIntent fetched again whatever the event said) and the card payment's
page and REST API for consumers."""

from __future__ import annotations

import re

import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.orders.models import AuditEntry, Order
from tests.support.cards import (
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
    intent_event,
    plugin_module,
    signed,
)
from tests.support.shopping import buy, pickup_choice, slot_at

WEBHOOK = "/payments/stripe/webhook"


def authorized_behind_our_back(checkout, now):
    """A PaymentIntent Stripe authorized while our side never heard (the customer's
    connection dropped after paying): only a webhook can tell us."""
    intents = plugin_module("intents")
    attempt = intents.plan(checkout, payment_method="pm_card_visa", now=now)
    return intents.create_remote(attempt)["id"]


def events_recorded(db):
    models = plugin_module("models")
    return db.session.scalar(sa.select(sa.func.count()).select_from(models.StripeEvent))


def order_changes(db, order):
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.order_id == order.id, AuditEntry.entity == "order",
        AuditEntry.event == "pay"))


def live_order(db, card_shop, buyer):
    """An order placed now (the card page and the API check the payment deadline against
    the clock)."""
    merchant, (store, _other), listing = card_shop()
    return live_order_at(db, merchant, store, listing.variants[0], buyer)


def live_order_at(db, merchant, store, variant, buyer):
    now = utcnow()
    checkout = buy(buyer, [(variant, 1)],
                   [pickup_choice(merchant, store, slot_at(store, now=now), provider="stripe")],
                   now=now)
    db.session.commit()
    return checkout, checkout.orders[0]


def test_a_signed_webhook_confirms_the_order_once_and_a_replay_changes_nothing(
        db, client, card_shop, buyer):
    checkout, order = live_order(db, card_shop, buyer)
    intent_id = authorized_behind_our_back(checkout, utcnow())
    assert order.state == "pending_payment"
    body, headers = signed(intent_event(intent_id))
    response = client.post(WEBHOOK, data=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.status_code == 200 and response.get_json() == {"received": True}
    db.session.refresh(order)
    assert (order.state, order.payments[0].state) == ("confirmed", "authorized")
    assert order_changes(db, order) == 1 and events_recorded(db) == 1

    again = client.post(WEBHOOK, data=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert order_changes(db, order) == 1 and events_recorded(db) == 1


def test_bad_signatures_and_old_deliveries_are_refused_without_a_write(
        db, client, card_shop, buyer):
    checkout, order = live_order(db, card_shop, buyer)
    intent_id = authorized_behind_our_back(checkout, utcnow())
    event = intent_event(intent_id)
    body, headers = signed(event, secret="whsec_someone_else")
    assert client.post(WEBHOOK, data=body, headers=headers).status_code == 400
    body, headers = signed(event, at=int(utcnow().timestamp()) - 301)  # over five minutes
    assert client.post(WEBHOOK, data=body, headers=headers).status_code == 400
    body, headers = signed(event)
    tampered = body.replace(b"payment_intent.succeeded", b"payment_intent.canceled")
    assert client.post(WEBHOOK, data=tampered, headers=headers).status_code == 400
    assert client.post(WEBHOOK, data=body).status_code == 400  # no signature at all
    db.session.refresh(order)
    assert order.state == "pending_payment" and events_recorded(db) == 0


def test_an_event_is_acted_on_as_stripe_has_the_payment_now_not_as_it_says(
        db, client, card_shop, buyer):
    checkout, order = live_order(db, card_shop, buyer)
    intent_id = authorized_behind_our_back(checkout, utcnow())
    # A "payment failed" from an earlier attempt, arriving late: the intent is authorized now.
    body, headers = signed(intent_event(intent_id, "payment_intent.payment_failed"))
    assert client.post(WEBHOOK, data=body, headers=headers).status_code == 200
    db.session.refresh(order)
    assert order.state == "confirmed"
    unknown = {**intent_event(intent_id, "customer.created", event_id="evt_other"),
               "data": {"object": {"id": "cus_1", "object": "customer"}}}
    body, headers = signed(unknown)
    assert client.post(WEBHOOK, data=body, headers=headers).status_code == 200  # ignored
    assert order_changes(db, order) == 1 and events_recorded(db) == 2


def test_the_card_page_loads_stripe_only_there_and_takes_a_payment_method(
        db, client, card_shop, buyer, login):
    checkout, order = live_order(db, card_shop, buyer)
    login(buyer)
    page = client.get(f"/payments/stripe/checkout/{checkout.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert PUBLISHABLE_KEY in html and "https://js.stripe.com/v3/" in html
    assert "https://js.stripe.com" in page.headers["Content-Security-Policy"]
    assert "sk_test" not in html and WEBHOOK_SECRET not in html  # secrets never rendered
    assert "js.stripe.com" not in client.get("/orders").headers["Content-Security-Policy"]
    order_page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert f"/payments/stripe/checkout/{checkout.id}" in order_page

    answer = client.post(f"/payments/stripe/checkout/{checkout.id}",
                         json={"payment_method": "pm_card_visa"})
    assert answer.status_code == 200
    assert answer.get_json() | {"next": None} == {
        "status": "authorized", "message": "", "orders": [order.number], "next": None}
    assert answer.get_json()["next"] == f"/orders/{order.number}"
    db.session.refresh(order)
    assert order.state == "confirmed"
    bad = client.post(f"/payments/stripe/checkout/{checkout.id}",
                      json={"payment_method": "4242 4242 4242 4242"})
    assert bad.status_code == 422  # only Stripe's PaymentMethod ids, never card numbers


def test_another_customers_checkout_is_not_found(db, client, card_shop, buyer, make_user,
                                                 login):
    checkout, _order = live_order(db, card_shop, buyer)
    login(make_user())
    assert client.get(f"/payments/stripe/checkout/{checkout.id}").status_code == 404
    assert client.post(f"/payments/stripe/checkout/{checkout.id}",
                       json={"payment_method": "pm_card_visa"}).status_code == 404


def test_the_api_pays_a_checkout_by_card_with_a_consumer_token(db, client, card_shop, buyer,
                                                               make_user):
    from marketplace.plugins.testing_factories import PASSWORD

    checkout, order = live_order(db, card_shop, buyer)
    token = client.post("/api/v1/consumer/tokens",
                        json={"email": buyer.email, "password": PASSWORD}).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/consumer/checkouts/{checkout.id}/card-payment"
    assert client.get(url).status_code == 401
    due = client.get(url, headers=auth)
    assert due.status_code == 200
    assert due.get_json() | {"late_pickup_orders": []} == {
        "checkout_id": checkout.id, "amount": order.total, "currency": "VND",
        "orders": [order.number], "publishable_key": PUBLISHABLE_KEY,
        "late_pickup_orders": []}
    assert client.post(url, json={}, headers=auth).status_code == 422
    paid = client.post(url, json={"payment_method": "pm_card_visa"}, headers=auth)
    assert paid.status_code == 200 and paid.get_json()["status"] == "authorized"
    again = client.get(url, headers=auth)
    assert again.status_code == 422  # nothing left to pay
    other = make_user()
    other_token = client.post("/api/v1/consumer/tokens", json={
        "email": other.email, "password": PASSWORD}).get_json()["token"]
    assert client.get(url, headers={"Authorization": f"Bearer {other_token}"}
                      ).status_code == 404
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/consumer/checkouts/{checkout_id}/card-payment" in spec["paths"]


def test_checkout_offers_cards_with_a_note_and_sends_the_customer_to_the_card_page(
        db, client, card_shop, buyer, login, monkeypatch):
    merchant, (store, _), listing = card_shop()
    login(buyer)
    client.post("/cart/items", data={"variant_id": listing.variants[0].id, "quantity": 1})
    page = client.get("/checkout").get_data(as_text=True)
    assert f'name="provider_{merchant.id}" value="stripe"' in page
    assert "charged when you collect" in page  # the card's note: when the money is taken
    form = {"action": "place", f"include_{merchant.id}": "1",
            f"fulfilment_{merchant.id}": "pickup", f"store_{merchant.id}": store.id,
            f"provider_{merchant.id}": "stripe"}
    for name in ("cart_version", "idempotency_key", f"slot_{merchant.id}"):
        form[name] = re.search(rf'name="{name}" value="([^"]+)"', page).group(1)
    placed = client.post("/checkout", data=form)
    assert placed.status_code == 303, placed.get_data(as_text=True)
    order = db.session.scalars(sa.select(Order)).one()
    assert order.state == "pending_payment"
    assert placed.headers["Location"].endswith(f"/payments/stripe/checkout/{order.checkout_id}")

    # Without the platform's keys, cards are not offered at all.
    monkeypatch.setattr(plugin_module("gateway"), "configured", lambda: False)
    client.post("/cart/items", data={"variant_id": listing.variants[0].id, "quantity": 1})
    assert 'value="stripe"' not in client.get("/checkout").get_data(as_text=True)


def test_back_from_a_redirect_the_card_page_applies_the_payment(
        db, client, card_shop, buyer, login, stripe_platform):
    from tests.support.cards import stripe_api
    from tests.support.localstripe_server import post_form

    checkout, order = live_order(db, card_shop, buyer)
    login(buyer)
    method = stripe_api(stripe_platform).v1.payment_methods.create({
        "type": "card", "card": {"number": "4000002500003155", "exp_month": 12,
                                 "exp_year": 2030, "cvc": "123"}})
    started = client.post(f"/payments/stripe/checkout/{checkout.id}",
                          json={"payment_method": method["id"]}).get_json()
    assert started["status"] == "requires_action"
    intent_id = started["client_secret"].split("_secret_")[0]
    page = f"/payments/stripe/checkout/{checkout.id}"
    # Someone else's (or a made-up) intent in the address is not applied.
    other = client.get(f"{page}?payment_intent=pi_notours&redirect_status=succeeded")
    assert other.status_code == 303 and other.headers["Location"].endswith(page)
    db.session.refresh(order)
    assert order.state == "pending_payment"
    post_form(f"{stripe_platform}/v1/payment_intents/{intent_id}/_authenticate?success=true",
              [("client_secret", started["client_secret"])])
    back = client.get(f"{page}?payment_intent={intent_id}&redirect_status=succeeded")
    assert back.status_code == 303 and back.headers["Location"].endswith(
        f"/orders/{order.number}")
    db.session.refresh(order)
    assert (order.state, order.payments[0].state) == ("confirmed", "authorized")


def test_a_refund_stripe_finishes_later_is_completed_by_its_webhook(
        db, client, card_shop, buyer, owner_of, stripe_platform):
    """Stripe may answer a refund "pending" and finish it later (charge.refund.updated);
    localstripe finishes at once, so the refund is made there directly, as if our request's
    answer had said pending, and its webhook completes ours."""
    from marketplace.orders import codes, lifecycle, returns
    from marketplace.orders.audit import Actor
    from marketplace.outbox.services import drain
    from tests.support.cards import stripe_api

    merchant, (store, _), listing = card_shop()
    checkout, order = live_order_at(db, merchant, store, listing.variants[0], buyer)
    assert plugin_module("paying").charge(checkout, "pm_card_visa").status == "authorized"
    staff = Actor.staff(owner_of(merchant).user)
    lifecycle.mark_ready(order, actor=staff)
    lifecycle.collect(order, actor=staff, code=codes.pickup_code(order))
    drain()
    (line,) = order.lines
    returns.return_in_store(order, store=store, actor=staff, reason="Lỗi",
                            lines=[{"line_id": line.id, "quantity": 1,
                                    "condition": "damaged"}])
    (refund,) = order.refunds
    made = stripe_api(stripe_platform).v1.refunds.create({
        "payment_intent": order.payments[0].reference, "amount": refund.amount})
    refund.reference = made["id"]
    db.session.commit()
    body, headers = signed({**intent_event(made["id"], "charge.refund.updated",
                                           event_id="evt_refund_done"),
                            "data": {"object": {"id": made["id"], "object": "refund"}}})
    assert client.post(WEBHOOK, data=body, headers=headers).status_code == 200
    db.session.refresh(refund)
    assert refund.state == "succeeded"
    assert client.post(WEBHOOK, data=body, headers=headers).get_json()["duplicate"] is True
