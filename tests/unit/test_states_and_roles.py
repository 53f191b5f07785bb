"""Transition tables and the role table are data: check they are consistent."""

from __future__ import annotations

import pytest

from marketplace.catalog.states import TRANSITIONS as LISTING
from marketplace.catalog.states import ListingEvent, ListingStatus
from marketplace.errors import InvalidTransition
from marketplace.merchants.roles import (
    ASSIGNABLE_ROLES,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    allowed,
)
from marketplace.merchants.states import ADMIN_EVENTS, MerchantEvent, MerchantStatus
from marketplace.merchants.states import TRANSITIONS as MERCHANT
from marketplace.states import events_from, next_state

TABLES = [(MERCHANT, MerchantStatus, MerchantEvent), (LISTING, ListingStatus, ListingEvent)]


@pytest.mark.parametrize(("table", "states", "events"), TABLES)
def test_next_state_follows_the_table_and_refuses_the_rest(table, states, events):
    for state in states:
        for event in events:
            if (state, event) in table:
                assert next_state(table, state, event) == table[(state, event)]
            else:
                with pytest.raises(InvalidTransition) as info:
                    next_state(table, state, event)
                assert info.value.extra == {"state": str(state), "event": str(event)}
                assert info.value.status == 409


@pytest.mark.parametrize(("table", "states", "events"), TABLES)
def test_every_state_is_reachable_and_has_a_way_out(table, states, events):
    targets = set(table.values())
    sources = {s for s, _e in table}
    initial = next(iter(states))
    assert set(states) - {initial} <= targets
    assert set(states) == sources  # no dead end: every state can change again
    assert all(isinstance(e, events) for _s, e in table)


def test_events_from_in_table_order():
    assert events_from(MERCHANT, MerchantStatus.PENDING) == [MerchantEvent.APPROVE,
                                                             MerchantEvent.REJECT]
    assert events_from(LISTING, ListingStatus.ARCHIVED) == [ListingEvent.RESTORE]


def test_only_resubmit_is_for_merchants():
    assert set(MerchantEvent) - ADMIN_EVENTS == {MerchantEvent.RESUBMIT}


def test_roles():
    assert ROLE_PERMISSIONS[Role.OWNER] == frozenset(Permission)
    assert ROLE_PERMISSIONS[Role.STAFF] < ROLE_PERMISSIONS[Role.MANAGER] < \
        ROLE_PERMISSIONS[Role.OWNER]
    assert allowed("staff", Permission.ADJUST_STOCK)
    assert not allowed("staff", Permission.MANAGE_STAFF)
    assert not allowed("manager", Permission.MANAGE_PROFILE)
    assert Role.OWNER not in ASSIGNABLE_ROLES[Role.MANAGER]
    assert ASSIGNABLE_ROLES[Role.STAFF] == frozenset()
    with pytest.raises(ValueError):
        allowed("boss", Permission.VIEW)
