from __future__ import annotations

from datetime import date, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TimestampMixin
from ..extensions import db


class Store(TimestampMixin, db.Model):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    address_line: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    ward: Mapped[str | None] = mapped_column(sa.String(80))
    district: Mapped[str | None] = mapped_column(sa.String(80))
    city: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    country_code: Mapped[str] = mapped_column(sa.String(2), default="VN", nullable=False)
    latitude: Mapped[float] = mapped_column(sa.Float, nullable=False)
    longitude: Mapped[float] = mapped_column(sa.Float, nullable=False)
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Ho_Chi_Minh",
                                          nullable=False)
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)
    pickup_enabled: Mapped[bool] = mapped_column(default=False, nullable=False)
    pickup_lead_minutes: Mapped[int] = mapped_column(default=60, nullable=False)
    pickup_slot_minutes: Mapped[int] = mapped_column(default=30, nullable=False)
    pickup_orders_per_slot: Mapped[int] = mapped_column(default=5, nullable=False)
    # After the pickup window ends, how long the order waits before it counts as a no-show.
    pickup_grace_minutes: Mapped[int] = mapped_column(default=60, server_default="60",
                                                      nullable=False)
    reserve_enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false(),
                                                  nullable=False)
    # How long a reservation to try holds the items at the store.
    reserve_hold_hours: Mapped[int] = mapped_column(default=48, server_default="48",
                                                    nullable=False)

    merchant = relationship("Merchant", back_populates="stores")
    hours = relationship("OpeningInterval", cascade="all, delete-orphan",
                         order_by="(OpeningInterval.weekday, OpeningInterval.opens)")
    exceptions = relationship("StoreException", cascade="all, delete-orphan",
                              order_by="StoreException.date")

    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "slug"),
        # "Which stores are within 5 km": a bounding box on the position, then haversine.
        sa.Index("ix_stores_position", "latitude", "longitude"),
        sa.CheckConstraint("latitude >= -90 AND latitude <= 90", name="latitude_range"),
        sa.CheckConstraint("longitude >= -180 AND longitude <= 180", name="longitude_range"),
        sa.CheckConstraint("pickup_lead_minutes >= 0", name="pickup_lead"),
        sa.CheckConstraint("pickup_slot_minutes > 0", name="pickup_slot"),
        sa.CheckConstraint("pickup_orders_per_slot > 0", name="pickup_capacity"),
        sa.CheckConstraint("pickup_grace_minutes >= 0", name="pickup_grace"),
        sa.CheckConstraint("reserve_hold_hours > 0", name="reserve_hold"),
    )

    @property
    def address(self) -> str:
        parts = [self.address_line, self.ward, self.district, self.city]
        return ", ".join(p for p in parts if p)

    def __repr__(self) -> str:
        return f"<Store {self.id} {self.slug}>"


class OpeningInterval(db.Model):
    """One weekly opening interval in the store's local time.

    ``weekday`` is 0 (Monday) … 6 (Sunday), the day the interval starts. ``overnight`` says
    the interval closes on the next day (so 22:00–02:00 is stated, not guessed from an
    inverted pair); 00:00–00:00 overnight is open around the clock.
    """

    __tablename__ = "opening_intervals"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    weekday: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)
    opens: Mapped[time] = mapped_column(sa.Time, nullable=False)
    closes: Mapped[time] = mapped_column(sa.Time, nullable=False)
    overnight: Mapped[bool] = mapped_column(default=False, nullable=False)

    __table_args__ = (sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),)


class StoreException(db.Model):
    """A dated change to the weekly hours: closed all day, or these intervals instead.

    ``intervals`` is a list of ``{"opens": "HH:MM", "closes": "HH:MM", "overnight": bool}``.
    """

    __tablename__ = "store_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    closed: Mapped[bool] = mapped_column(default=True, nullable=False)
    intervals: Mapped[list] = mapped_column(sa.JSON, default=list, nullable=False)
    note: Mapped[str | None] = mapped_column(sa.String(200))

    __table_args__ = (sa.UniqueConstraint("store_id", "date"),)
