"""Card payments through Stripe, against localstripe with the real ``stripe`` SDK over HTTP:
authorized when the orders are placed, captured at pickup for what is collected (partial
capture), released on a no-show or a cancellation, one PaymentIntent for a checkout across
merchants, refunds after a return, declined cards and 3-D Secure, the late-pickup policies,
and the authorization that lapsed before capture."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app
from markupsafe import escape

from marketplace.database import utcnow
from marketplace.errors import ValidationError
from marketplace.jobs import order_clock
from marketplace.orders import codes, lifecycle, returns
from marketplace.orders.audit import Actor
from marketplace.outbox.services import drain
from marketplace.payments import services as payments
from marketplace.plugins import services as plugin_services
from marketplace.settlement.models import LedgerEntry
from tests.support.cards import (
    order_by_card,
    pay,
    plugin_module,
    stripe_api,
)
from tests.support.localstripe_server import post_form
from tests.support.shopping import NOW, buy, pickup_choice, slot_at


def staff_of(owner_of, merchant):
    return Actor.staff(owner_of(merchant).user)


def collect(order, staff, quantities=None):
    lifecycle.mark_ready(order, actor=staff)
    lifecycle.collect(order, actor=staff, code=codes.pickup_code(order), quantities=quantities)


def remote(stripe_platform, payment):
    return stripe_api(stripe_platform).v1.payment_intents.retrieve(payment.reference).to_dict()


def ledger(db, merchant):
    return [(e.kind, e.collected_by, e.gross) for e in db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.merchant_id == merchant.id)
        .order_by(LedgerEntry.id))]


def test_an_order_paid_by_card_is_authorized_then_captured_at_pickup(
        db, card_shop, buyer, owner_of, stripe_platform):
    merchant, *_ = shop = card_shop()
    checkout, order, _store, _variant = order_by_card(shop, buyer)
    assert order.state == "pending_payment"

    outcome = pay(checkout)
    assert (outcome.status, outcome.orders) == ("authorized", [order.number])
    payment = order.payments[0]
    assert (order.state, payment.state) == ("confirmed", "authorized")
    intent = remote(stripe_platform, payment)
    assert (intent["status"], intent["amount"], intent["currency"]) == (
        "requires_capture", order.total, "vnd")  # đồng are zero-decimal: the same number
    assert intent["capture_method"] == "manual"
    assert intent["metadata"]["orders"] == order.number
    assert payment.capture_before is not None and ledger(db, merchant) == []

    collect(order, staff_of(owner_of, merchant))
    assert payment.state == "authorized"  # captured after the commit, by the outbox
    drain()
    assert remote(stripe_platform, payment)["status"] == "succeeded"
    assert (payment.state, payment.captured_amount) == ("captured", order.total)
    assert ledger(db, merchant) == [("capture", "platform", order.total)]


def test_collecting_part_of_the_order_captures_only_that_part(
        db, card_shop, buyer, owner_of, stripe_platform):
    merchant, *_ = shop = card_shop()
    checkout, order, _store, variant = order_by_card(shop, buyer, quantity=2)
    pay(checkout)
    (line,) = order.lines
    collect(order, staff_of(owner_of, merchant), quantities={str(line.id): 1})
    drain()
    payment = order.payments[0]
    assert (payment.state, payment.captured_amount) == ("captured", variant.price)
    intent = remote(stripe_platform, payment)
    charge = intent["latest_charge"]  # the rest of the hold is released (shown as refunded)
    assert (charge["captured"], charge["amount"] - charge["amount_refunded"]) == (
        True, variant.price)
    assert ledger(db, merchant) == [("capture", "platform", variant.price)]


def test_a_no_show_releases_the_authorization(db, card_shop, buyer, stripe_platform):
    merchant, *_ = shop = card_shop()
    checkout, order, _store, _variant = order_by_card(shop, buyer)
    pay(checkout)
    counts = order_clock.expire_due(now=order.expires_at + timedelta(seconds=1))
    assert counts["no_show"] == 1
    drain()
    payment = order.payments[0]
    assert (order.state, payment.state) == ("no_show", "voided")
    assert remote(stripe_platform, payment)["status"] == "canceled"
    assert ledger(db, merchant) == []


def test_one_card_payment_pays_two_merchants_and_each_order_settles_its_own_share(
        db, card_shop, buyer, owner_of, stripe_platform):
    first, (first_store, _), first_listing = card_shop()
    second, (second_store, _), second_listing = card_shop()
    checkout = buy(buyer, [(first_listing.variants[0], 1), (second_listing.variants[0], 2)], [
        pickup_choice(first, first_store, slot_at(first_store), provider="stripe"),
        pickup_choice(second, second_store, slot_at(second_store), provider="stripe")])
    ours, theirs = sorted(checkout.orders, key=lambda o: o.merchant_id != first.id)
    outcome = pay(checkout)
    assert sorted(outcome.orders) == sorted([ours.number, theirs.number])
    assert ours.payments[0].reference == theirs.payments[0].reference  # one PaymentIntent
    intent = remote(stripe_platform, ours.payments[0])
    assert intent["amount"] == ours.total + theirs.total

    collect(ours, staff_of(owner_of, first))
    drain()
    # The intent is captured once, when every share is settled: the other order is open.
    assert remote(stripe_platform, ours.payments[0])["status"] == "requires_capture"
    assert ours.payments[0].state == "authorized"

    lifecycle.cancel_by_store(theirs, actor=staff_of(owner_of, second), reason="Hết hàng")
    drain()
    assert remote(stripe_platform, ours.payments[0])["status"] == "succeeded"
    assert (ours.payments[0].state, ours.payments[0].captured_amount) == ("captured", ours.total)
    assert theirs.payments[0].state == "voided"
    assert ledger(db, first) == [("capture", "platform", ours.total)]
    assert ledger(db, second) == []


def test_a_return_in_store_is_refunded_to_the_card(
        db, card_shop, buyer, owner_of, stripe_platform):
    merchant, (store, _), _listing = shop = card_shop()
    checkout, order, _store, variant = order_by_card(shop, buyer, quantity=2)
    pay(checkout)
    staff = staff_of(owner_of, merchant)
    collect(order, staff)
    drain()
    (line,) = order.lines
    returns.return_in_store(order, store=store, actor=staff, reason="Không vừa",
                            lines=[{"line_id": line.id, "quantity": 1,
                                    "condition": "resellable"}])
    (refund,) = order.refunds
    assert (refund.state, refund.method) == ("pending", "provider")
    drain()
    assert refund.state == "succeeded" and refund.reference.startswith("re_")
    found = stripe_api(stripe_platform).v1.refunds.retrieve(refund.reference).to_dict()
    assert (found["amount"], found["payment_intent"]) == (variant.price,
                                                          order.payments[0].reference)
    assert ledger(db, merchant) == [("capture", "platform", order.total),
                                    ("refund", "platform", -variant.price)]
    with pytest.raises(ValidationError):  # more than is left of the capture
        payments.refund(order.payments[0], order.total, actor=staff, reason="Quá số")


def test_a_declined_card_leaves_the_orders_unpaid_and_held(db, card_shop, buyer):
    shop = card_shop()
    checkout, order, store, variant = order_by_card(shop, buyer)
    outcome = pay(checkout, "pm_card_chargeCustomerFail")  # the bank declines the charge
    assert outcome.status == "failed" and "declined" in outcome.message.lower()
    assert (order.state, order.payments[0].state) == ("pending_payment", "pending")
    assert sum(line.held_quantity for line in order.lines) == 2
    assert pay(checkout).status == "authorized"  # another card, within the deadline


def test_three_d_secure_is_finished_in_the_browser_then_applied(
        db, card_shop, buyer, stripe_platform):
    shop = card_shop()
    checkout, order, _store, _variant = order_by_card(shop, buyer)
    method = stripe_api(stripe_platform).v1.payment_methods.create({
        "type": "card", "card": {"number": "4000002500003155", "exp_month": 12,
                                 "exp_year": 2030, "cvc": "123"}})
    outcome = pay(checkout, method["id"])
    assert outcome.status == "requires_action" and outcome.client_secret
    assert order.state == "pending_payment"
    # What Stripe.js does in the customer's browser (localstripe's stand-in for the dialog).
    intent_id = outcome.client_secret.split("_secret_")[0]
    post_form(f"{stripe_platform}/v1/payment_intents/{intent_id}/_authenticate?success=true",
              [("client_secret", outcome.client_secret)])
    checkout_module = plugin_module("paying")
    assert checkout_module.after_action(checkout).status == "authorized"
    assert (order.state, order.payments[0].state) == ("confirmed", "authorized")


def test_an_authorization_that_lapsed_leaves_the_collected_order_for_staff_to_charge(
        db, client, login, card_shop, buyer, owner_of, stripe_platform):
    merchant, *_ = shop = card_shop()
    checkout, order, _store, _variant = order_by_card(shop, buyer)
    pay(checkout)
    payment = order.payments[0]
    stripe_api(stripe_platform).v1.payment_intents.cancel(payment.reference)  # it lapsed
    collect(order, staff_of(owner_of, merchant))
    drain()
    assert order.state == "collected"
    # Written for staff in the platform's language, by the worker (no request to ask).
    assert (payment.state, payment.failure) == ("failed", str(plugin_module("intents").LAPSED))
    assert ledger(db, merchant) == []
    db.session.commit()
    login(owner_of(merchant).user)
    page = client.get(f"/dashboard/{merchant.slug}/orders/{order.id}").get_data(as_text=True)
    assert "data-payment-failure" in page and escape(payment.failure) in page


def test_a_pickup_beyond_the_card_hold_is_captured_in_full_before_it_lapses(
        db, card_shop, buyer, owner_of, stripe_platform):
    merchant, *_ = shop = card_shop()
    checkout, order, _store, variant = order_by_card(shop, buyer, quantity=2)
    pay(checkout)
    payment = order.payments[0]
    assert order_clock.capture_lapsing(now=payment.capture_before - timedelta(hours=30),
                                       margin_hours=24) == 0
    assert order_clock.capture_lapsing(now=payment.capture_before - timedelta(hours=23),
                                       margin_hours=24) == 1
    drain()
    assert (payment.state, payment.captured_amount) == ("captured", order.total)
    (line,) = order.lines
    collect(order, staff_of(owner_of, merchant), quantities={str(line.id): 1})
    drain()
    (refund,) = order.refunds  # what was not collected goes back to the card
    assert (refund.amount, refund.state) == (variant.price, "succeeded")
    assert ledger(db, merchant) == [("capture", "platform", order.total),
                                    ("refund", "platform", -variant.price)]


def test_a_merchant_may_charge_late_pickups_at_once(db, card_shop, buyer, stripe_platform,
                                                     monkeypatch):
    merchant, *_ = shop = card_shop()
    plugin_services.update_merchant_settings(merchant, "payment_stripe",
                                             {"late_pickup": "charge_at_order"})
    checkout, order, _store, _variant = order_by_card(shop, buyer)
    # A pickup within the hold: authorized and left for the pickup.
    pay(checkout)
    assert order.payments[0].state == "authorized"
    drain()
    assert order.payments[0].state == "authorized"
    # Another order, once the hold (less the safety margin) ends before its pickup.
    second, other_order, _s, _v = order_by_card(shop, buyer, index=1)
    # The hold's end comes from the Stripe server's clock (today), the order's times from the
    # fixed NOW: the margin grows with the days since NOW, or the test would expire.
    days_since_now = max((utcnow() - NOW).days + 1, 0)
    monkeypatch.setitem(current_app.config, "CAPTURE_MARGIN_HOURS", 24 * (9 + days_since_now))
    late = plugin_module("paying").due(second, NOW).late
    assert [p.order.number for p in late] == [other_order.number]
    pay(second)
    drain()
    assert (other_order.payments[0].state, other_order.payments[0].captured_amount) == (
        "captured", other_order.total)


def test_every_change_at_stripe_carries_an_idempotency_key_made_from_our_ids(
        db, card_shop, buyer, owner_of, stripe_platform, monkeypatch):
    import stripe

    sent = []
    original = stripe.RequestsClient.request

    def spy(self, method, url, headers, post_data=None):
        if method == "post":
            sent.append((url.split("/v1/")[1], headers.get("Idempotency-Key")))
        return original(self, method, url, headers, post_data)

    monkeypatch.setattr(stripe.RequestsClient, "request", spy)
    merchant, *_ = shop = card_shop()
    checkout, order, _store, _variant = order_by_card(shop, buyer)
    pay(checkout)
    collect(order, staff_of(owner_of, merchant))
    drain()
    intent = order.payments[0].reference
    (payment,) = order.payments
    assert [key for _path, key in sent] == [
        f"o2o-pay-{checkout.id}-{payment.id}-pm_card_visa", f"o2o-capture-{intent}"]
    # Paying again with the same card is refused before Stripe is asked: nothing waits.
    with pytest.raises(ValidationError):
        pay(checkout)
    assert len(sent) == 2


def test_currencies_stripe_cannot_charge_are_refused_clearly(app, stripe_platform):
    gateway = plugin_module("gateway")
    with app.test_request_context():
        assert gateway.to_stripe(150000, "VND") == 150000
        assert gateway.to_stripe(1999, "USD") == 1999
        assert gateway.to_stripe(5, "ISK") == 500  # ISK has no minor unit; Stripe counts 100ths
        assert gateway.from_stripe(500, "ISK") == 5
        with pytest.raises(ValidationError) as refused:
            gateway.to_stripe(100, "XAG")
        assert "XAG" in str(refused.value.message)
        provider = app.extensions["plugins"].payment_providers.get("stripe")
        assert provider.supports_currency("VND") and not provider.supports_currency("XAG")
