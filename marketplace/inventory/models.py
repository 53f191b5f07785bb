from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db


class MovementReason(StrEnum):
    RECEIPT = "receipt"            # goods received
    COUNT = "count"                # a stock count set the number
    DAMAGE = "damage"              # written off
    CORRECTION = "correction"      # a manual fix with a note
    TRANSFER_OUT = "transfer_out"  # sent to another store of the merchant
    TRANSFER_IN = "transfer_in"    # received from another store of the merchant
    IMPORT = "import"              # a CSV import set the number
    RESERVE = "reserve"            # held for an order or a reservation (later issues)
    RELEASE = "release"            # a hold given back
    SALE = "sale"                  # a held quantity left the store with a customer
    RETURN = "return"              # brought back by a customer and put back on sale


# The reasons a person may pick when adjusting by hand.
MANUAL_REASONS = (MovementReason.RECEIPT, MovementReason.DAMAGE, MovementReason.CORRECTION)


class StockLevel(db.Model):
    __tablename__ = "stock_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id", ondelete="CASCADE"),
                                            index=True, nullable=False)
    on_hand: Mapped[int] = mapped_column(default=0, nullable=False)
    reserved: Mapped[int] = mapped_column(default=0, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    store = relationship("Store")
    variant = relationship("Variant")

    __table_args__ = (
        sa.UniqueConstraint("store_id", "variant_id"),
        sa.CheckConstraint("reserved >= 0", name="reserved"),
    )

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(db.Model):
    """Append-only: every change of a stock level, with the numbers after it."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"),
                                          nullable=False)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id", ondelete="CASCADE"),
                                            nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    on_hand_delta: Mapped[int] = mapped_column(default=0, nullable=False)
    reserved_delta: Mapped[int] = mapped_column(default=0, nullable=False)
    on_hand_after: Mapped[int] = mapped_column(nullable=False)
    reserved_after: Mapped[int] = mapped_column(nullable=False)
    note: Mapped[str | None] = mapped_column(sa.String(500))
    # Both legs of a transfer share one reference; orders will put theirs here too.
    reference: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    store = relationship("Store")
    variant = relationship("Variant")
    actor = relationship("User")

    __table_args__ = (sa.Index("ix_stock_movements_level", "store_id", "variant_id", "id"),)


@event.listens_for(StockMovement, "before_update")
@event.listens_for(StockMovement, "before_delete")
def _movements_are_append_only(_mapper, _connection, target):
    raise RuntimeError("stock movements are append-only")
