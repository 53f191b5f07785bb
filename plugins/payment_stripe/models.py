"""The plugin's tables (named after the plugin, as the platform requires)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import TimestampMixin, UTCDateTime, utcnow
from marketplace.extensions import db


class CardIntent(TimestampMixin, db.Model):
    """One Stripe PaymentIntent: one card payment for the card-paid orders of a checkout,
    possibly of several merchants. Each order keeps its own ``Payment`` (its share, with the
    intent's id as ``reference``); this row is what the shares have in common.

    ``settled`` maps a payment id to what its order settled for (the amount collected, 0 when
    it was cancelled or not collected). A PaymentIntent is captured once, so it is captured
    when every share is settled, for their sum; Stripe releases the rest of the hold."""

    __tablename__ = "payment_stripe_intents"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_id: Mapped[int] = mapped_column(
        sa.ForeignKey("checkouts.id", ondelete="CASCADE"), index=True, nullable=False)
    intent_id: Mapped[str] = mapped_column(sa.String(255), unique=True, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)  # our minor units
    status: Mapped[str] = mapped_column(sa.String(32), nullable=False)  # Stripe's words
    capture_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settled: Mapped[dict] = mapped_column(sa.JSON, default=dict, nullable=False)
    captured_amount: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    card_brand: Mapped[str | None] = mapped_column(sa.String(32))
    card_last4: Mapped[str | None] = mapped_column(sa.String(4))
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount"),)


class StripeEvent(db.Model):
    """A webhook event already handled: the same event delivered again changes nothing."""

    __tablename__ = "payment_stripe_events"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)  # evt_…
    type: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    object_id: Mapped[str | None] = mapped_column(sa.String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
