"""The payout transition table: one way for the money (a bank file or a payout method, never
both), final states stay final, and only a cancelled batch lets go of its ledger rows."""

from __future__ import annotations

import pytest

from marketplace.errors import InvalidTransition
from marketplace.settlement.states import (
    EXPORTABLE_STATES,
    LIVE_STATES,
    PAYOUT_TRANSITIONS,
    STATE_LABELS,
    PayoutEvent,
    PayoutState,
)
from marketplace.states import events_from, next_state

S, E = PayoutState, PayoutEvent


@pytest.mark.parametrize("path, end", [
    ([E.EXPORT, E.PAY], S.PAID),
    ([E.SEND, E.PAY], S.PAID),
    ([E.SEND, E.FAIL, E.EXPORT, E.CANCEL], S.CANCELLED),
    ([E.PAY], S.PAID),
])
def test_paths_through_the_table(path, end):
    state = S.DRAFT
    for event in path:
        state = next_state(PAYOUT_TRANSITIONS, state, event)
    assert state == end


@pytest.mark.parametrize("state, event", [
    (S.EXPORTED, E.SEND),      # the bank may be paying it: never a payout method as well
    (S.EXPORTED, E.EXPORT),    # exporting again is allowed, but it is not a transition
    (S.SENDING, E.CANCEL),     # the money may be moving
    (S.SENDING, E.EXPORT),
    (S.DRAFT, E.FAIL),
])
def test_forbidden_moves(state, event):
    with pytest.raises(InvalidTransition):
        next_state(PAYOUT_TRANSITIONS, state, event)


def test_paid_and_cancelled_are_final_and_only_cancelled_frees_rows():
    assert events_from(PAYOUT_TRANSITIONS, S.PAID) == []
    assert events_from(PAYOUT_TRANSITIONS, S.CANCELLED) == []
    assert set(PayoutState) - LIVE_STATES == {S.CANCELLED}
    assert {S.DRAFT, S.EXPORTED} == EXPORTABLE_STATES
    assert set(STATE_LABELS) == set(PayoutState)
