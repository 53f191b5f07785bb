"""TEST DOUBLE of an outside calendar (a staff member's Google or Outlook calendar), as a
plugin that registers a ``SlotSource``.

A real one answers from a copy of the outside calendar kept in its own tables by a periodic
job; this one answers from an in-memory dict ``{resource_id: [(start, end)]}`` a test fills,
plus the events it was asked to push for bookings (what a real calendar would then show), and
records every hold and release it is told of. A test can make it refuse the hold of some
resources (``Conflict``, as if the person were busy there) or fail (``RuntimeError``, as if the
service were down) in any method. Used by tests/integration/test_booking_sources.py.
"""

from __future__ import annotations

from datetime import datetime

from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.orders.audit import SYSTEM, record
from marketplace.plugins import (
    BusyTime,
    PluginInfo,
    SlotQuery,
    SlotSource,
    TakenSlot,
    hookimpl,
)

NAME = "outside_calendar"


class OutsideCalendar(SlotSource):
    identifier = "outside_calendar"
    label = "Staff calendars (test double)"

    def __init__(self) -> None:
        #: What the outside calendar says each resource is busy with.
        self.busy: dict[int, list[tuple[datetime, datetime]]] = {}
        #: The event pushed for each booking it was told holds time (booking id → slot).
        self.events: dict[int, TakenSlot] = {}
        #: ("hold" | "release", slot), in the order they came.
        self.calls: list[tuple[str, TakenSlot]] = []
        self.queries: list[SlotQuery] = []
        #: Holds involving these resources are refused with ``Conflict``.
        self.refuse: set[int] = set()
        #: These methods raise ``RuntimeError`` (a hold or release writes a row first).
        self.fail: set[str] = set()

    def availability(self, query: SlotQuery) -> list[BusyTime]:
        self.queries.append(query)
        if "availability" in self.fail:
            raise RuntimeError("the calendar service is down")
        spans = [(resource_id, start, end) for resource_id, known in self.busy.items()
                 for start, end in known]
        spans += [(resource_id, event.starts_at, event.ends_at)
                  for event in self.events.values() if event.booking_id != query.booking_id
                  for resource_id in event.resource_ids]
        return [BusyTime(resource_id, start, end) for resource_id, start, end in spans
                if resource_id in query.resource_ids and start < query.ends_at
                and end > query.starts_at]

    def hold(self, slot: TakenSlot) -> None:
        self.calls.append(("hold", slot))
        self._maybe_fail("hold", slot)
        if self.refuse & set(slot.resource_ids):
            raise Conflict("Busy in their own calendar.")
        self.events[slot.booking_id] = slot

    def release(self, slot: TakenSlot) -> None:
        self.calls.append(("release", slot))
        self._maybe_fail("release", slot)
        self.events.pop(slot.booking_id, None)

    def _maybe_fail(self, method: str, slot: TakenSlot) -> None:
        if method in self.fail:
            # A write half done before the failure: the savepoint must take it back.
            record(merchant_id=slot.merchant_id, order_id=None, entity=NAME,
                   entity_id=slot.booking_id, event=method, from_state=None,
                   to_state="half_done", actor=SYSTEM)
            db.session.flush()
            raise RuntimeError("the calendar service is down")


class OutsideCalendarPlugin:
    """The plugin around the source: merchant level, so only merchants who enable it get it."""

    PLUGIN = PluginInfo(name=NAME, version="1.0.0", category="booking", level="merchant",
                        description="Staff members' outside calendars (test double).")

    def __init__(self) -> None:
        self.source = OutsideCalendar()

    @hookimpl
    def marketplace_register_slot_sources(self, register):
        register(self.source)
