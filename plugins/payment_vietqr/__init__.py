"""Bank transfer by VietQR: the way Vietnamese customers pay.

The merchant enters its bank, account number and account name. At checkout the order waits
as "awaiting transfer" (``pending_payment``) until its payment window ends; the customer's
order page shows a VietQR code (NAPAS's profile of the EMVCo merchant-presented QR: bank BIN,
account, amount, the order number as the transfer's message) that any Vietnamese banking app
scans, with the same details as text. Staff confirm the money arrived in the dashboard (or
the API); a bank-notification plugin may confirm it instead by calling
``marketplace.orders.lifecycle.payment_received``. An order not paid in time expires and its
holds are released. The money goes straight to the merchant's account: the ledger books it
as collected by the merchant, and refunds are paid back by the merchant.
"""

from __future__ import annotations

import base64
import io
import re

import qrcode
from flask_babel import lazy_gettext as _l

from marketplace.errors import ValidationError
from marketplace.payments import emvco
from marketplace.payments.emvco import DataObject
from marketplace.payments.states import PaymentState, RefundState
from marketplace.plugins import PaymentProvider, PluginInfo, Setting, hookimpl
from marketplace.plugins.services import merchant_settings
from marketplace.settlement.banks import (
    HOLDER,
    NAPAS_BANKS,
    account_number_pattern,
    normal_holder,
)

NAME = "payment_vietqr"
NAPAS = "A000000727"           # NAPAS's application id: the merchant-account template's GUID
TO_ACCOUNT = "QRIBFTTA"        # the service: a transfer to an account number
VND = "704"                    # ISO 4217 numeric
# Banks by BIN (NAPAS's 6-digit bank identifier), and how accounts and holders are written:
# the same as for payout accounts.
BANKS = NAPAS_BANKS
ACCOUNT = account_number_pattern("VND")

PLUGIN = PluginInfo(
    name=NAME,
    version="1.0.0",
    category="payment",
    level="merchant",
    core_versions=">=0.1,<1",
    description="Customers pay by bank transfer: scan the VietQR code in any Vietnamese "
                "banking app. The money goes straight to your account; staff confirm it "
                "arrived.",
    author="O2O Marketplace developers",
    merchant_settings=(
        Setting("bank_bin", type="choice", label="Bank", required=True, choices=BANKS),
        Setting("account_number", label="Account number", required=True, max_length=19,
                pattern=ACCOUNT.pattern,
                help="4 to 19 digits (capital letters too, for a virtual account), no spaces."),
        Setting("account_name", label="Account holder", required=True, max_length=50,
                help="As the bank shows it, e.g. CONG TY TNHH SUONG SOM."),
    ),
)


def reference(order) -> str:
    """The transfer's message: the order number, letters and digits only (banking apps drop
    or mangle other characters), so staff find the order from their bank statement."""
    return re.sub(r"[^0-9A-Z]", "", order.number.upper())


def payload(*, bank_bin: str, account_number: str, amount: int, message: str) -> str:
    """A dynamic VietQR payload for one transfer of ``amount`` VND."""
    return emvco.build([
        DataObject(emvco.PAYLOAD_FORMAT, "01"),
        DataObject(emvco.POINT_OF_INITIATION, emvco.DYNAMIC),
        DataObject("38", (DataObject("00", NAPAS),
                          DataObject("01", (DataObject("00", bank_bin),
                                            DataObject("01", account_number))),
                          DataObject("02", TO_ACCOUNT))),
        DataObject(emvco.CURRENCY, VND),
        DataObject(emvco.AMOUNT, emvco.amount(amount, 0)),
        DataObject(emvco.COUNTRY, "VN"),
        DataObject(emvco.ADDITIONAL_DATA, (DataObject(emvco.PURPOSE, message),)),
    ])


def png_data_uri(text: str) -> str:
    """The QR code as an inline PNG: large modules and a quiet zone, for a phone screen
    scanned by another phone's camera."""
    image = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8,
                          border=4)
    image.add_data(text)
    buffer = io.BytesIO()
    image.make_image().save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


class VietQRTransfer(PaymentProvider):
    identifier = "vietqr"
    label = _l("Bank transfer (VietQR)")
    offline = False             # the order waits for the money
    money_to_merchant = True    # into the merchant's own account
    confirmed_by_staff = True   # no bank tells us; staff see it arrive
    instructions_template = f"{NAME}/pay.html"

    def supports_currency(self, currency: str) -> bool:
        return currency == "VND"  # NAPAS transfers are in đồng

    def prepare(self, payment, **context) -> dict:
        order = context["order"]
        settings = merchant_settings(order.merchant, NAME)
        account = (settings.get("account_number") or "").replace(" ", "").upper()
        name = normal_holder(settings.get("account_name") or "")
        bank = settings.get("bank_bin") or ""
        if not (ACCOUNT.fullmatch(account) and HOLDER.fullmatch(name)
                and bank in dict(BANKS)):
            raise ValidationError.field("payment_provider", _l(
                "This shop has not finished setting up bank transfers: choose another way "
                "to pay."))
        message = reference(order)
        return {"payload": payload(bank_bin=bank, account_number=account,
                                   amount=payment.amount, message=message),
                "bank": dict(BANKS)[bank], "account_number": account, "account_name": name,
                "reference": message}

    def authorize(self, payment, **context):
        return PaymentState.PENDING  # until staff see the transfer

    def capture(self, payment, amount: int):
        return PaymentState.CAPTURED  # the money is already in the merchant's account

    def void(self, payment):
        return PaymentState.CANCELLED

    def refund(self, refund):
        return RefundState.SUCCEEDED  # paid back by the merchant, in cash or by transfer

    def handle_webhook(self, request):
        return ("", 404)  # banks do not call us; a bank-notification plugin may


@hookimpl
def marketplace_register_payment_providers(register):
    register(VietQRTransfer())


@hookimpl
def marketplace_prepare_jinja_env(env):
    env.filters["vietqr_png"] = png_data_uri
