"""Paying by card (``payment_stripe``) through the real pages in Chromium.

A consumer checks out with pickup and "Card", lands on the card page, types a test card into
the Payment Element, pays, and lands on her order, confirmed; the payment is authorized in
the database and localstripe holds a ``requires_capture`` PaymentIntent for the order's
total. A 3-D Secure card goes through ``handleNextAction`` and ends confirmed too; a declined
card shows the card's message and the order keeps waiting for payment; and without
Stripe.js the page says its form could not be loaded.

The real Stripe.js cannot load here (no internet): the platform's ``js_url`` points at a
TEST DOUBLE of it (``tests/support/stripe_js_double``), whose calls reach localstripe, the
same fake Stripe the server side talks to (``api_base``). So everything of ours is real:
pay.js, the page and its Content-Security-Policy, the JSON calls, the PaymentIntent.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from marketplace.accounts.services import register_user
from marketplace.extensions import db
from marketplace.merchants.models import Merchant
from marketplace.orders.models import Order
from marketplace.plugins import services as plugin_services
from tests.browser.test_click_and_collect import (
    PASSWORD,
    Shop,
    add_to_cart,
    expect_ok,
    log_in,
    open_shop,
    platform_admin,
)
from tests.support.cards import PUBLISHABLE_KEY, STRIPE, WEBHOOK_SECRET, stripe_api
from tests.support.localstripe_server import SECRET_KEY
from tests.support.meilisearch_server import free_port
from tests.support.stripe_js_double import StripeJsDouble, stripe_js_double

pytestmark = pytest.mark.browser

# The live server's database is shared by the browser tests: accounts of this module only.
CONSUMER = "hoa.le@khach-the.example.vn"
OWNER = "chu@banhmithe.example.vn"
PRICE = 65000
UNAVAILABLE = "The card form could not be loaded. Check your connection and reload the page."


def set_stripe(*, api_base: str | None, js_url: str | None) -> None:
    """The platform's Stripe settings, as the admin enters them (call in an app context)."""
    from marketplace_builtins.payment_stripe import gateway

    keys = {"publishable_key": PUBLISHABLE_KEY, "secret_key": SECRET_KEY,
            "webhook_secret": WEBHOOK_SECRET}
    plugin_services.update_global_settings(
        STRIPE, {**keys, "api_base": api_base, "js_url": js_url} if api_base else {})
    db.session.commit()
    gateway.reset_clients()


@pytest.fixture(scope="module")
def stripe_js(localstripe):
    with stripe_js_double(localstripe) as double:
        yield double


@pytest.fixture(scope="module")
def card_shop(live_server, localstripe, stripe_js):
    """A shop taking cards, the platform's Stripe pointed at localstripe and the double."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STRIPE_NETWORK_RETRIES", "0")
        with live_server.app.app_context():
            shop = open_shop(owner_email=OWNER, name="Bánh Mì Thẻ", store_name="Bánh Mì Thẻ Lê Lợi",
                             title="Bánh mì đặc biệt", variants=[{"sku": "BMT-1", "price": PRICE}],
                             admin=platform_admin("qt@browser-card.example.vn"))
            set_stripe(api_base=localstripe, js_url=stripe_js.js_url)
            merchant = db.session.query(Merchant).filter_by(slug=shop.slug).one()
            plugin_services.set_enabled(merchant, STRIPE, True)
            register_user(email=CONSUMER, password=PASSWORD, full_name="Lê Thị Hoa")
            db.session.commit()
            db.session.remove()
        yield shop
        with live_server.app.app_context():  # cards are offered nowhere else afterwards
            set_stripe(api_base=None, js_url=None)
            db.session.remove()


@pytest.fixture
def consumer(new_context, live_server, card_shop):
    """The consumer's page, logged in; uncaught script errors are kept in ``page.js_errors``."""
    page = new_context(locale="en-US").new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    log_in(page, CONSUMER)
    return page


def place_card_order(page: Page, shop: Shop, live_server) -> tuple[str, str]:
    """Check out one item, pickup, paying by card; on the card page: (checkout id, order)."""
    add_to_cart(page, shop, 1, live_server)
    page.goto("/checkout")
    part = page.locator("section.checkout-part").filter(has_text=shop.name)
    part.get_by_label(re.compile("Pick up in a time slot")).check()
    part.locator("fieldset.slots input[type=radio]").first.check()
    part.get_by_label(re.compile(r"Card \(Visa")).check()
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(r"/payments/stripe/checkout/\d+$"))
    expect_ok(page, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay by card")
    checkout_id = page.url.rsplit("/", 1)[1]
    number = page.locator("main a[href*='/orders/DH']").first.inner_text().strip()
    return checkout_id, number


def type_card(page: Page, card_number: str) -> None:
    element = page.locator("#payment-element")
    element.get_by_label("Card number").fill(card_number)
    element.get_by_label("Expiration date").fill("12 / 34")
    element.get_by_label("Security code").fill("123")


def pay_button(page: Page):
    return page.locator("form[data-stripe-pay]").get_by_role("button", name=re.compile("^Pay "))


def stored(live_server, number: str) -> tuple[str, str, str | None, int]:
    """(order state, payment state, PaymentIntent id, order total) as the database has them."""
    with live_server.app.app_context():
        order = db.session.scalars(sa.select(Order).where(Order.number == number)).one()
        (payment,) = order.payments
        found = (order.state, payment.state, payment.reference, order.total)
        db.session.remove()
    return found


def assert_held_at_stripe(localstripe: str, intent_id: str, total: int, last4: str) -> None:
    intent = stripe_api(localstripe).v1.payment_intents.retrieve(intent_id).to_dict()
    assert (intent["status"], intent["amount"], intent["currency"],
            intent["capture_method"]) == ("requires_capture", total, "vnd", "manual")
    method = stripe_api(localstripe).v1.payment_methods.retrieve(intent["payment_method"])
    assert method.to_dict()["card"]["last4"] == last4  # the card typed in the browser


def test_pay_by_card_and_the_order_is_confirmed(consumer, live_server, card_shop, localstripe,
                                                screenshot_dir):
    checkout_id, number = place_card_order(consumer, card_shop, live_server)
    expect(pay_button(consumer)).to_be_enabled()  # pay.js found "Stripe.js" and mounted
    # pay.js asks Stripe for what the server will authorize: this order's total, held.
    asked = consumer.evaluate("window.__stripeDouble")
    assert asked["key"] == PUBLISHABLE_KEY and asked["mounted"] == "#payment-element"
    assert asked["elementsOptions"] == {
        "mode": "payment", "amount": PRICE, "currency": "vnd", "captureMethod": "manual",
        "paymentMethodCreation": "manual", "paymentMethodTypes": ["card"]}
    type_card(consumer, "4242 4242 4242 4242")
    if screenshot_dir:
        consumer.screenshot(path=str(screenshot_dir / "card-page.png"), full_page=True)
    pay_button(consumer).click()

    expect(consumer).to_have_url(re.compile(rf"/orders/{number}$"))
    expect(consumer.locator("h1 .badge")).to_have_text("Confirmed")
    expect_ok(consumer, live_server)
    state, payment_state, intent_id, total = stored(live_server, number)
    assert (state, payment_state, total) == ("confirmed", "authorized", PRICE)
    assert_held_at_stripe(localstripe, intent_id, total, "4242")
    consumer.goto(f"/payments/stripe/checkout/{checkout_id}")  # nothing is left to pay
    expect(consumer).not_to_have_url(re.compile(r"/payments/stripe/"))
    assert consumer.js_errors == []


def test_three_d_secure_runs_handle_next_action_then_confirms(
        consumer, live_server, card_shop, localstripe, stripe_js: StripeJsDouble):
    _checkout_id, number = place_card_order(consumer, card_shop, live_server)
    type_card(consumer, "4000 0025 0000 3155")  # localstripe asks for authentication
    pay_button(consumer).click()

    expect(consumer).to_have_url(re.compile(rf"/orders/{number}$"))
    expect(consumer.locator("h1 .badge")).to_have_text("Confirmed")
    expect_ok(consumer, live_server)
    state, payment_state, intent_id, total = stored(live_server, number)
    assert (state, payment_state) == ("confirmed", "authorized")
    # The page ran Stripe's 3-D Secure step (localstripe's stand-in) for this very intent.
    assert (f"/v1/payment_intents/{intent_id}/_authenticate", 200) in stripe_js.calls
    assert_held_at_stripe(localstripe, intent_id, total, "3155")
    assert consumer.js_errors == []


def test_a_declined_card_shows_why_and_the_order_keeps_waiting(consumer, live_server,
                                                              card_shop, localstripe):
    checkout_id, number = place_card_order(consumer, card_shop, live_server)
    type_card(consumer, "4000 0000 0000 0341")  # attaches, then the charge is declined
    pay_button(consumer).click()

    error = consumer.locator("form[data-stripe-pay] [data-card-error]")
    expect(error).to_be_visible()
    expect(error).to_have_text(re.compile("declined", re.IGNORECASE))
    expect(consumer).to_have_url(re.compile(rf"/payments/stripe/checkout/{checkout_id}$"))
    expect(pay_button(consumer)).to_be_enabled()  # another card may be tried
    expect_ok(consumer, live_server)
    assert stored(live_server, number)[:3] == ("pending_payment", "pending", None)
    consumer.goto(f"/orders/{number}")
    expect(consumer.locator("h1 .badge")).to_have_text("Waiting for payment")
    expect(consumer.locator("[data-card-pay]")).to_be_visible()
    assert consumer.js_errors == []


def test_without_stripe_js_the_card_page_says_so(consumer, live_server, card_shop,
                                                 localstripe, stripe_js):
    nobody = f"http://127.0.0.1:{free_port()}/v3/"  # nothing listens there
    with live_server.app.app_context():
        set_stripe(api_base=localstripe, js_url=nobody)
        db.session.remove()
    try:
        _checkout_id, number = place_card_order(consumer, card_shop, live_server)
        error = consumer.locator("form[data-stripe-pay] [data-card-error]")
        expect(error).to_have_text(UNAVAILABLE)
        expect(error).to_be_visible()
        expect(pay_button(consumer)).to_be_disabled()
        expect(consumer.locator("#payment-element")).to_be_empty()
        expect_ok(consumer, live_server)
        assert consumer.js_errors == []
        assert stored(live_server, number)[:2] == ("pending_payment", "pending")
    finally:
        with live_server.app.app_context():
            set_stripe(api_base=localstripe, js_url=stripe_js.js_url)
            db.session.remove()
