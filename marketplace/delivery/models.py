from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TimestampMixin, UTCDateTime, utcnow
from ..extensions import db


def _position_checks() -> tuple:
    return (sa.CheckConstraint("latitude >= -90 AND latitude <= 90", name="latitude_range"),
            sa.CheckConstraint("longitude >= -180 AND longitude <= 180",
                               name="longitude_range"))


class DeliveryAddress(TimestampMixin, db.Model):
    """A customer's saved address. The position is required: carriers price by distance and
    the platform calls no outside geocoder, so the customer drops a pin or types it."""

    __tablename__ = "delivery_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True, nullable=False)
    label: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    recipient_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    line: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    ward: Mapped[str | None] = mapped_column(sa.String(100))
    district: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    city: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    latitude: Mapped[float] = mapped_column(sa.Float, nullable=False)
    longitude: Mapped[float] = mapped_column(sa.Float, nullable=False)

    __table_args__ = _position_checks()


class Shipment(TimestampMixin, db.Model):
    """Goods of one order carried from one store to one address by one carrier.

    The recipient and address are copied, not linked: the customer may edit or delete a saved
    address while the parcel is on its way, and the courier must still find the door."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    # The fulfilling store: the goods leave from here.
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="RESTRICT"),
                                          index=True, nullable=False)
    # Where a returned parcel goes back on sale, when not the fulfilling store.
    return_store_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stores.id", ondelete="RESTRICT"))
    carrier: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    service: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    # What people read and say (the customer, the counter); the carrier has its own.
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    tracking_reference: Mapped[str | None] = mapped_column(sa.String(100))
    recipient_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    recipient_phone: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    address_line: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    ward: Mapped[str | None] = mapped_column(sa.String(100))
    district: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    city: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    latitude: Mapped[float] = mapped_column(sa.Float, nullable=False)
    longitude: Mapped[float] = mapped_column(sa.Float, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    fee: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    # Cash the courier collects at the door (0: paid online); what they say they took.
    cod_amount: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    cod_collected: Mapped[int | None] = mapped_column(sa.BigInteger)
    inspect_before_accept: Mapped[bool] = mapped_column(default=False, nullable=False)
    # Delivery attempts made so far (each time it goes out for delivery) and allowed.
    attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    max_attempts: Mapped[int] = mapped_column(default=1, nullable=False)
    redelivery_fee: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A rider of the merchant's own (local courier); outside carriers leave it empty.
    courier_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    note: Mapped[str | None] = mapped_column(sa.String(500))
    # When the latest applied news happened: the tie-breaker between states of equal rank.
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The goods left the store's stock (sold at pick-up) and came back (a return receipt):
    # each is done at most once, and the second only after the first.
    stock_left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stock_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    order = relationship("Order")
    merchant = relationship("Merchant")
    store = relationship("Store", foreign_keys=[store_id])
    return_store = relationship("Store", foreign_keys=[return_store_id])
    courier = relationship("User")
    lines = relationship("ShipmentLine", back_populates="shipment", order_by="ShipmentLine.id",
                         cascade="all, delete-orphan")
    events = relationship("ShipmentEventRecord", order_by="ShipmentEventRecord.id",
                          back_populates="shipment", cascade="all, delete-orphan")

    __table_args__ = (
        *_position_checks(),
        sa.CheckConstraint("fee >= 0", name="fee"),
        sa.CheckConstraint("cod_amount >= 0", name="cod_amount"),
        sa.CheckConstraint("attempts >= 0 AND max_attempts >= 1", name="attempts"),
        sa.CheckConstraint("redelivery_fee >= 0", name="redelivery_fee"),
        # One carrier never hands out the same tracking reference twice: a webhook names
        # exactly one shipment.
        sa.UniqueConstraint("carrier", "tracking_reference"),
    )

    @property
    def position(self) -> tuple[float, float]:
        return (self.latitude, self.longitude)


class ShipmentLine(db.Model):
    """What the parcel holds: a quantity of one order line (an order may ship in parts)."""

    __tablename__ = "shipment_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    shipment_id: Mapped[int] = mapped_column(sa.ForeignKey("shipments.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    order_line_id: Mapped[int] = mapped_column(
        sa.ForeignKey("order_lines.id", ondelete="CASCADE"), index=True, nullable=False)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id", ondelete="RESTRICT"),
                                            nullable=False)
    quantity: Mapped[int] = mapped_column(nullable=False)

    shipment = relationship("Shipment", back_populates="lines")
    order_line = relationship("OrderLine")
    variant = relationship("Variant")

    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity"),)


class ShipmentEventRecord(db.Model):
    """The shipment's timeline and audit: every change, and every piece of news that changed
    nothing (``ignored``: old or repeated), with where it came from."""

    __tablename__ = "shipment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    shipment_id: Mapped[int] = mapped_column(sa.ForeignKey("shipments.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    # Copied from the shipment so a carrier's event id is unique per carrier in the table.
    carrier: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    event: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    ignored: Mapped[bool] = mapped_column(default=False, nullable=False)
    source: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    external_id: Mapped[str | None] = mapped_column(sa.String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.String(500))
    cash_collected: Mapped[int | None] = mapped_column(sa.BigInteger)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    shipment = relationship("Shipment", back_populates="events")
    actor = relationship("User")

    __table_args__ = (
        # A replayed webhook carries the same id: the second insert could never land.
        sa.UniqueConstraint("carrier", "external_id"),
    )
