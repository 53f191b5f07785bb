"""States are data: each stateful entity has a transition table and this pure function."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from .errors import InvalidTransition

S = TypeVar("S", bound=StrEnum)
E = TypeVar("E", bound=StrEnum)


def next_state(table: Mapping[tuple[S, E], S], state: S, event: E) -> S:
    """Return the state ``event`` leads to from ``state``, or raise ``InvalidTransition``."""
    try:
        return table[(state, event)]
    except KeyError:
        # The state and event go to API clients as codes; people get a translated sentence.
        raise InvalidTransition(state=str(state), event=str(event)) from None


def events_from(table: Mapping[tuple[S, E], S], state: S) -> list[E]:
    """The events allowed in ``state``, in table order (used to draw action buttons)."""
    return [event for (source, event) in table if source == state]
