"""Human codes: what a customer reads aloud and staff type when a QR code will not scan.

Ten characters of an alphabet without look-alikes (no 0/O, 1/I/L): 31**10 ≈ 8.2 × 10**14
codes, about 49.5 bits. A code is derived from the app secret, its row's random salt, its kind
and subject with HMAC-SHA256, so it is never stored; the row keeps ``lookup``, a keyed digest
of the code and the merchant, to be found by what staff type (unique per merchant).

Guessing: failed code entries are limited per device, per member and per address (the
config's ``PICKUP_CODE_RATE_LIMIT``, by default 10 a minute and 60 an hour). At 60 an hour
around the clock, a member tries 1,440 codes a day; against a merchant holding a million live
codes each try hits with probability 10**6 / 8.2 × 10**14 ≈ 1.2 × 10**-9, so one success
takes on average about 1,500 years of guessing per member, device and address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10


def random_reference(prefix: str, length: int) -> str:
    """A reference people read aloud (an order number, a booking, a parcel): ``prefix`` and
    ``length`` random characters of the alphabet without look-alikes."""
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))


def _key(purpose: str) -> bytes:
    # One key per purpose derived from the app secret: a code and its lookup never share one.
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"redemption:{purpose}".encode(), hashlib.sha256).digest()


def new_salt() -> str:
    return secrets.token_hex(16)


def derive(kind: str, subject_id: int, salt: str) -> str:
    digest = hmac.new(_key("code"), f"{kind}:{subject_id}:{salt}".encode(),
                      hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def lookup(merchant_id: int, code: str) -> str:
    return hmac.new(_key("lookup"), f"{merchant_id}:{code}".encode(), hashlib.sha256).hexdigest()


def normalise(typed: str | None) -> str:
    """What staff typed, as a code: capitals, no spaces or dashes."""
    return "".join(ch for ch in (typed or "").upper() if ch.isalnum())


def looks_like_code(text: str) -> bool:
    return len(text) == LENGTH and all(ch in ALPHABET for ch in text)


def display(code: str) -> str:
    """``ABCDE-FGHJK``: easier to read aloud and to type."""
    return f"{code[:5]}-{code[5:]}"
