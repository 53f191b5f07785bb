"""Registers a payment provider whose identifier another plugin also uses."""

from marketplace.plugins import PaymentProvider, PluginInfo, hookimpl

PLUGIN = PluginInfo(name="pay_two", version="1.0.0", level="platform")


class Cash(PaymentProvider):
    identifier = "cash"

    def prepare(self, payment, **context):
        return {}

    def authorize(self, payment, **context):
        return "pending"

    def capture(self, payment, amount):
        return "captured"

    def void(self, payment):
        return "voided"

    def refund(self, refund):
        return "refunded"

    def handle_webhook(self, request):
        return ("", 204)


@hookimpl
def marketplace_register_payment_providers(register):
    register(Cash())
