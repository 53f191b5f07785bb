"""Bookable services, the people and things that serve them, and the bookings.

Every row that takes time from a staff member or a room is an ``Occupancy``: one per booking
and resource (a massage holds a therapist and a room), one per block (time off, a one-off
closure of a room). On PostgreSQL an exclusion constraint over (resource, time range) makes
two overlapping occupancies of one resource impossible, whatever the application does (see
the branch's first migration); on SQLite every write transaction holds the database's write
lock (``BEGIN IMMEDIATE``), so the check and the insert of ``book`` cannot interleave.
"""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import TimestampMixin, UTCDateTime, utcnow
from marketplace.extensions import db

service_stores = sa.Table(
    "booking_appointments_service_stores", db.metadata,
    sa.Column("service_id", sa.ForeignKey("booking_appointments_services.id",
                                          ondelete="CASCADE"), primary_key=True),
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True,
              index=True),
)

resource_services = sa.Table(
    "booking_appointments_resource_services", db.metadata,
    sa.Column("resource_id", sa.ForeignKey("booking_appointments_resources.id",
                                           ondelete="CASCADE"), primary_key=True),
    sa.Column("service_id", sa.ForeignKey("booking_appointments_services.id",
                                          ondelete="CASCADE"), primary_key=True, index=True),
)


class ServiceSetup(TimestampMixin, db.Model):
    """How a ``service`` listing is booked. Its duration and price are the listing's."""

    __tablename__ = "booking_appointments_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                            unique=True, nullable=False)
    buffer_before_minutes: Mapped[int] = mapped_column(default=0, nullable=False)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0, nullable=False)
    step_minutes: Mapped[int] = mapped_column(default=15, nullable=False)
    lead_minutes: Mapped[int] = mapped_column(default=60, nullable=False)
    horizon_days: Mapped[int] = mapped_column(default=30, nullable=False)
    needs_staff: Mapped[bool] = mapped_column(default=True, nullable=False)
    needs_resource: Mapped[bool] = mapped_column(default=False, nullable=False)
    party_min: Mapped[int] = mapped_column(default=1, nullable=False)
    party_max: Mapped[int] = mapped_column(default=1, nullable=False)
    # Places of one session: more than one makes it a group service (a class, a tour, a
    # workshop) whose customers share a start, each party taking its places (``sessions.py``).
    seats: Mapped[int] = mapped_column(default=1, server_default="1", nullable=False)
    # Free cancellation and rescheduling until this many hours before the start.
    cancel_cutoff_hours: Mapped[int] = mapped_column(default=24, nullable=False)
    reschedule_cutoff_hours: Mapped[int] = mapped_column(default=24, nullable=False)
    # Money ahead (``prepay.py``): "at_store" (nothing), "deposit" (``deposit_amount``, minor
    # units of the listing's currency) or "full" (the price).
    payment: Mapped[str] = mapped_column(sa.String(12), default="at_store",
                                         server_default="at_store", nullable=False)
    deposit_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)

    listing = relationship("Listing")
    stores = relationship("Store", secondary=service_stores, order_by="Store.name")

    __table_args__ = (
        sa.CheckConstraint("buffer_before_minutes >= 0 AND buffer_after_minutes >= 0",
                           name="buffers"),
        sa.CheckConstraint("step_minutes > 0", name="step"),
        sa.CheckConstraint("party_min >= 1 AND party_max >= party_min", name="party"),
    )

    @property
    def is_group(self) -> bool:
        return self.seats > 1


class Resource(TimestampMixin, db.Model):
    """A staff member, a room, a chair or a table of one store. ``capacity`` is how many
    people it serves at once (a table's seats); a staff member may be linked to a member of
    the merchant's team so they can see their own calendar."""

    __tablename__ = "booking_appointments_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(12), nullable=False)  # staff | room | table
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    capacity: Mapped[int] = mapped_column(default=1, nullable=False)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)

    store = relationship("Store")
    user = relationship("User")
    services = relationship("ServiceSetup", secondary=resource_services)
    hours = relationship("WorkingHours", cascade="all, delete-orphan",
                         order_by="(WorkingHours.weekday, WorkingHours.opens)")

    __table_args__ = (
        sa.CheckConstraint("capacity >= 1", name="capacity"),
        sa.UniqueConstraint("store_id", "name"),
    )

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"


class WorkingHours(db.Model):
    """A staff member's weekly working interval, local to the store. A staff member without
    any works whenever the store is open."""

    __tablename__ = "booking_appointments_working_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("booking_appointments_resources.id", ondelete="CASCADE"), index=True,
        nullable=False)
    weekday: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    opens: Mapped[time] = mapped_column(sa.Time, nullable=False)
    closes: Mapped[time] = mapped_column(sa.Time, nullable=False)
    overnight: Mapped[bool] = mapped_column(default=False, nullable=False)


class Block(db.Model):
    """Time a resource is not bookable: a staff member's day off or leave, a room being
    repaired. It takes its time through an ``Occupancy``, like a booking."""

    __tablename__ = "booking_appointments_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("booking_appointments_resources.id", ondelete="CASCADE"), index=True,
        nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    resource = relationship("Resource")

    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="period"),)


class Session(db.Model):
    """One run of a group service at a store (the 18:00 yoga class): it takes its instructor
    and room once, through ``Occupancy`` rows of its own, and its customers' bookings share
    its ``seats``. ``seats`` is the service's at the time the session was opened, so changing
    the service later does not overfill a session. There is at most one per service, store
    and start (two customers who open it at once meet on the unique constraint), and
    ``seats_taken`` never passes ``seats`` (a conditional update, and the check below)."""

    __tablename__ = "booking_appointments_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    service_id: Mapped[int] = mapped_column(
        sa.ForeignKey("booking_appointments_services.id", ondelete="CASCADE"), nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    seats: Mapped[int] = mapped_column(nullable=False)
    seats_taken: Mapped[int] = mapped_column(default=0, nullable=False)
    staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("booking_appointments_resources.id", ondelete="SET NULL"), index=True)
    resource_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("booking_appointments_resources.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    service = relationship("ServiceSetup")
    staff = relationship("Resource", foreign_keys=[staff_id])
    resource = relationship("Resource", foreign_keys=[resource_id])

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="period"),
        sa.CheckConstraint("seats_taken >= 0 AND seats_taken <= seats", name="seats"),
        sa.UniqueConstraint("service_id", "store_id", "starts_at"),
    )

    @property
    def seats_left(self) -> int:
        return self.seats - self.seats_taken


class Booking(TimestampMixin, db.Model):
    """One appointment of a customer: a service at a store, from ``starts_at`` to
    ``ends_at`` (the service itself; buffers live in the occupancies)."""

    __tablename__ = "booking_appointments_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    service_id: Mapped[int] = mapped_column(
        sa.ForeignKey("booking_appointments_services.id", ondelete="CASCADE"), index=True,
        nullable=False)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, index=True)
    party_size: Mapped[int] = mapped_column(default=1, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # While held: the hold lapses at this time unless the booking is confirmed.
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    staff_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("booking_appointments_resources.id", ondelete="SET NULL"), index=True)
    resource_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("booking_appointments_resources.id", ondelete="SET NULL"), index=True)
    # The customer asked for this staff member (a reschedule keeps them) or took anyone.
    staff_requested: Mapped[bool] = mapped_column(default=False, nullable=False)
    # A group service's booking takes places in a session rather than time of its own (its
    # staff and room above are the session's, shown to the customer).
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("booking_appointments_sessions.id", ondelete="SET NULL"), index=True)
    price: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    note: Mapped[str] = mapped_column(sa.String(500), default="", nullable=False)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(200))
    reschedules: Mapped[int] = mapped_column(default=0, nullable=False)
    # The nearest reminder sent so far (hours before the start); a move clears it.
    reminded_hours: Mapped[int | None] = mapped_column()
    # The order paying ahead for it (a deposit, or the whole price), if the service asks.
    order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    store = relationship("Store")
    service = relationship("ServiceSetup")
    customer = relationship("User")
    staff = relationship("Resource", foreign_keys=[staff_id])
    resource = relationship("Resource", foreign_keys=[resource_id])
    session = relationship("Session")
    order = relationship("Order")

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="period"),
        sa.CheckConstraint("party_size >= 1", name="party"),
    )


# Exactly one owner. Booleans are not numbers everywhere (PostgreSQL refuses to add them),
# so each owner counts through CASE, which SQLite and PostgreSQL read alike.
OWNER_CHECK = ("(CASE WHEN booking_id IS NULL THEN 0 ELSE 1 END)"
               " + (CASE WHEN block_id IS NULL THEN 0 ELSE 1 END)"
               " + (CASE WHEN session_id IS NULL THEN 0 ELSE 1 END) = 1")


class Occupancy(db.Model):
    """Time one resource is taken, buffers included: by a booking (held or confirmed), by a
    block, or by a group session (its instructor and room, once for all its customers). Rows
    exist only while they take the time: cancelling, expiring or moving a booking deletes or
    replaces them, and a session's go when its last customer leaves. A held booking's rows
    lapse at ``hold_until``; ``book`` clears lapsed rows of the resources it needs before it
    inserts its own."""

    __tablename__ = "booking_appointments_occupancies"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey("booking_appointments_resources.id", ondelete="CASCADE"), nullable=False)
    booking_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("booking_appointments_bookings.id", ondelete="CASCADE"), index=True)
    block_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("booking_appointments_blocks.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("booking_appointments_sessions.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="period"),
        sa.CheckConstraint(OWNER_CHECK, name="owner"),
        sa.Index("ix_booking_appointments_occupancies_resource_time", "resource_id",
                 "starts_at"),
    )
