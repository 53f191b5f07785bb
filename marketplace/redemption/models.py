"""Redeemable codes and the log of every attempt to redeem one."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TimestampMixin, UTCDateTime, utcnow
from ..extensions import db


class RedeemableCode(TimestampMixin, db.Model):
    """One code for one thing (``kind`` + ``subject_id``: a pickup order, a voucher …).

    The human code is derived from the app secret and ``salt`` (``human.py``), never stored;
    ``lookup`` is a keyed digest of it, unique per merchant, to find the row from what staff
    type. ``payload`` is the signed QR text the platform's code format made, if any."""

    __tablename__ = "redeemable_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    subject_id: Mapped[int] = mapped_column(nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="active")
    salt: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    lookup: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    format: Mapped[str | None] = mapped_column(sa.String(48))
    payload: Mapped[str | None] = mapped_column(sa.Text)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redeemed_store_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stores.id", ondelete="SET NULL"))
    redeemed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    redemption_nonce: Mapped[str | None] = mapped_column(sa.String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    revoke_reason: Mapped[str | None] = mapped_column(sa.String(200))

    redeemed_store = relationship("Store", foreign_keys=[redeemed_store_id])
    redeemed_by = relationship("User", foreign_keys=[redeemed_by_id])

    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "lookup"),
        sa.Index("ix_redeemable_codes_subject", "kind", "subject_id"),
        sa.CheckConstraint("state IN ('active', 'redeemed', 'revoked')", name="state"),
        sa.CheckConstraint("valid_until IS NULL OR valid_from IS NULL "
                           "OR valid_until > valid_from", name="window"),
    )


class RedemptionAttempt(db.Model):
    """Every scan or typed code at a counter, whatever came of it.

    ``nonce`` is the scanner's own id for one scan: a retried request (a lost answer, an
    offline scan synced twice) finds its attempt and gets ``answer``, the first answer, again.
    """

    __tablename__ = "redemption_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    code_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("redeemable_codes.id", ondelete="CASCADE"), index=True)
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    method: Mapped[str] = mapped_column(sa.String(8), nullable=False)  # scan | typed
    nonce: Mapped[str | None] = mapped_column(sa.String(64))
    device: Mapped[str | None] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    # When the scanner saw the code, if it was offline then (else the request's time).
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    offline: Mapped[bool] = mapped_column(default=False, nullable=False)
    answer: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False,
                                                 index=True)

    code = relationship("RedeemableCode")
    store = relationship("Store")
    staff = relationship("User")

    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "nonce"),
    )
