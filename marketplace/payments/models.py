from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TimestampMixin, UTCDateTime
from ..extensions import db


class Payment(TimestampMixin, db.Model):
    """Money for one order through one provider (``pay_at_store``, a card, a transfer …)."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    provider: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    captured_amount: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    refunded_amount: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    # The provider's own id for this payment (a PaymentIntent id …), if it has one.
    reference: Mapped[str | None] = mapped_column(sa.String(128))
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict, nullable=False)
    # When an authorization lapses at the provider (a card hold lasts about 7 days): the
    # order clock captures it in full before then, and refunds what is not collected.
    capture_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when a capture is queued: the counter and the clock never queue two.
    capture_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why the provider refused (a lapsed authorization, a declined card), for staff.
    failure: Mapped[str | None] = mapped_column(sa.String(500))

    order = relationship("Order", back_populates="payments")

    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount"),
        sa.CheckConstraint("captured_amount >= 0", name="captured"),
        sa.CheckConstraint("refunded_amount >= 0 AND refunded_amount <= captured_amount",
                           name="refunded"),
    )


class Refund(TimestampMixin, db.Model):
    """Money given back from a captured payment: through its provider, or cash at the counter."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id", ondelete="CASCADE"),
                                            index=True, nullable=False)
    return_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("store_returns.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    method: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # provider | cash
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    reference: Mapped[str | None] = mapped_column(sa.String(128))
    failure: Mapped[str | None] = mapped_column(sa.String(500))

    payment = relationship("Payment")

    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount"),)
