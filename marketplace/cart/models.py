from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TimestampMixin, UTCDateTime, utcnow
from ..extensions import db


class Cart(TimestampMixin, db.Model):
    """One open cart per account; a guest's cart is found by the hash of its secret token.

    A cart is the consumer's, not a merchant's: its lines carry the merchant instead."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    lines = relationship("CartLine", cascade="all, delete-orphan", order_by="CartLine.id",
                         back_populates="cart")

    __table_args__ = (
        sa.CheckConstraint("user_id IS NOT NULL OR token_hash IS NOT NULL", name="owner"),
    )


class CartLine(db.Model):
    __tablename__ = "cart_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(sa.ForeignKey("carts.id", ondelete="CASCADE"),
                                         index=True, nullable=False)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id", ondelete="CASCADE"),
                                            nullable=False)
    quantity: Mapped[int] = mapped_column(nullable=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    cart = relationship("Cart", back_populates="lines")
    variant = relationship("Variant")
    merchant = relationship("Merchant")

    __table_args__ = (
        sa.UniqueConstraint("cart_id", "variant_id"),
        sa.CheckConstraint("quantity > 0", name="quantity"),
    )
