"""Card payments in tests: the platform's Stripe settings pointed at localstripe, a shop that
takes cards, orders paid by card, and Stripe's webhook signature made the way Stripe makes it
(for deliveries the tests send themselves; localstripe's own deliveries are tested too)."""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import time

import pytest
import stripe

from marketplace.plugins import services as plugin_services
from tests.support.localstripe_server import SECRET_KEY
from tests.support.shopping import NOW, buy, pickup_choice, slot_at

STRIPE = "payment_stripe"
WEBHOOK_SECRET = "whsec_o2o_tests_0123456789abcdef"
PUBLISHABLE_KEY = "pk_test_o2oMarketplaceTests"


def plugin_module(name: str):
    """A module of the built-in plugin as the app loaded it (``marketplace_builtins.…``)."""
    return importlib.import_module(f"marketplace_builtins.{STRIPE}.{name}")


def configure_stripe(api_base: str) -> None:
    """The platform's Stripe keys, as the admin enters them (stored encrypted)."""
    gateway = plugin_module("gateway")
    plugin_services.update_global_settings(STRIPE, {
        "publishable_key": PUBLISHABLE_KEY, "secret_key": SECRET_KEY,
        "webhook_secret": WEBHOOK_SECRET, "api_base": api_base})
    gateway.reset_clients()


@pytest.fixture
def stripe_platform(db, localstripe, monkeypatch):
    """Stripe set up on the platform, talking to this session's localstripe, no retries."""
    monkeypatch.setenv("STRIPE_NETWORK_RETRIES", "0")
    configure_stripe(localstripe)
    return localstripe


@pytest.fixture
def card_shop(selling_shop, stripe_platform):
    """A shop that takes cards (and pay at store), with two stores and stock."""

    def factory(**store_data):
        merchant, stores, listing = selling_shop(**store_data)
        plugin_services.set_enabled(merchant, STRIPE, True)
        return merchant, stores, listing

    return factory


def stripe_api(base: str) -> stripe.StripeClient:
    """The test's own view of localstripe, to look at what the platform did there."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": base}, max_network_retries=0)


def order_by_card(shop, buyer, quantity=2, *, index=0):
    merchant, (store, _other), listing = shop
    variant = listing.variants[0]
    checkout = buy(buyer, [(variant, quantity)],
                   [pickup_choice(merchant, store, slot_at(store, index=index),
                                  provider="stripe")])
    return checkout, checkout.orders[0], store, variant


def pay(checkout, payment_method="pm_card_visa"):
    return plugin_module("paying").charge(checkout, payment_method, now=NOW)


def signed(event: dict, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> tuple:
    """``(body, headers)`` of a webhook delivery signed as Stripe signs one: HMAC-SHA256 of
    ``"<timestamp>.<body>"`` with the endpoint's secret."""
    body = json.dumps(event).encode()
    stamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={stamp},v1={mac}",
                  "Content-Type": "application/json"}


def intent_event(intent_id: str, kind: str = "payment_intent.succeeded", *,
                 event_id: str | None = None) -> dict:
    return {"id": event_id or f"evt_{intent_id}_{kind}", "object": "event", "type": kind,
            "created": int(time.time()), "livemode": False, "api_version": "2024-06-20",
            "data": {"object": {"id": intent_id, "object": "payment_intent"}}}
