"""Password and token hashing, and the HTTP security headers every response carries."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, current_app, has_app_context, request

# argon2-cffi's defaults (RFC 9106 low-memory profile) unless PASSWORD_HASHER overrides them;
# the test suite uses cheap parameters so that thousands of factory users stay fast.
_DEFAULT_HASHER = PasswordHasher()


def _hasher() -> PasswordHasher:
    if has_app_context():
        return current_app.extensions.get("password_hasher", _DEFAULT_HASHER)
    return _DEFAULT_HASHER


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a password nobody has, made with the same parameters as real hashes, so an
    unknown e-mail costs as much time as a wrong password."""
    return _dummy_for(hasher.time_cost, hasher.memory_cost, hasher.parallelism)


@functools.cache
def _dummy_for(time_cost: int, memory_cost: int, parallelism: int) -> str:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost,
                            parallelism=parallelism)
    return hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    try:
        matches = hasher.verify(password_hash or _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and password_hash is not None


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def new_token(prefix: str) -> str:
    """A random secret with a readable prefix (``mkp_…`` tokens, ``inv_…`` invitations)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    """Tokens carry 256 random bits, so a fast hash is safe; only the hash is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "img-src 'self' data: blob:",
    "style-src 'self'",
    "script-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'self'",
    "object-src 'none'",
])


def init_app(app: Flask) -> None:
    if app.config.get("PASSWORD_HASHER"):
        app.extensions["password_hasher"] = PasswordHasher(**app.config["PASSWORD_HASHER"])

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self)")
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
