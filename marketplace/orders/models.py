from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TimestampMixin, UTCDateTime, utcnow
from ..extensions import db


class Checkout(db.Model):
    """One consumer's checkout: the orders (one per merchant) placed together.

    A later payment issue pays a whole checkout with one card payment; this record is what
    says which part belongs to which merchant's order."""

    __tablename__ = "checkouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    total: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    orders = relationship("Order", back_populates="checkout", order_by="Order.id")


class Order(TimestampMixin, db.Model):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    checkout_id: Mapped[int] = mapped_column(sa.ForeignKey("checkouts.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    # What people read and say: on receipts, at the counter, in e-mails.
    number: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    state: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    fulfilment: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="RESTRICT"),
                                          index=True, nullable=False)
    # The booked pickup window (UTC); reservations have none, only an expiry.
    slot_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    slot_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the hold lapses: the payment deadline while unpaid, else the end of the pickup
    # window plus the store's grace period, or the end of a reservation.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    subtotal: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    adjustments_total: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    total: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    # What the customer finally owes for what they took (partial pickup, reserve-and-try).
    settled_total: Mapped[int | None] = mapped_column(sa.BigInteger)
    payment_provider: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    customer_note: Mapped[str | None] = mapped_column(sa.String(500))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    checkout = relationship("Checkout", back_populates="orders")
    customer = relationship("User")
    merchant = relationship("Merchant")
    store = relationship("Store")
    lines = relationship("OrderLine", back_populates="order", order_by="OrderLine.id",
                         cascade="all, delete-orphan")
    adjustments = relationship("OrderAdjustment", order_by="OrderAdjustment.id",
                               cascade="all, delete-orphan")
    payments = relationship("Payment", order_by="Payment.id", back_populates="order")
    refunds = relationship("Refund", order_by="Refund.id", viewonly=True)
    returns = relationship("StoreReturn", order_by="StoreReturn.id", back_populates="order")

    __table_args__ = (
        sa.CheckConstraint("total >= 0", name="total"),
        sa.Index("ix_orders_queue", "store_id", "state", "slot_start"),
        sa.Index("ix_orders_due", "state", "expires_at"),
    )

    @property
    def paid_amount(self) -> int:
        """Money kept from this order: captured minus refunded, over all its payments."""
        return sum(p.captured_amount - p.refunded_amount for p in self.payments)

    @property
    def amount_due(self) -> int:
        return self.total if self.settled_total is None else self.settled_total

    @property
    def is_paid(self) -> bool:
        """Paid when captured payments cover what is due (refunds of returns aside)."""
        captured = sum(p.captured_amount for p in self.payments)
        return captured >= self.amount_due


class OrderLine(db.Model):
    """A variant, its price and title as they were when ordered, and what became of it."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variants.id", ondelete="RESTRICT"),
                                            nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    variant_label: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    sku: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    unit_price: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    quantity: Mapped[int] = mapped_column(nullable=False)
    # Still reserved at the store for this line (released or sold as the order moves on).
    held_quantity: Mapped[int] = mapped_column(default=0, nullable=False)
    # Handed over (pickup) or bought after trying (reserve-and-try).
    collected_quantity: Mapped[int] = mapped_column(default=0, nullable=False)
    returned_quantity: Mapped[int] = mapped_column(default=0, nullable=False)

    order = relationship("Order", back_populates="lines")
    variant = relationship("Variant")

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity"),
        sa.CheckConstraint("held_quantity >= 0 AND held_quantity <= quantity", name="held"),
        sa.CheckConstraint("collected_quantity >= 0 AND collected_quantity <= quantity",
                           name="collected"),
        sa.CheckConstraint("returned_quantity >= 0 AND returned_quantity <= collected_quantity",
                           name="returned"),
    )

    @property
    def key(self) -> str:
        return f"v{self.variant_id}"

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity


class OrderAdjustment(db.Model):
    """A discount (negative) or fee (positive) from ``marketplace_price_lines``."""

    __tablename__ = "order_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    line_key: Mapped[str | None] = mapped_column(sa.String(32))
    code: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    label: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    # Adjustments are recomputed when the order is settled for what was actually taken.
    settled: Mapped[bool] = mapped_column(default=False, nullable=False)


class AuditEntry(db.Model):
    """Every state change of an order, a payment, a refund or a return, and who made it."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    order_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    entity: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    entity_id: Mapped[int] = mapped_column(nullable=False)
    event: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    from_state: Mapped[str | None] = mapped_column(sa.String(20))
    to_state: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    # customer, staff or system (the expiry job); actor_id names the person if there is one.
    actor_kind: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    actor = relationship("User")


class StoreReturn(db.Model):
    """Goods of an online order brought back to a store (BORIS)."""

    __tablename__ = "store_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="RESTRICT"),
                                          nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    refund_amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    order = relationship("Order", back_populates="returns")
    store = relationship("Store")
    actor = relationship("User")
    lines = relationship("StoreReturnLine", cascade="all, delete-orphan",
                         order_by="StoreReturnLine.id")


class StoreReturnLine(db.Model):
    __tablename__ = "store_return_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    return_id: Mapped[int] = mapped_column(sa.ForeignKey("store_returns.id", ondelete="CASCADE"),
                                           index=True, nullable=False)
    order_line_id: Mapped[int] = mapped_column(
        sa.ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False)
    quantity: Mapped[int] = mapped_column(nullable=False)
    condition: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    restocked: Mapped[bool] = mapped_column(nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)

    order_line = relationship("OrderLine")

    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity"),)
