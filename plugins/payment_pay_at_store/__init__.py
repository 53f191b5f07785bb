"""Pay at the store: the customer pays at the counter when collecting, in cash or on the
store's own card terminal. No money moves online; staff record the payment when they take
it, and refunds of returns are paid back in cash at the counter.

A built-in plugin written like any third-party one: it registers a ``PaymentProvider`` and
each merchant switches it on in the dashboard (Plugins).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.payments.states import PaymentState, RefundState
from marketplace.plugins import PaymentProvider, PluginInfo, Setting, hookimpl
from marketplace.plugins.services import merchant_settings

NAME = "payment_pay_at_store"

PLUGIN = PluginInfo(
    name=NAME,
    version="1.0.0",
    category="payment",
    level="merchant",
    core_versions=">=0.1,<1",
    description="Customers pay at the counter when they collect their order, in cash or by "
                "card on the store's terminal. Moves no money online.",
    author="O2O Marketplace developers",
    merchant_settings=(
        Setting("instructions", type="textarea", label="What customers should know",
                default="", max_length=300,
                help="Shown at checkout, e.g. “Cash or card; bring your pickup code.”"),
    ),
)


class PayAtStore(PaymentProvider):
    identifier = "pay_at_store"
    label = _l("Pay at the store")
    offline = True
    money_to_merchant = True

    # Offline steps only record what staff did at the counter: no I/O, no money online.
    def prepare(self, payment, **context) -> dict:
        merchant = context["order"].merchant
        instructions = merchant_settings(merchant, NAME).get("instructions") or ""
        return {"instructions": instructions}

    def authorize(self, payment, **context):
        return PaymentState.PENDING  # nothing is reserved: the customer pays at the counter

    def capture(self, payment, amount: int):
        return PaymentState.CAPTURED

    def void(self, payment):
        return PaymentState.CANCELLED

    def refund(self, refund):
        return RefundState.SUCCEEDED  # cash back at the counter, handed over by staff

    def handle_webhook(self, request):
        return ("", 404)  # no outside service ever calls us


@hookimpl
def marketplace_register_payment_providers(register):
    register(PayAtStore())
