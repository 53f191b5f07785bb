from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TimestampMixin, UTCDateTime, utcnow
from ..extensions import db
from .roles import Role
from .states import MerchantStatus

membership_stores = sa.Table(
    "membership_stores",
    db.metadata,
    sa.Column("membership_id", sa.ForeignKey("memberships.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("store_id", sa.ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True),
)


class Merchant(TimestampMixin, db.Model):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    logo_path: Mapped[str | None] = mapped_column(sa.String(255))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(16), default=MerchantStatus.PENDING,
                                        nullable=False, index=True)
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # Commission in basis points (1000 = 10 %) so the money side never needs floats.
    commission_bp: Mapped[int] = mapped_column(default=1000, nullable=False)
    default_currency: Mapped[str] = mapped_column(sa.String(3), default="VND", nullable=False)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The storefront theme's name; None is the platform default.
    theme: Mapped[str | None] = mapped_column(sa.String(48))
    # Bumped whenever the merchant's plugin switches change, so every process's cache of
    # "which plugins run for this merchant" notices without a message bus.
    plugins_revision: Mapped[int] = mapped_column(default=0, server_default="0", nullable=False)

    memberships = relationship("Membership", back_populates="merchant",
                               cascade="all, delete-orphan")
    stores = relationship("Store", back_populates="merchant", order_by="Store.name")

    __table_args__ = (
        sa.CheckConstraint("commission_bp >= 0 AND commission_bp <= 10000",
                           name="commission_range"),
    )

    @property
    def is_public(self) -> bool:
        """Only approved merchants appear on the storefront."""
        return self.status == MerchantStatus.APPROVED

    @property
    def can_sell(self) -> bool:
        return self.status == MerchantStatus.APPROVED

    def __repr__(self) -> str:
        return f"<Merchant {self.id} {self.slug} {self.status}>"


class MerchantStatusChange(db.Model):
    """Audit row for every approval-state change (who, when, why)."""

    __tablename__ = "merchant_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    from_status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    to_status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    event: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    actor = relationship("User")


class Membership(TimestampMixin, db.Model):
    """A user's role at a merchant; ``all_stores`` false limits them to ``stores``."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True, nullable=False)
    role: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    all_stores: Mapped[bool] = mapped_column(default=True, nullable=False)

    merchant = relationship("Merchant", back_populates="memberships")
    user = relationship("User", back_populates="memberships")
    stores = relationship("Store", secondary=membership_stores, order_by="Store.name")

    __table_args__ = (sa.UniqueConstraint("merchant_id", "user_id"),)

    @property
    def store_ids(self) -> set[int] | None:
        """The stores this member may act on, or None for all of them."""
        return None if self.all_stores else {s.id for s in self.stores}

    def can_access_store(self, store_id: int) -> bool:
        return self.all_stores or store_id in {s.id for s in self.stores}

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class Invitation(db.Model):
    """An e-mailed invitation to join a merchant's staff; only the token's hash is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    all_stores: Mapped[bool] = mapped_column(default=True, nullable=False)
    store_ids: Mapped[list] = mapped_column(sa.JSON, default=list, nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    merchant = relationship("Merchant")
    invited_by = relationship("User")

    def is_open(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now
