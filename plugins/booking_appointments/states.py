"""A booking's states as a transition table (see ``marketplace.states``).

A booking starts *held*: the slot is kept for a few minutes while the customer confirms. A
hold that is not confirmed in time *expires* and frees the slot. A confirmed booking is
checked in when the customer arrives (at the counter, by the ticket's QR code or by hand),
then completed; a customer who never comes is a no-show. Moving a confirmed booking to
another time (a reschedule) keeps it confirmed. Cancelling is open to the customer within
the service's policy and to the merchant at any time before the visit.
"""

from __future__ import annotations

from enum import StrEnum


class BookingState(StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class BookingEvent(StrEnum):
    CONFIRM = "confirm"
    EXPIRE = "expire"
    RESCHEDULE = "reschedule"
    CHECK_IN = "check_in"
    COMPLETE = "complete"
    NO_SHOW = "no_show"
    CANCEL = "cancel"


S, E = BookingState, BookingEvent

BOOKING_TRANSITIONS: dict[tuple[BookingState, BookingEvent], BookingState] = {
    (S.HELD, E.CONFIRM): S.CONFIRMED,
    (S.HELD, E.EXPIRE): S.EXPIRED,
    (S.HELD, E.CANCEL): S.CANCELLED,
    (S.CONFIRMED, E.RESCHEDULE): S.CONFIRMED,
    (S.CONFIRMED, E.CHECK_IN): S.CHECKED_IN,
    (S.CONFIRMED, E.NO_SHOW): S.NO_SHOW,
    (S.CONFIRMED, E.CANCEL): S.CANCELLED,
    (S.CHECKED_IN, E.COMPLETE): S.COMPLETED,
}

# States in which a booking takes its staff member's and room's time.
TAKING_TIME = frozenset({S.HELD, S.CONFIRMED, S.CHECKED_IN})
# What staff may do from the calendar (the rest happens by itself or is the customer's).
STAFF_EVENTS = frozenset({E.CHECK_IN, E.COMPLETE, E.NO_SHOW, E.CANCEL, E.RESCHEDULE})
