"""Order numbers and pickup codes.

An order number is public (receipts, e-mails, the counter). The pickup code proves the person
at the counter is the customer: it is derived from the app secret, the order id and a random
salt with HMAC-SHA256, so it is never stored and a copy of the database does not reveal it.
Both use an alphabet without look-alikes (no 0/O, 1/I/L). Eight characters of 31 give
31**8 ≈ 8.5 × 10**11 codes; with code entry limited per member and per address, guessing
one is hopeless.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
NUMBER_LENGTH = 10
NUMBER_PREFIX = "DH"  # "đơn hàng"; only a label, any market reads it as a prefix


def _encode(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def new_order_number() -> str:
    return NUMBER_PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(NUMBER_LENGTH))


def new_salt() -> str:
    return secrets.token_hex(16)


def pickup_code(order) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"pickup-code:{order.id}:{order.code_salt}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return _encode(int.from_bytes(digest[:8], "big"), CODE_LENGTH)


def display(code: str) -> str:
    """``ABCD-EFGH``: easier to read aloud and to type."""
    return f"{code[:4]}-{code[4:]}"


def normalise(typed: str | None) -> str:
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())


def code_matches(order, typed: str | None) -> bool:
    return hmac.compare_digest(normalise(typed).encode(), pickup_code(order).encode())


def attempt_limit() -> str:
    """The rate limit on entering pickup codes (flask-limiter string, from the config)."""
    return current_app.config["PICKUP_CODE_RATE_LIMIT"]


def failed_attempt(response) -> bool:
    """Only wrong codes count against the limit: a busy counter is never slowed down."""
    return response.status_code == 422
