"""The order, payment and refund transition tables, pair by pair, and what the services read
from them (open, queue, final and customer-cancellable states)."""

from __future__ import annotations

from collections import deque

import pytest

from marketplace.errors import InvalidTransition
from marketplace.orders.states import (
    CUSTOMER_CANCELLABLE,
    FINAL_STATES,
    OPEN_STATES,
    ORDER_TRANSITIONS,
    QUEUE_STATES,
    SYSTEM_EVENTS,
    OrderEvent,
    OrderState,
)
from marketplace.payments.states import (
    LIVE_PAYMENT_STATES,
    PAYMENT_TRANSITIONS,
    REFUND_TRANSITIONS,
    PaymentEvent,
    PaymentState,
    RefundEvent,
    RefundState,
)
from marketplace.states import events_from, next_state

TABLES = {
    "order": (ORDER_TRANSITIONS, OrderState, OrderEvent, OrderState.PENDING_PAYMENT),
    "payment": (PAYMENT_TRANSITIONS, PaymentState, PaymentEvent, PaymentState.PENDING),
    "refund": (REFUND_TRANSITIONS, RefundState, RefundEvent, RefundState.PENDING),
}

# Every (state, event) pair of every table, each a test of its own: an allowed pair leads
# where the table says, any other pair is refused with 409 and the names of both.
PAIRS = [pytest.param(name, state, event, id=f"{name}:{state}+{event}")
         for name, (_table, states, events, _initial) in TABLES.items()
         for state in states for event in events]


@pytest.mark.parametrize(("name", "state", "event"), PAIRS)
def test_each_pair_is_allowed_by_the_table_or_refused(name, state, event):
    table = TABLES[name][0]
    if (state, event) in table:
        assert next_state(table, state, event) is table[(state, event)]
    else:
        with pytest.raises(InvalidTransition) as refused:
            next_state(table, state, event)
        assert refused.value.status == 409
        assert refused.value.extra == {"state": str(state), "event": str(event)}


# The expected tables written out once more, by hand, so a change to a table is a decision.
EXPECTED_ORDER = {
    "pending_payment": {"pay": "confirmed", "cancel": "cancelled", "expire": "expired"},
    "confirmed": {"prepare": "preparing", "mark_ready": "ready", "cancel": "cancelled",
                  "no_show": "no_show", "serve": "collected", "dispatch": "shipped"},
    "preparing": {"mark_ready": "ready", "cancel": "cancelled", "no_show": "no_show",
                  "dispatch": "shipped"},
    "ready": {"collect": "collected", "decline": "declined", "cancel": "cancelled",
              "no_show": "no_show", "dispatch": "shipped"},
    "shipped": {"deliver": "delivered", "cancel": "cancelled"},
}
EXPECTED_PAYMENT = {
    "pending": {"authorize": "authorized", "capture": "captured", "cancel": "cancelled",
                "fail": "failed"},
    "authorized": {"capture": "captured", "void": "voided", "fail": "failed"},
    "captured": {"refund_all": "refunded"},
}


@pytest.mark.parametrize(("table", "expected"), [(ORDER_TRANSITIONS, EXPECTED_ORDER),
                                                 (PAYMENT_TRANSITIONS, EXPECTED_PAYMENT)])
def test_tables_are_the_ones_documented(table, expected):
    written = {}
    for (state, event), target in table.items():
        written.setdefault(str(state), {})[str(event)] = str(target)
    assert written == expected


@pytest.mark.parametrize("name", TABLES)
def test_every_state_is_reachable_from_the_initial_one(name):
    table, states, _events, initial = TABLES[name]
    seen, queue = {initial}, deque([initial])
    while queue:
        state = queue.popleft()
        for event in events_from(table, state):
            target = table[(state, event)]
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert seen == set(states)


def test_final_states_have_no_way_out_and_open_states_all_have_one():
    sources = {state for state, _event in ORDER_TRANSITIONS}
    assert sources == OPEN_STATES
    assert set(OrderState) - sources == FINAL_STATES
    assert all(events_from(ORDER_TRANSITIONS, state) == [] for state in FINAL_STATES)
    # Every open order can be cancelled, so nothing holds stock for ever.
    assert all((state, OrderEvent.CANCEL) in ORDER_TRANSITIONS for state in OPEN_STATES)


def test_queue_customer_and_system_sets_agree_with_the_table():
    # A shipped delivery is open (its parcels will end it) but no longer the store's to act on.
    assert set(QUEUE_STATES) == OPEN_STATES - {OrderState.PENDING_PAYMENT, OrderState.SHIPPED}
    # The customer may cancel until the order is ready at the counter (or has left with the
    # courier), and never after.
    assert OPEN_STATES - {OrderState.READY, OrderState.SHIPPED} == CUSTOMER_CANCELLABLE
    # Staff events are everything a person at the store may fire.
    staff_events = {e for _s, e in ORDER_TRANSITIONS} - SYSTEM_EVENTS
    assert staff_events == {OrderEvent.PREPARE, OrderEvent.MARK_READY, OrderEvent.COLLECT,
                            OrderEvent.DECLINE, OrderEvent.CANCEL}
    # Only an order waiting for its online payment can expire; only one in the queue can be
    # a no-show.
    assert {s for s, e in ORDER_TRANSITIONS if e == OrderEvent.EXPIRE} == \
        {OrderState.PENDING_PAYMENT}
    assert {s for s, e in ORDER_TRANSITIONS if e == OrderEvent.NO_SHOW} == \
        set(QUEUE_STATES)


def test_live_payments_are_those_that_can_still_move_money():
    assert {PaymentState.PENDING, PaymentState.AUTHORIZED,
                                   PaymentState.CAPTURED} == LIVE_PAYMENT_STATES
    dead = set(PaymentState) - LIVE_PAYMENT_STATES
    assert all(events_from(PAYMENT_TRANSITIONS, state) == [] for state in dead)
    assert all(events_from(REFUND_TRANSITIONS, state) == []
               for state in (RefundState.SUCCEEDED, RefundState.FAILED))
