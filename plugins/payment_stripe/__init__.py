"""Card payments with Stripe: authorized when the order is placed, captured when it is collected.

The customer pays on the plugin's page right after checkout, in Stripe's Payment Element
(Stripe's own script and frames: card data never reaches the marketplace). All card-paid
orders of one checkout, whatever their merchants, are one PaymentIntent with manual capture;
each order keeps its own ``Payment`` (its share). Collection captures what was taken (partial
capture when some lines stay behind), a cancellation or a no-show releases the share, and the
intent is captured once, for the sum, when every share is settled (``intents.settle_share``).
An authorization lasts about seven days; one about to lapse before its pickup is captured in
full by the order clock (the merchant's policy may instead charge such orders at once), and
what is not collected is refunded. Refunds go back through Stripe.

Stripe's answers reach us three ways (the customer's request, the page after 3-D Secure, a
webhook) and are applied through one idempotent ``intents.sync``, so their order and their
repetition do not matter. Money goes to the platform's Stripe account and is paid out to
merchants from the settlement ledger; Stripe Connect is not used (it cannot be tested here).
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l

from marketplace.payments.states import PaymentState
from marketplace.plugins import PaymentProvider, PluginInfo, Setting, hookimpl

from . import gateway, intents

NAME = gateway.NAME
CAPTURE_BEFORE_LAPSE = "capture_before_lapse"
CHARGE_AT_ORDER = "charge_at_order"

PLUGIN = PluginInfo(
    name=NAME,
    version="1.0.0",
    category="payment",
    level="merchant",
    core_versions=">=0.1,<1",
    description="Customers pay by card (Stripe). The amount is held on the card when the "
                "order is placed and charged when it is collected, for what was collected.",
    author="O2O Marketplace developers",
    global_settings=(
        Setting("publishable_key", label="Publishable key", max_length=255,
                pattern=r"pk_(test|live)_[A-Za-z0-9]+",
                help="pk_live_… or pk_test_…; STRIPE_PUBLISHABLE_KEY overrides it."),
        Setting("secret_key", type="secret", label="Secret key", max_length=255,
                help="sk_live_… or sk_test_…; STRIPE_SECRET_KEY overrides it."),
        Setting("webhook_secret", type="secret", label="Webhook signing secret",
                max_length=255, help="whsec_… of the endpoint /payments/stripe/webhook."),
        Setting("api_base", type="url", label="API address",
                help="Leave empty for Stripe itself; a local test server's address in tests."),
        Setting("js_url", type="url", label="Stripe.js address",
                default="https://js.stripe.com/v3/",
                help="Where the card form's script comes from: Stripe's own."),
    ),
    merchant_settings=(
        Setting("late_pickup", type="choice", label="Pickups later than a card hold lasts",
                default=CAPTURE_BEFORE_LAPSE,
                choices=((CAPTURE_BEFORE_LAPSE, "Charge in full just before the hold lapses "
                                                "and refund what is not collected"),
                         (CHARGE_AT_ORDER, "Charge in full when the order is placed")),
                help="A card hold lasts about 7 days; a pickup or try-on later than that "
                     "needs the money taken earlier."),
    ),
)


class StripeCards(PaymentProvider):
    identifier = "stripe"
    label = _l("Card (Visa, Mastercard, JCB …)")
    offline = False             # the order waits for the card authorization
    money_to_merchant = False   # into the platform's Stripe account; paid out from the ledger
    confirmed_by_staff = False  # Stripe tells us
    instructions_template = f"{NAME}/order_pay.html"
    pay_endpoint = f"{NAME}.pay_page"
    checkout_note = _l("Held on your card when you order, charged when you collect, only for "
                       "what you take. A pickup more than 6 days away is charged earlier.")

    def supports_currency(self, currency: str) -> bool:
        # Not offered at all until the platform has its Stripe keys.
        return gateway.supports(currency) and gateway.configured()

    def prepare(self, payment, **context) -> dict:
        gateway.client()  # refuses at checkout when the platform has no keys
        gateway.to_stripe(payment.amount, payment.currency)  # refuses an uncharged amount
        return {}

    def authorize(self, payment, **context):
        return PaymentState.PENDING  # the customer authorizes on the card page

    def capture(self, payment, amount: int):
        return intents.settle_share(payment, amount)

    def void(self, payment):
        return intents.settle_share(payment, 0)

    def refund(self, refund):
        return intents.refund(refund)

    def handle_webhook(self, request):
        from .webhooks import receive

        return receive(request)


@hookimpl
def marketplace_register_payment_providers(register):
    register(StripeCards())


@hookimpl
def marketplace_add_blueprints(register):
    from .api import blp
    from .views import bp

    register(bp, url_prefix="/payments/stripe")
    register(blp)


@hookimpl
def marketplace_migration_locations():
    return str(Path(__file__).parent / "migrations" / "versions")
