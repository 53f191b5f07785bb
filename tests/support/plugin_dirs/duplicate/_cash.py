"""A complete payment provider for tests: every operation answers, none moves money."""

from marketplace.plugins import PaymentProvider


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
