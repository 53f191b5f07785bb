from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TimestampMixin, UTCDateTime, utcnow
from ..extensions import db


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    full_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    is_platform_admin: Mapped[bool] = mapped_column(default=False, nullable=False)
    is_enabled: Mapped[bool] = mapped_column(default=True, nullable=False)
    # Bumped on password change: it is part of the session id, so old sessions stop working.
    session_version: Mapped[int] = mapped_column(default=1, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Loaded when asked for: most users are customers, and an API request finds its one
    # membership by itself (``membership_for``), so loading them all with every user is waste.
    memberships = relationship("Membership", back_populates="user")

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.is_enabled

    @property
    def has_dashboard(self) -> bool:
        """Works for at least one merchant (the header links to the dashboard)."""
        return bool(self.memberships)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class PersonalAccessToken(db.Model):
    """A revocable API token of one user. Only its hash is kept.

    With a merchant it acts for that merchant (the merchant API); without one it is a
    consumer token, acting for the user's own cart and orders and nothing else."""

    __tablename__ = "personal_access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    token_prefix: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")
    merchant = relationship("Merchant")

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
