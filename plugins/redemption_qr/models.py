"""The merchants' signing keys."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class SigningKey(db.Model):
    """An Ed25519 key pair of one merchant. The public half goes to the merchant's scanners;
    the private half is encrypted with a key derived from the app secret and never leaves
    the server. A retired key still verifies the codes it signed (a reissued key must not
    void every printed voucher), it only stops signing."""

    __tablename__ = "redemption_qr_signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    public_key: Mapped[str] = mapped_column(sa.String(64), nullable=False)  # base64url, 32 B
    private_key: Mapped[str] = mapped_column(sa.Text, nullable=False)       # Fernet token
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        # One signing key per merchant at a time; a race to create it leaves one.
        sa.Index("ux_redemption_qr_signing_keys_live", "merchant_id", unique=True,
                 sqlite_where=sa.text("retired_at IS NULL"),
                 postgresql_where=sa.text("retired_at IS NULL")),
    )
