"""Order numbers and pickup codes.

An order number is public (receipts, e-mails, the counter). The pickup code proves the person
at the counter is the customer: it is the order's redeemable code (``marketplace.redemption``,
kind ``pickup``), issued when the order is placed: a QR code and a ten-character human code
derived from the app secret, never stored. Both use an alphabet without look-alikes (no 0/O,
1/I/L); ``marketplace/redemption/human.py`` gives the numbers that make guessing hopeless.
"""

from __future__ import annotations

import hmac

from flask import current_app

from ..redemption import human
from ..redemption import services as redemption

ALPHABET = human.ALPHABET
NUMBER_LENGTH = 10
NUMBER_PREFIX = "DH"  # "đơn hàng"; only a label, any market reads it as a prefix
KIND = "pickup"


def new_order_number() -> str:
    return human.random_reference(NUMBER_PREFIX, NUMBER_LENGTH)


def pickup_code(order) -> str:
    code = redemption.current(KIND, order.id)
    return redemption.human_code(code) if code is not None else ""


display = human.display
normalise = human.normalise


def code_matches(order, typed: str | None) -> bool:
    expected = pickup_code(order)
    return bool(expected) and hmac.compare_digest(normalise(typed).encode(), expected.encode())


def attempt_limit() -> str:
    """The rate limit on entering codes (flask-limiter string, from the config)."""
    return current_app.config["PICKUP_CODE_RATE_LIMIT"]


def failed_attempt(response) -> bool:
    """Only wrong codes count against the limit: a busy counter is never slowed down."""
    return response.status_code == 422
