from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db


class PickupSlotLoad(db.Model):
    """How many orders are booked into one pickup slot of a store.

    Booking is a conditional ``UPDATE … SET booked = booked + 1 WHERE booked < capacity``:
    the database, not the application, decides who gets the last place."""

    __tablename__ = "pickup_slot_loads"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"),
                                          nullable=False)
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    booked: Mapped[int] = mapped_column(default=0, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("store_id", "slot_start"),
        sa.CheckConstraint("booked >= 0", name="booked"),
    )
