"""TEST PLUGIN — a payout method that pays nobody: it records each payout it is asked to
send and answers with a made-up reference, or refuses with ``REFUSAL`` when a test sets it.
Loaded only by the payout tests (``PLUGINS_BUILTIN_DIR`` = tests/support/plugin_dirs/payouts).
"""

from marketplace.errors import ValidationError
from marketplace.plugins import PayoutMethod, PluginInfo, hookimpl

PLUGIN = PluginInfo(name="test_payouts", version="1.0.0", level="platform",
                    category="payment",
                    description="Test plugin: a payout method that records what it is asked "
                                "and moves no money.")

#: (payout id, code, amount, currency, account number, message) of every payout sent.
SENT: list[tuple] = []
#: When set, ``send`` refuses every payout with this message.
REFUSAL: list[str] = []


class RecordingTransfer(PayoutMethod):
    identifier = "test_transfer"
    label = "Test transfer (records, pays nobody)"

    def supports_currency(self, currency):
        return currency == "VND"

    def send(self, payout):
        if REFUSAL:
            raise ValidationError(REFUSAL[0])
        SENT.append((payout.id, payout.code, payout.amount, payout.currency,
                     payout.account_number, payout.transfer_message))
        return f"TEST-{payout.code}"


@hookimpl
def marketplace_register_payout_methods(register):
    register(RecordingTransfer())
