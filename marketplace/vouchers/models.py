"""Campaigns (a merchant's offer and its rules) and the vouchers customers claim from them."""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TimestampMixin, UTCDateTime
from ..extensions import db
from .states import CampaignState, VoucherState


class Campaign(TimestampMixin, db.Model):
    """A promotion: what it takes off, on what, where, when, and for how many.

    Eligibility lists are JSON arrays of ids; an empty list means "all" (every listing, every
    store). ``daily_start``/``daily_end`` and ``weekdays`` are judged in the time zone of the
    store where the voucher is used. ``claimed_count`` is raised under the campaign's row lock
    and the database refuses it above ``quota`` (a second guard behind the lock).

    There is deliberately no relationship to the vouchers: a storefront theme sees campaigns,
    and must not walk from one to the people who claimed it."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), default=CampaignState.DRAFT,
                                       nullable=False)
    # The public link /c/<token>: unguessable, so a draft's link cannot be found early.
    token: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    discount_kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    percent: Mapped[int | None] = mapped_column()
    amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    # A percentage's ceiling ("30 % off, at most ₫50,000").
    max_discount: Mapped[int | None] = mapped_column(sa.BigInteger)
    free_variant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("variants.id", ondelete="RESTRICT"))
    min_spend: Mapped[int] = mapped_column(sa.BigInteger, default=0, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    listing_ids: Mapped[list] = mapped_column(sa.JSON, default=list, nullable=False)
    category_ids: Mapped[list] = mapped_column(sa.JSON, default=list, nullable=False)
    store_ids: Mapped[list] = mapped_column(sa.JSON, default=list, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    daily_start: Mapped[time | None] = mapped_column(sa.Time)
    daily_end: Mapped[time | None] = mapped_column(sa.Time)
    weekdays: Mapped[list] = mapped_column(sa.JSON, default=list, nullable=False)
    quota: Mapped[int | None] = mapped_column()
    claimed_count: Mapped[int] = mapped_column(default=0, nullable=False)
    per_customer_limit: Mapped[int] = mapped_column(default=1, nullable=False)
    channel: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    merchant = relationship("Merchant")
    free_variant = relationship("Variant")

    __table_args__ = (
        sa.CheckConstraint("state IN ('draft', 'active', 'paused', 'ended')", name="state"),
        sa.CheckConstraint("channel IN ('online', 'in_store', 'both')", name="channel"),
        sa.CheckConstraint(
            "(discount_kind = 'percent' AND percent BETWEEN 1 AND 100 AND amount IS NULL "
            "AND free_variant_id IS NULL) OR "
            "(discount_kind = 'amount' AND amount > 0 AND percent IS NULL "
            "AND max_discount IS NULL AND free_variant_id IS NULL) OR "
            "(discount_kind = 'free_item' AND free_variant_id IS NOT NULL AND percent IS NULL "
            "AND amount IS NULL AND max_discount IS NULL)", name="discount"),
        sa.CheckConstraint("max_discount IS NULL OR max_discount > 0", name="max_discount"),
        sa.CheckConstraint("min_spend >= 0", name="min_spend"),
        sa.CheckConstraint("ends_at > starts_at", name="dates"),
        sa.CheckConstraint("(daily_start IS NULL) = (daily_end IS NULL)", name="hours"),
        sa.CheckConstraint("quota IS NULL OR quota > 0", name="quota"),
        sa.CheckConstraint("claimed_count >= 0 AND (quota IS NULL OR claimed_count <= quota)",
                           name="claimed"),
        sa.CheckConstraint("per_customer_limit > 0", name="per_customer"),
    )

    @property
    def remaining(self) -> int | None:
        """Vouchers still to claim; ``None`` without a quota."""
        return None if self.quota is None else max(self.quota - self.claimed_count, 0)

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.state} {self.name!r}>"


class Voucher(TimestampMixin, db.Model):
    """One customer's claim on a campaign. Its code (``marketplace.redemption``, kind
    ``voucher``) is what the customer shows; what it came to is recorded here: the bill and the
    discount at a counter, or the order it was used on."""

    __tablename__ = "vouchers"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             nullable=False)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), default=VoucherState.AVAILABLE,
                                       nullable=False)
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    # The store whose poster the customer scanned (attribution of the funnel).
    source_store_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stores.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redeemed_store_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stores.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"),
                                                 index=True)
    bill_amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    discount: Mapped[int | None] = mapped_column(sa.BigInteger)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(200))

    campaign = relationship("Campaign")
    customer = relationship("User")
    source_store = relationship("Store", foreign_keys=[source_store_id])
    redeemed_store = relationship("Store", foreign_keys=[redeemed_store_id])
    order = relationship("Order")

    __table_args__ = (
        sa.Index("ix_vouchers_campaign_customer", "campaign_id", "customer_id"),
        sa.CheckConstraint("state IN ('available', 'redeemed', 'applied', 'cancelled')",
                           name="state"),
        sa.CheckConstraint("source IN ('merchant_page', 'link', 'poster')", name="source"),
        sa.CheckConstraint("discount IS NULL OR discount >= 0", name="discount"),
        sa.CheckConstraint("bill_amount IS NULL OR bill_amount >= 0", name="bill_amount"),
    )

    def __repr__(self) -> str:
        return f"<Voucher {self.id} {self.state} campaign={self.campaign_id}>"
