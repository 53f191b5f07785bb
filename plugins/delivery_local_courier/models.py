"""The plugin's table (named after the plugin, as the platform requires)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class DeliveryPhoto(db.Model):
    """A rider's photo of a delivered parcel (at the door, in the customer's hands): proof of
    delivery for the merchant. It belongs to the ``deliver`` row of the shipment's timeline.

    The file is under the upload folder with a random name, and is only ever served by the
    plugin's scoped routes (the rider who delivered it, the merchant's staff at its store)."""

    __tablename__ = "delivery_local_courier_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    shipment_id: Mapped[int] = mapped_column(sa.ForeignKey("shipments.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    shipment_event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shipment_events.id", ondelete="CASCADE"), unique=True, nullable=False)
    path: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    shipment = relationship("Shipment")
    event = relationship("ShipmentEventRecord")
