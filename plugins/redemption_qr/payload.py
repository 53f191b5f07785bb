"""The signed QR payload: compact, verifiable offline with the merchant's public key.

Layout (big-endian), then ``Q1`` + base32 without padding, so the whole text fits a QR code's
alphanumeric mode (5.5 bits a character instead of 8)::

    key id u32 | merchant id u32 | code id u32 | kind length u8 | kind (ASCII)
    | subject id u32 | valid from u32 | valid until u32 | random 6 bytes | Ed25519 signature

Times are Unix seconds, 0 when the window is open on that side. The signature covers
``DOMAIN + body``, so a signature made for anything else never verifies as a code. A pickup
code is about 165 characters: a version 8 QR code at error correction M, fine on a phone
screen and on paper.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "Q1"
DOMAIN = b"o2o-marketplace redeemable code v1\x00"
SIGNATURE = 64
RANDOM = 6
_HEAD = struct.Struct(">IIIB")
_TAIL = struct.Struct(">III")
MAX_ID = 2**32 - 1


class NotACode(ValueError):
    """The text is not a payload of this format, or it was changed after signing."""


@dataclass(frozen=True)
class Body:
    key_id: int
    merchant_id: int
    code_id: int
    kind: str
    subject_id: int
    valid_from: datetime | None
    valid_until: datetime | None


def _seconds(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment is not None else 0


def _moment(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def pack(body: Body) -> bytes:
    kind = body.kind.encode("ascii")
    return (_HEAD.pack(body.key_id, body.merchant_id, body.code_id, len(kind)) + kind
            + _TAIL.pack(body.subject_id, _seconds(body.valid_from), _seconds(body.valid_until))
            + secrets.token_bytes(RANDOM))


def unpack(raw: bytes) -> Body:
    try:
        key_id, merchant_id, code_id, size = _HEAD.unpack_from(raw)
        kind = raw[_HEAD.size:_HEAD.size + size].decode("ascii")
        subject_id, valid_from, valid_until = _TAIL.unpack_from(raw, _HEAD.size + size)
    except (struct.error, UnicodeDecodeError):
        raise NotACode("malformed body") from None
    if len(raw) != _HEAD.size + size + _TAIL.size + RANDOM:
        raise NotACode("wrong length")
    return Body(key_id, merchant_id, code_id, kind, subject_id, _moment(valid_from),
                _moment(valid_until))


def sign(body: Body, key: Ed25519PrivateKey) -> str:
    raw = pack(body)
    signed = raw + key.sign(DOMAIN + raw)
    return PREFIX + base64.b32encode(signed).decode().rstrip("=")


def split(text: str) -> tuple[Body, bytes, bytes]:
    """Read the body without verifying it (to know which key verifies it)."""
    if not text.startswith(PREFIX):
        raise NotACode("no prefix")
    data = text[len(PREFIX):]
    try:
        signed = base64.b32decode(data + "=" * (-len(data) % 8))
    except (binascii.Error, ValueError):
        raise NotACode("not base32") from None
    if len(signed) <= SIGNATURE:
        raise NotACode("too short")
    raw, signature = signed[:-SIGNATURE], signed[-SIGNATURE:]
    return unpack(raw), raw, signature


def verify(raw: bytes, signature: bytes, key: Ed25519PublicKey) -> None:
    try:
        key.verify(signature, DOMAIN + raw)
    except InvalidSignature:
        raise NotACode("bad signature") from None
