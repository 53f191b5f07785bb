"""The ledger: one row per captured payment and per refund, never changed afterwards."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..database import TimestampMixin, UTCDateTime, utcnow
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


# --- payouts ------------------------------------------------------------------------------------

class PayoutAccount(TimestampMixin, db.Model):
    """Where the platform pays a merchant's money in one currency: for đồng a NAPAS bank by
    its BIN (``bank_code``), elsewhere a bank typed by name or SWIFT/BIC (``bank_code`` empty);
    the account number and the holder as the bank prints them."""

    __tablename__ = "payout_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    bank_code: Mapped[str | None] = mapped_column(sa.String(11))
    bank_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    account_number: Mapped[str] = mapped_column(sa.String(34), nullable=False)
    holder: Mapped[str] = mapped_column(sa.String(50), nullable=False)

    __table_args__ = (sa.UniqueConstraint("merchant_id", "currency"),)


class Payout(TimestampMixin, db.Model):
    """A batch: the settled ledger rows of one merchant, one currency and one period that the
    platform pays out in one transfer. ``amount`` = ``platform_net − merchant_commission`` of
    those rows, always positive. The account is copied in when the batch is made, so a bank
    file or a paid batch keeps the account it was paid to."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, index=True)
    # The days (platform time zone) the admin chose; no first day: everything not yet paid.
    period_first: Mapped[date | None] = mapped_column(sa.Date())
    period_last: Mapped[date] = mapped_column(sa.Date(), nullable=False)
    # The instant the last day ends: only rows created before it are in the batch.
    period_end: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    platform_net: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    merchant_commission: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    amount: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    entry_count: Mapped[int] = mapped_column(nullable=False)
    bank_code: Mapped[str | None] = mapped_column(sa.String(11))
    bank_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    account_number: Mapped[str] = mapped_column(sa.String(34), nullable=False)
    holder: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    # The payout method (a plugin's identifier) it was handed to, if any.
    method: Mapped[str | None] = mapped_column(sa.String(48))
    # The bank's or the payout method's reference of the transfer, once paid.
    reference: Mapped[str | None] = mapped_column(sa.String(128))
    # Why the payout method refused it (the batch is back to draft).
    failure: Mapped[str | None] = mapped_column(sa.String(500))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    merchant = relationship("Merchant")

    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount"),
        sa.CheckConstraint("amount = platform_net - merchant_commission", name="sum"),
        sa.CheckConstraint("state IN ('draft', 'exported', 'sending', 'paid', 'cancelled')",
                           name="state"),
    )

    @property
    def code(self) -> str:
        """The batch's reference in bank files and transfer messages (PO00000042)."""
        return f"PO{self.id:08d}"

    @property
    def transfer_message(self) -> str:
        """What the merchant reads on its bank statement: letters, digits, spaces and a
        hyphen only, which every Vietnamese bank carries unchanged."""
        first = f"{self.period_first:%Y%m%d}-" if self.period_first else ""
        return f"{self.code} {first}{self.period_last:%Y%m%d}"


class PayoutEntry(db.Model):
    """A ledger row in a batch. While the batch is live (not cancelled) ``live`` is true, and a
    partial unique index keeps a ledger row in at most one live batch; cancelling a batch
    clears ``live`` and frees its rows (the rows of the cancelled batch stay on record)."""

    __tablename__ = "payout_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             nullable=False)
    payout_id: Mapped[int] = mapped_column(sa.ForeignKey("payouts.id", ondelete="CASCADE"),
                                           index=True, nullable=False)
    ledger_entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ledger_entries.id", ondelete="CASCADE"), index=True, nullable=False)
    live: Mapped[bool] = mapped_column(nullable=False)

    __table_args__ = (
        sa.Index("ux_payout_entries_live", "ledger_entry_id", unique=True,
                 sqlite_where=sa.text("live"), postgresql_where=sa.text("live")),
    )


class PayoutEvent(db.Model):
    """Audit row of every change of a batch's state (who, when, what for)."""

    __tablename__ = "payout_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             nullable=False)
    payout_id: Mapped[int] = mapped_column(sa.ForeignKey("payouts.id", ondelete="CASCADE"),
                                           index=True, nullable=False)
    event: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    from_state: Mapped[str | None] = mapped_column(sa.String(16))
    to_state: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.String(500))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    actor = relationship("User")
