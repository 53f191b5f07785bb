"""States are data: each stateful entity has a transition table and this pure function."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from flask_babel import lazy_gettext as _l

from .errors import InvalidTransition

S = TypeVar("S", bound=StrEnum)
E = TypeVar("E", bound=StrEnum)


def next_state(table: Mapping[tuple[S, E], S], state: S, event: E) -> S:
    """Return the state ``event`` leads to from ``state``, or raise ``InvalidTransition``."""
    try:
        return table[(state, event)]
    except KeyError:
        raise InvalidTransition(
            _l("Cannot %(event)s from state %(state)s.", event=str(event), state=str(state)),
            state=str(state), event=str(event),
        ) from None


def events_from(table: Mapping[tuple[S, E], S], state: S) -> list[E]:
    """The events allowed in ``state``, in table order (used to draw action buttons)."""
    return [event for (source, event) in table if source == state]
