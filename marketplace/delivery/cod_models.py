"""Cash on delivery handed back: one remittance per (carrier, courier, local day) counted by
the merchant, and the shipments whose cash it covered.

A remittance line is what marks a shipment's cash as reconciled: ``shipment_id`` is unique,
so a shipment's cash can be confirmed once, whatever two members (or two API calls) try at
the same moment.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db


class CodRemittance(db.Model):
    """The cash one courier (or outside carrier) brought back for one local day, as counted.

    ``expected`` is the sum of what the courier said they collected on each shipment;
    ``counted`` what the merchant counted; ``difference = counted − expected`` (a shortfall
    is negative) is kept, with the note that explains it, never silently dropped."""

    __tablename__ = "cod_remittances"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    carrier: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    # The merchant's own rider; empty for an outside carrier (the carrier is the courier).
    courier_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The local day of the deliveries, in the fulfilling stores' time zone.
    day: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    expected: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    counted: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    difference: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    note: Mapped[str | None] = mapped_column(sa.String(500))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    courier = relationship("User", foreign_keys=[courier_user_id])
    actor = relationship("User", foreign_keys=[actor_id])
    lines = relationship("CodRemittanceLine", back_populates="remittance",
                         order_by="CodRemittanceLine.id", cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("expected >= 0 AND counted >= 0", name="amounts"),
        sa.CheckConstraint("difference = counted - expected", name="difference"),
        sa.Index("ix_cod_remittances_merchant_day", "merchant_id", "day"),
    )


class CodRemittanceLine(db.Model):
    """One shipment's cash in a remittance: what the courier said they collected."""

    __tablename__ = "cod_remittance_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    remittance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cod_remittances.id", ondelete="CASCADE"), index=True, nullable=False)
    # Unique: the mark that the shipment's cash is reconciled, backed by the database.
    shipment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shipments.id", ondelete="CASCADE"), unique=True, nullable=False)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    # The order's cash-on-delivery payment that the cash paid (captured by the remittance).
    payment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("payments.id", ondelete="SET NULL"))
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)

    remittance = relationship("CodRemittance", back_populates="lines")
    shipment = relationship("Shipment")
    order = relationship("Order")
    payment = relationship("Payment")

    __table_args__ = (sa.CheckConstraint("amount >= 0", name="amount"),)
