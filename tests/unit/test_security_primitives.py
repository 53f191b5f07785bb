"""Password and token hashing."""

from __future__ import annotations

import hashlib

from marketplace.security import (
    hash_password,
    hash_token,
    new_token,
    password_needs_rehash,
    tokens_equal,
    verify_password,
)


def test_password_hash_is_argon2id_salted_and_verifiable():
    first, second = hash_password("mật khẩu dài dài"), hash_password("mật khẩu dài dài")
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, "mật khẩu dài dài")
    assert not verify_password(first, "mat khau dai dai")
    assert not password_needs_rehash(first)


def test_verify_password_without_a_hash_or_with_garbage_is_false():
    assert not verify_password(None, "anything")
    assert not verify_password("not a hash", "anything")
    assert not verify_password("", "")


def test_tokens_are_random_prefixed_and_hashed_with_sha256():
    token = new_token("mkp")
    assert token.startswith("mkp_") and len(token) >= 4 + 43
    assert new_token("mkp") != token
    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert tokens_equal(hash_token(token), hash_token(token))
    assert not tokens_equal(hash_token(token), hash_token(token + "x"))
