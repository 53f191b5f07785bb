"""Cash on delivery: the courier takes the order's total in cash at the door.

No money moves online. Checkout offers it only for a delivery whose carrier quote takes cash;
the order is confirmed at once with a pending payment, the courier records the cash collected
when delivering, and the payment is captured when the merchant counts the cash the courier
brought back (``marketplace.delivery.cod.reconcile``, the dashboard's "Cash on delivery"
page). A refund is cash paid back by the merchant by hand (at a counter or by the courier):
nothing to call, so it succeeds at once.

A built-in plugin written like any third-party one: it registers a ``PaymentProvider`` and
each merchant switches it on in the dashboard (Plugins).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.payments.states import PaymentState, RefundState
from marketplace.plugins import PaymentProvider, PluginInfo, Setting, hookimpl
from marketplace.plugins.services import merchant_settings

NAME = "payment_cash_on_delivery"

PLUGIN = PluginInfo(
    name=NAME,
    version="1.0.0",
    category="payment",
    level="merchant",
    core_versions=">=0.1,<1",
    description="Customers pay the courier in cash at the door; you confirm the cash each "
                "courier brings back, per day. Moves no money online.",
    author="O2O Marketplace developers",
    merchant_settings=(
        Setting("instructions", type="textarea", label="What customers should know",
                default="", max_length=300,
                help="Shown at checkout, e.g. “Please have the exact amount ready.”"),
    ),
)


class CashOnDelivery(PaymentProvider):
    identifier = "cash_on_delivery"
    label = _l("Cash on delivery")
    offline = True
    money_to_merchant = True
    collected_on_delivery = True
    checkout_note = _l("Pay the courier in cash when the parcel arrives.")

    # Every step only records what people did with the cash: no I/O, no money online.
    def prepare(self, payment, **context) -> dict:
        merchant = context["order"].merchant
        instructions = merchant_settings(merchant, NAME).get("instructions") or ""
        return {"instructions": instructions}

    def authorize(self, payment, **context):
        return PaymentState.PENDING  # nothing is reserved: the courier takes the cash

    def capture(self, payment, amount: int):
        return PaymentState.CAPTURED  # the merchant counted the courier's cash

    def void(self, payment):
        return PaymentState.CANCELLED

    def refund(self, refund):
        return RefundState.SUCCEEDED  # cash paid back by hand, by the merchant

    def handle_webhook(self, request):
        return ("", 404)  # no outside service ever calls us


@hookimpl
def marketplace_register_payment_providers(register):
    register(CashOnDelivery())
