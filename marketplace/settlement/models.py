"""The ledger: one row per captured payment and per refund, never changed afterwards."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import db


class LedgerEntry(db.Model):
    """Money that moved for a merchant's order, split into the platform's commission and the
    merchant's net. Amounts are signed minor units: a capture is positive, a refund negative.

    ``collected_by`` says who holds the gross: the platform (card payments, paid out to the
    merchant later) or the merchant itself (pay at the store, a transfer to its own account:
    the merchant then owes the platform the commission)."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id", ondelete="CASCADE"),
                                            nullable=False)
    refund_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("refunds.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # capture | refund
    collected_by: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    gross: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    commission: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    net: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    # The rate this money was charged at, in basis points (1000 = 10 %): a later change of
    # the merchant's rate never rewrites the past, and a refund gives back at the same rate.
    commission_bp: Mapped[int] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow,
                                                 nullable=False, index=True)

    __table_args__ = (
        sa.CheckConstraint("kind IN ('capture', 'refund')", name="kind"),
        sa.CheckConstraint("collected_by IN ('platform', 'merchant')", name="collected_by"),
        sa.CheckConstraint("net = gross - commission", name="net"),
        sa.CheckConstraint("(kind = 'capture' AND gross > 0 AND refund_id IS NULL) OR "
                           "(kind = 'refund' AND gross < 0 AND refund_id IS NOT NULL)",
                           name="sign"),
        sa.CheckConstraint("commission_bp >= 0 AND commission_bp <= 10000", name="rate"),
        # A payment is captured once: a retried capture can never book it twice.
        sa.Index("ux_ledger_entries_capture", "payment_id", unique=True,
                 sqlite_where=sa.text("kind = 'capture'"),
                 postgresql_where=sa.text("kind = 'capture'")),
    )


class LedgerIsAppendOnly(RuntimeError):
    """A ledger row was changed or deleted: corrections are new rows, never edits."""


@event.listens_for(Session, "before_flush")
def _refuse_edits(session: Session, _context, _instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, LedgerEntry) and (obj in session.deleted
                                             or session.is_modified(obj)):
            raise LedgerIsAppendOnly(f"ledger entry {obj.id} cannot be changed or deleted")
