"""Payment and refund states as transition tables (see ``marketplace.states``)."""

from __future__ import annotations

from enum import StrEnum


class PaymentState(StrEnum):
    PENDING = "pending"        # created; nothing taken yet (pay at store: until the counter)
    AUTHORIZED = "authorized"  # reserved on the card, to be captured at pickup
    CAPTURED = "captured"      # money taken (wholly or partly refunded later)
    REFUNDED = "refunded"      # everything captured was given back
    VOIDED = "voided"          # an authorization released
    CANCELLED = "cancelled"    # nothing was ever taken and nothing will be
    FAILED = "failed"          # declined or errored at the provider


class PaymentEvent(StrEnum):
    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    VOID = "void"
    CANCEL = "cancel"
    FAIL = "fail"
    REFUND_ALL = "refund_all"


PS, PE = PaymentState, PaymentEvent

PAYMENT_TRANSITIONS: dict[tuple[PaymentState, PaymentEvent], PaymentState] = {
    (PS.PENDING, PE.AUTHORIZE): PS.AUTHORIZED,
    (PS.PENDING, PE.CAPTURE): PS.CAPTURED,
    (PS.PENDING, PE.CANCEL): PS.CANCELLED,
    (PS.PENDING, PE.FAIL): PS.FAILED,
    (PS.AUTHORIZED, PE.CAPTURE): PS.CAPTURED,
    (PS.AUTHORIZED, PE.VOID): PS.VOIDED,
    (PS.AUTHORIZED, PE.FAIL): PS.FAILED,
    (PS.CAPTURED, PE.REFUND_ALL): PS.REFUNDED,
}

# Payments that may still bring money in, or already did.
LIVE_PAYMENT_STATES = frozenset({PS.PENDING, PS.AUTHORIZED, PS.CAPTURED})


class RefundState(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundEvent(StrEnum):
    SUCCEED = "succeed"
    FAIL = "fail"


REFUND_TRANSITIONS: dict[tuple[RefundState, RefundEvent], RefundState] = {
    (RefundState.PENDING, RefundEvent.SUCCEED): RefundState.SUCCEEDED,
    (RefundState.PENDING, RefundEvent.FAIL): RefundState.FAILED,
}
