"""The platform's and each merchant's record of a plugin."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TimestampMixin, UTCDateTime, utcnow
from ..extensions import db
from .states import PlatformStatus


class PlatformPlugin(db.Model):
    """The platform admin's decision about a discovered plugin, and its global settings.

    No row means the default: built-in plugins are installed, packages found through entry
    points are available until an admin installs them.
    """

    __tablename__ = "platform_plugins"

    name: Mapped[str] = mapped_column(sa.String(48), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=PlatformStatus.AVAILABLE,
                                        nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    settings: Mapped[dict] = mapped_column(sa.JSON, default=dict, nullable=False)
    # Fernet token of a JSON object; see settings.encrypt_secrets.
    secrets: Mapped[str | None] = mapped_column(sa.Text)
    secret_keys: Mapped[list] = mapped_column(sa.JSON, default=list, nullable=False)
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow, nullable=False)


class MerchantPlugin(TimestampMixin, db.Model):
    """One merchant's switch and settings for one plugin."""

    __tablename__ = "merchant_plugins"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("merchants.id", ondelete="CASCADE"), nullable=False, index=True)
    plugin_name: Mapped[str] = mapped_column(sa.String(48), nullable=False)
    enabled: Mapped[bool] = mapped_column(default=False, nullable=False)
    settings: Mapped[dict] = mapped_column(sa.JSON, default=dict, nullable=False)
    secrets: Mapped[str | None] = mapped_column(sa.Text)
    # Names of the secret settings that hold a value, so pages can say "set" without
    # decrypting anything.
    secret_keys: Mapped[list] = mapped_column(sa.JSON, default=list, nullable=False)

    merchant = relationship("Merchant")

    __table_args__ = (sa.UniqueConstraint("merchant_id", "plugin_name"),)

    def __repr__(self) -> str:
        return f"<MerchantPlugin {self.merchant_id} {self.plugin_name} {self.enabled}>"


class PlatformSetting(db.Model):
    """A platform-wide switch the admin flips at run time (``plugins_safe_mode`` …)."""

    __tablename__ = "platform_settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[dict | list | str | int | bool | None] = mapped_column(sa.JSON)
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 onupdate=utcnow, nullable=False)
