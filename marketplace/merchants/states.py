"""Merchant approval life cycle as a transition table."""

from __future__ import annotations

from enum import StrEnum


class MerchantStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class MerchantEvent(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    RESUBMIT = "resubmit"


S, E = MerchantStatus, MerchantEvent

TRANSITIONS: dict[tuple[MerchantStatus, MerchantEvent], MerchantStatus] = {
    (S.PENDING, E.APPROVE): S.APPROVED,
    (S.PENDING, E.REJECT): S.REJECTED,
    (S.REJECTED, E.RESUBMIT): S.PENDING,
    (S.APPROVED, E.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, E.REINSTATE): S.APPROVED,
}

# Events only a platform admin may fire; the merchant's owner may only resubmit.
ADMIN_EVENTS = frozenset({E.APPROVE, E.REJECT, E.SUSPEND, E.REINSTATE})
