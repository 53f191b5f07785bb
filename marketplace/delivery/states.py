"""Shipment states as a transition table (see ``marketplace.states``).

created → picked_up → in_transit → out_for_delivery → delivered is the way it should go. A
failed attempt waits for a re-delivery (back out for delivery) or goes back to the store;
only a shipment that has not left on its way yet can be cancelled.

Carriers report states, not events, and their news arrives late, twice and out of order.
``RANK`` orders the states along the way, so a late "in transit" after "out for delivery"
is recognised as old news and ignored instead of moving the shipment back.
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum


class ShipmentState(StrEnum):
    CREATED = "created"                    # booked, waiting at the store
    PICKED_UP = "picked_up"                # the goods left the store with the courier
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"  # on the last leg, an attempt is under way
    DELIVERED = "delivered"
    FAILED_ATTEMPT = "failed_attempt"      # nobody took it: re-deliver or send it back
    RETURNING = "returning"                # on its way back to a store
    RETURNED_TO_STORE = "returned_to_store"
    CANCELLED = "cancelled"


class ShipmentEvent(StrEnum):
    PICK_UP = "pick_up"
    FORWARD = "forward"            # handed on between the courier's hubs
    SEND_OUT = "send_out"          # out for the first delivery attempt
    DELIVER = "deliver"
    FAIL_ATTEMPT = "fail_attempt"
    REDELIVER = "redeliver"        # out for another attempt
    SEND_BACK = "send_back"
    RECEIVE_BACK = "receive_back"  # the store has the goods again
    CANCEL = "cancel"


class EventSource(StrEnum):
    CARRIER = "carrier"  # the carrier's webhook or tracking poll
    STAFF = "staff"      # the merchant's dashboard
    COURIER = "courier"  # the merchant's own rider assigned to the shipment
    SYSTEM = "system"    # a rule of the platform (no attempts left)


S, E = ShipmentState, ShipmentEvent

SHIPMENT_TRANSITIONS: dict[tuple[ShipmentState, ShipmentEvent], ShipmentState] = {
    (S.CREATED, E.PICK_UP): S.PICKED_UP,
    (S.CREATED, E.CANCEL): S.CANCELLED,
    (S.PICKED_UP, E.FORWARD): S.IN_TRANSIT,
    (S.PICKED_UP, E.CANCEL): S.CANCELLED,
    (S.IN_TRANSIT, E.SEND_OUT): S.OUT_FOR_DELIVERY,
    (S.OUT_FOR_DELIVERY, E.DELIVER): S.DELIVERED,
    (S.OUT_FOR_DELIVERY, E.FAIL_ATTEMPT): S.FAILED_ATTEMPT,
    (S.FAILED_ATTEMPT, E.REDELIVER): S.OUT_FOR_DELIVERY,
    (S.FAILED_ATTEMPT, E.SEND_BACK): S.RETURNING,
    (S.RETURNING, E.RECEIVE_BACK): S.RETURNED_TO_STORE,
}

FINAL_STATES = frozenset({S.DELIVERED, S.RETURNED_TO_STORE, S.CANCELLED})

# How far along the way each state is. Out for delivery and a failed attempt share a rank:
# they alternate while attempts remain, so between them only the time of the news decides.
# Every final state has the top rank: nothing a carrier says afterwards moves the shipment.
RANK: dict[ShipmentState, int] = {
    S.CREATED: 0,
    S.PICKED_UP: 1,
    S.IN_TRANSIT: 2,
    S.OUT_FOR_DELIVERY: 3,
    S.FAILED_ATTEMPT: 3,
    S.RETURNING: 4,
    S.DELIVERED: 5,
    S.RETURNED_TO_STORE: 5,
    S.CANCELLED: 5,
}


def route(table: dict[tuple[ShipmentState, ShipmentEvent], ShipmentState],
          start: ShipmentState, goal: ShipmentState) -> list[ShipmentEvent] | None:
    """The shortest list of events leading from ``start`` to ``goal``, or None.

    A carrier that reports "delivered" for a shipment we last knew as "picked up" skipped
    news we never got; walking the table step by step keeps each step's rules (the stock
    leaving at pick-up, the attempts counted) instead of jumping."""
    if start == goal:
        return []
    seen = {start}
    queue: deque[tuple[ShipmentState, list[ShipmentEvent]]] = deque([(start, [])])
    while queue:
        state, path = queue.popleft()
        for (source, event), target in table.items():
            if source != state or target in seen:
                continue
            if target == goal:
                return [*path, event]
            seen.add(target)
            queue.append((target, [*path, event]))
    return None
