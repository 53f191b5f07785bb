"""Each merchant's Ed25519 key pair: made on first use, private half encrypted at rest."""

from __future__ import annotations

import base64

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.plugins.settings import decrypt_secrets, encrypt_secrets

from .models import SigningKey

SECRET_NAME = "ed25519"  # noqa: S105 - the name of the encrypted field, not a secret


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _live(merchant_id: int) -> SigningKey | None:
    return db.session.scalar(sa.select(SigningKey).where(SigningKey.merchant_id == merchant_id,
                                                         SigningKey.retired_at.is_(None)))


def signing_key(merchant_id: int) -> SigningKey:
    """The merchant's live key, made now if it has none (two first codes at once: one key)."""
    found = _live(merchant_id)
    if found is not None:
        return found
    private = Ed25519PrivateKey.generate()
    key = SigningKey(
        merchant_id=merchant_id, public_key=b64(private.public_key().public_bytes_raw()),
        private_key=encrypt_secrets(current_app.config["SECRET_KEY"],
                                    {SECRET_NAME: private.private_bytes_raw().hex()}))
    savepoint = db.session.begin_nested()
    try:
        db.session.add(key)
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        return _live(merchant_id)
    savepoint.commit()
    return key


def private_key(key: SigningKey) -> Ed25519PrivateKey:
    raw = decrypt_secrets(current_app.config["SECRET_KEY"], key.private_key)[SECRET_NAME]
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(raw))


def public_key(key: SigningKey) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(unb64(key.public_key))


def verifying_key(key_id: int) -> tuple[int, Ed25519PublicKey] | None:
    """(merchant id, public key) of key ``key_id``, or ``None``."""
    key = db.session.get(SigningKey, key_id) if 0 < key_id < 2**31 else None
    return (key.merchant_id, public_key(key)) if key is not None else None


def merchant_keys(merchant_id: int) -> list[SigningKey]:
    """Every key the merchant's codes may be signed with, live and retired, oldest first."""
    return list(db.session.scalars(sa.select(SigningKey)
                                   .where(SigningKey.merchant_id == merchant_id)
                                   .order_by(SigningKey.id)))
