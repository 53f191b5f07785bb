"""A Hypothesis state machine books, confirms, moves, cancels and blocks random overlapping
times while the clock runs (holds lapse), and after every step no staff member or room is
in two overlapping occupancies and every live booking holds exactly its own time. With
``--db=postgres`` this runs against PostgreSQL and its exclusion constraint."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from marketplace.errors import MarketplaceError
from marketplace.orders.audit import Actor
from marketplace.orders.models import AuditEntry
from marketplace.redemption.models import RedeemableCode
from tests.support.salon import NOW, at, booking_module, make_spa

pytestmark = pytest.mark.usefixtures("english")

STARTS = st.builds(lambda day, half_hours: at(9, day=(NOW + timedelta(days=day + 1)).date())
                   + timedelta(minutes=30 * half_hours),
                   st.integers(0, 1), st.integers(0, 17))


def test_random_bookings_moves_and_cancellations_never_overlap(
        db, make_merchant, make_store, make_listing, make_user):
    spa = make_spa(make_merchant, make_store, make_listing, therapists=2, rooms=2,
                   buffer_after=15)
    customers = [make_user() for _ in range(3)]
    bookings, models, setup = (booking_module(n) for n in ("booking", "models", "setup"))
    Booking, Occupancy = models.Booking, models.Occupancy
    resources = spa.therapists + spa.rooms
    FORGET = {Booking, Occupancy, models.Block, AuditEntry, RedeemableCode}

    class Calendar(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.savepoint = db.session.begin_nested()
            self.now = NOW
            self.ids: list[int] = []

        def teardown(self):
            self.savepoint.rollback()
            # The next example's rows may get the same ids (SQLite reuses them after a
            # rollback): forget this example's objects, keep the spa's.
            for obj in list(db.session.identity_map.values()):
                if type(obj) in FORGET:
                    db.session.expunge(obj)

        def _pick(self, index: int, *states):
            found = [b for b in (db.session.get(Booking, i) for i in self.ids)
                     if b.state in states]
            return found[index % len(found)] if found else None

        @rule(start=STARTS, who=st.integers(0, 2), customer=st.integers(0, 2))
        def hold(self, start, who, customer):
            staff_id = spa.therapists[who].id if who < 2 else None
            try:
                booking = bookings.hold(spa.service, spa.store, start, now=self.now,
                                        customer=customers[customer], staff_id=staff_id)
            except MarketplaceError:
                return
            self.ids.append(booking.id)

        @rule(index=st.integers(0, 50))
        def confirm(self, index):
            booking = self._pick(index, "held")
            if booking is not None:
                with contextlib.suppress(MarketplaceError):  # a lapsed hold that lost its time
                    bookings.confirm(booking, customer=booking.customer, now=self.now)

        @rule(index=st.integers(0, 50), start=STARTS)
        def move(self, index, start):
            booking = self._pick(index, "confirmed")
            if booking is not None:
                with contextlib.suppress(MarketplaceError):  # a taken or closed time
                    bookings.reschedule(booking, start, actor=Actor("staff"),
                                        by_customer=False, now=self.now)

        @rule(index=st.integers(0, 50))
        def cancel(self, index):
            booking = self._pick(index, "held", "confirmed")
            if booking is not None:
                bookings.cancel(booking, actor=Actor("staff"), by_customer=False, now=self.now)

        @rule(which=st.integers(0, 3), start=STARTS, hours=st.integers(1, 4))
        def block(self, which, start, hours):
            with contextlib.suppress(MarketplaceError):  # over a booking: refused
                setup.add_block(resources[which], start, start + timedelta(hours=hours),
                                reason="", actor_id=None)

        @rule(minutes=st.integers(1, 15))
        def time_passes(self, minutes):
            self.now += timedelta(minutes=minutes)

        @invariant()
        def no_resource_is_taken_twice(self):
            other = sa.orm.aliased(Occupancy)
            clashes = db.session.scalar(sa.select(sa.func.count()).select_from(Occupancy).join(
                other, sa.and_(other.resource_id == Occupancy.resource_id,
                               other.id < Occupancy.id, other.starts_at < Occupancy.ends_at,
                               other.ends_at > Occupancy.starts_at)))
            assert clashes == 0

        @invariant()
        def each_booking_holds_exactly_its_time(self):
            for booking_id in self.ids:
                booking = db.session.get(Booking, booking_id)
                rows = db.session.execute(sa.select(
                    Occupancy.resource_id, Occupancy.starts_at, Occupancy.ends_at).where(
                    Occupancy.booking_id == booking_id)).all()
                if booking.state in ("held", "confirmed"):
                    blocked = (booking.starts_at, booking.ends_at + timedelta(minutes=15))
                    assert sorted(rows) == sorted(
                        [(booking.staff_id, *blocked), (booking.resource_id, *blocked)])
                else:
                    assert rows == [], booking.state

    run_state_machine_as_test(Calendar, settings=settings(
        max_examples=60, stateful_step_count=40, deadline=None,
        suppress_health_check=list(HealthCheck)))
