"""Rate limits on codes entered at the counter: per scanner device, per member, per address.

Only failures count (the generic "not valid here" answer, 422): a busy counter redeeming
real codes is never slowed down, while someone guessing codes is stopped on every axis they
could change (a new device id, another member's login, another address)."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from ..auth import bearer_secret
from ..extensions import limiter
from ..orders.codes import attempt_limit
from ..security import hash_token

DEVICE_HEADER = "X-Scanner-Device"


def device_id() -> str:
    return (request.headers.get(DEVICE_HEADER) or "")[:64]


def _device_key() -> str:
    return f"redeem-device:{device_id() or '-'}"


def _member_key() -> str:
    return f"redeem-member:{current_user.get_id()}"


def token_key() -> str:
    """The API's per-member key: the bearer token's digest (no database read before the
    view authenticates; a member's tokens are theirs alone)."""
    return f"redeem-token:{hash_token(bearer_secret() or '')[:32]}"


GUESSES = frozenset({"invalid", "wrong_merchant"})


def failed_entry(response) -> bool:
    """A refused entry (422) counts, unless a redemption answer says the code is a real one
    refused for a reason (the order is not ready, another store): that is no sign of
    guessing. Answers without an outcome (a voucher quote, a page) count."""
    if response.status_code != 422:
        return False
    outcome = (response.get_json(silent=True) or {}).get("outcome") \
        if response.is_json else None
    return outcome is None or outcome in GUESSES


def limited(view):
    """A view function with the three limits (a session member's key)."""
    for decorator in reversed(code_entry_limits()):
        view = decorator(view)
    return view


def code_entry_limits(member_key=None):
    """The three limits as decorators, for a view or a MethodView's ``decorators``."""
    return [
        limiter.limit(attempt_limit, key_func=_device_key, deduct_when=failed_entry),
        limiter.limit(attempt_limit, key_func=member_key or _member_key,
                      deduct_when=failed_entry),
        limiter.limit(attempt_limit, deduct_when=failed_entry),
    ]
