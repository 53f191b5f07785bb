"""The shipment transition table, pair by pair, written out once more by hand, and the
ranks and routes that keep a carrier's late news from moving a shipment backwards."""

from __future__ import annotations

import pytest

from marketplace.delivery.states import (
    FINAL_STATES,
    RANK,
    SHIPMENT_TRANSITIONS,
    ShipmentEvent,
    ShipmentState,
    route,
)
from marketplace.errors import InvalidTransition
from marketplace.states import next_state

S, E = ShipmentState, ShipmentEvent

# The table as issue 9 describes it, typed again rather than read from the code: a change
# of the table must change this too, on purpose.
EXPECTED = {
    ("created", "pick_up"): "picked_up",
    ("created", "cancel"): "cancelled",
    ("picked_up", "forward"): "in_transit",
    ("picked_up", "cancel"): "cancelled",
    ("in_transit", "send_out"): "out_for_delivery",
    ("out_for_delivery", "deliver"): "delivered",
    ("out_for_delivery", "fail_attempt"): "failed_attempt",
    ("failed_attempt", "redeliver"): "out_for_delivery",
    ("failed_attempt", "send_back"): "returning",
    ("returning", "receive_back"): "returned_to_store",
}

PAIRS = [pytest.param(state, event, id=f"{state}+{event}") for state in S for event in E]


@pytest.mark.parametrize(("state", "event"), PAIRS)
def test_each_pair_is_allowed_as_written_or_refused_with_409(state, event):
    expected = EXPECTED.get((str(state), str(event)))
    if expected is not None:
        assert next_state(SHIPMENT_TRANSITIONS, state, event) == expected
    else:
        with pytest.raises(InvalidTransition) as refused:
            next_state(SHIPMENT_TRANSITIONS, state, event)
        assert refused.value.status == 409
        assert refused.value.extra == {"state": str(state), "event": str(event)}


def test_the_table_is_exactly_the_expected_one():
    assert {(str(s), str(e)): str(t) for (s, e), t in SHIPMENT_TRANSITIONS.items()} == EXPECTED


def test_final_states_lead_nowhere_and_every_other_state_leads_somewhere():
    sources = {state for state, _event in SHIPMENT_TRANSITIONS}
    assert {S.DELIVERED, S.RETURNED_TO_STORE, S.CANCELLED} == FINAL_STATES
    assert sources == set(S) - FINAL_STATES


def test_every_state_has_a_rank_and_no_step_of_the_table_goes_down():
    assert set(RANK) == set(S)
    for (state, _event), target in SHIPMENT_TRANSITIONS.items():
        assert RANK[target] >= RANK[state], (state, target)
    # Only the re-delivery loop stays on one rank; the final states share the top one.
    level = [(s, t) for (s, _e), t in SHIPMENT_TRANSITIONS.items() if RANK[s] == RANK[t]]
    assert sorted(level) == [(S.FAILED_ATTEMPT, S.OUT_FOR_DELIVERY),
                             (S.OUT_FOR_DELIVERY, S.FAILED_ATTEMPT)]
    assert {RANK[s] for s in FINAL_STATES} == {max(RANK.values())}


@pytest.mark.parametrize(("start", "goal", "events"), [
    (S.CREATED, S.CREATED, []),
    (S.CREATED, S.DELIVERED, [E.PICK_UP, E.FORWARD, E.SEND_OUT, E.DELIVER]),
    (S.PICKED_UP, S.OUT_FOR_DELIVERY, [E.FORWARD, E.SEND_OUT]),
    (S.FAILED_ATTEMPT, S.OUT_FOR_DELIVERY, [E.REDELIVER]),
    (S.IN_TRANSIT, S.RETURNED_TO_STORE,
     [E.SEND_OUT, E.FAIL_ATTEMPT, E.SEND_BACK, E.RECEIVE_BACK]),
    (S.OUT_FOR_DELIVERY, S.IN_TRANSIT, None),   # backwards: no way
    (S.IN_TRANSIT, S.CANCELLED, None),          # on its way: too late to cancel
    (S.DELIVERED, S.RETURNING, None),
])
def test_route_walks_the_table_step_by_step(start, goal, events):
    assert route(SHIPMENT_TRANSITIONS, start, goal) == events
