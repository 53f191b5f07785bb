"""A code's states as a transition table (see ``marketplace.states``).

A code is issued active. Redeeming it is final; so is revoking it (the order was cancelled,
the voucher refunded, or a new code replaced it). Expiry is not a state: the validity window
is signed into the code, so a scanner without network judges it the same way the server does.
"""

from __future__ import annotations

from enum import StrEnum


class CodeState(StrEnum):
    ACTIVE = "active"
    REDEEMED = "redeemed"
    REVOKED = "revoked"


class CodeEvent(StrEnum):
    REDEEM = "redeem"
    REVOKE = "revoke"


class Outcome(StrEnum):
    """What a redemption attempt came to; every attempt is logged with one of these."""

    REDEEMABLE = "redeemable"      # a look-up only: it would be redeemed now
    REDEEMED = "redeemed"
    ALREADY_REDEEMED = "already_redeemed"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_MERCHANT = "wrong_merchant"
    WRONG_STORE = "wrong_store"
    INVALID = "invalid"            # unknown code, bad signature, garbage: one answer for all
    REFUSED = "refused"            # the code is fine but its subject refused (order not ready)
    CONFLICT = "conflict"          # redeemed offline at another counter as well


S, E = CodeState, CodeEvent

CODE_TRANSITIONS: dict[tuple[CodeState, CodeEvent], CodeState] = {
    (S.ACTIVE, E.REDEEM): S.REDEEMED,
    (S.ACTIVE, E.REVOKE): S.REVOKED,
}
