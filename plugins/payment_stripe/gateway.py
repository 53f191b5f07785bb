"""Talking to Stripe: the client, amounts in Stripe's units, errors in our words.

The platform's keys come from the environment (``STRIPE_SECRET_KEY`` …) or from the plugin's
encrypted platform settings. Every call that changes something carries an idempotency key
made from our own ids, so a retry (by the SDK, the outbox or a double click) is answered by
Stripe with the first result instead of charging twice.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta

import stripe
from flask_babel import lazy_gettext as _l

from marketplace.errors import ValidationError
from marketplace.money import minor_units
from marketplace.plugins.services import global_settings

NAME = "payment_stripe"

def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Stripe's presentment currencies (https://docs.stripe.com/currencies).
SUPPORTED = _codes(
    """usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd
    bwp byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp
    gel gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw
    kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad
    ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek
    sgd shp sle sos srd std szl thb tjs top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf
    xcd xof xpf yer zar zmw""")
# Amounts in these are whole units at Stripe (₫150,000 is 150000) …
ZERO_DECIMAL = _codes(
    """bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf""")
# … and in these thousandths, whose last digit must be 0.
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])

# How long Stripe keeps an online card authorization when the charge does not say
# (``payment_method_details.card.capture_before`` is the exact answer when present).
CARD_HOLD = timedelta(days=7)

_clients: dict[tuple, stripe.StripeClient] = {}
_clients_lock = threading.Lock()


class NotConfigured(ValidationError):
    code = "stripe_not_configured"


def settings() -> dict:
    """The platform's Stripe settings; the environment wins over the stored values."""
    stored = global_settings(NAME)
    return {key: os.environ.get(f"STRIPE_{key.upper()}") or stored.get(key)
            for key in ("publishable_key", "secret_key", "webhook_secret", "api_base",
                        "network_retries", "js_url")}


def configured() -> bool:
    """Whether the platform has keys: without them cards are not offered at checkout."""
    config = settings()
    return bool(config["secret_key"] and config["publishable_key"])


def client() -> stripe.StripeClient:
    config = settings()
    if not config["secret_key"]:
        raise NotConfigured(_l("Card payments are not set up on this marketplace yet."))
    retries = int(config["network_retries"] if config["network_retries"] not in (None, "")
                  else 2)
    key = (config["secret_key"], config["api_base"] or "", retries)
    with _clients_lock:
        found = _clients.get(key)
        if found is None:
            options = {"max_network_retries": retries}
            if config["api_base"]:
                options["base_addresses"] = {"api": config["api_base"].rstrip("/")}
            found = _clients[key] = stripe.StripeClient(config["secret_key"], **options)
        return found


def stripe_decimals(currency: str) -> int:
    code = currency.lower()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def supports(currency: str) -> bool:
    return currency.lower() in SUPPORTED


def to_stripe(amount: int, currency: str) -> int:
    """Our minor units → Stripe's: the same number for VND (zero-decimal) and USD (cents);
    converted where Stripe counts differently (ISK in hundredths)."""
    if not supports(currency):
        raise ValidationError.field("currency", _l(
            "Cards cannot be charged in %(currency)s: choose another way to pay.",
            currency=currency))
    shift = stripe_decimals(currency) - minor_units(currency)
    value = amount * 10**shift if shift >= 0 else amount // 10**-shift
    if shift < 0 and value * 10**-shift != amount:
        raise ValidationError.field("amount", _l("Cards cannot be charged this exact amount "
                                                 "in %(currency)s.", currency=currency))
    if currency.lower() in THREE_DECIMAL and value % 10:
        raise ValidationError.field("amount", _l("Cards cannot be charged this exact amount "
                                                 "in %(currency)s.", currency=currency))
    return value


def from_stripe(value: int, currency: str) -> int:
    shift = stripe_decimals(currency) - minor_units(currency)
    return value // 10**shift if shift >= 0 else value * 10**-shift


def options(idempotency_key: str) -> dict:
    return {"idempotency_key": idempotency_key}


def capture_before(intent) -> datetime:
    """When the authorization lapses: Stripe's own date when the charge carries it."""
    charge = intent.get("latest_charge")
    details = charge.get("payment_method_details") if isinstance(charge, dict) else None
    card = (details or {}).get("card") or {}
    if card.get("capture_before"):
        return datetime.fromtimestamp(card["capture_before"], UTC)
    return datetime.fromtimestamp(intent["created"], UTC) + CARD_HOLD


def card_summary(intent) -> tuple[str | None, str | None]:
    """Brand and last four digits, for the customer's and the staff's pages."""
    charge = intent.get("latest_charge")
    details = charge.get("payment_method_details") if isinstance(charge, dict) else None
    card = (details or {}).get("card") or {}
    return card.get("brand"), card.get("last4")


def message(error: stripe.StripeError) -> str:
    """What to tell the customer: the card's own decline message, never internals."""
    if isinstance(error, stripe.CardError) and error.user_message:
        return str(error.user_message)
    return str(_l("The card payment did not go through. Please try again or choose another "
                  "way to pay."))


def log_safe(error: stripe.StripeError) -> str:
    return f"{type(error).__name__} {getattr(error, 'code', '')} {error.http_status}"


def reset_clients() -> None:
    """Forget built clients (the keys changed; tests)."""
    with _clients_lock:
        _clients.clear()
