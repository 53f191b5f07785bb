"""Booking captures and refunds in the ledger, and the balances and statements read from it.

Called by the payment services in the same transaction as the state change they book, so a
captured payment without its ledger row (or the other way round) cannot exist.

Commission is rounded half up to the minor unit. A refund gives back the commission of what
has been refunded so far minus what earlier refunds already gave back, at the capture's
rate: however a payment is refunded in pieces, a full refund returns exactly the commission
that was taken, to the last đồng.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..errors import ValidationError
from ..extensions import db
from ..money import to_decimal
from ..orders.models import Order
from .models import LedgerEntry

CAPTURE, REFUND = "capture", "refund"
PLATFORM, MERCHANT = "platform", "merchant"


def commission_of(amount: int, basis_points: int) -> int:
    """``amount`` × rate, rounded half up (amounts are ≥ 0 here)."""
    return (amount * basis_points + 5_000) // 10_000


def record_capture(payment, *, collected_by: str, commission_bp: int) -> LedgerEntry:
    """Book a captured payment (``payment.captured_amount``). Flushes."""
    gross = payment.captured_amount
    commission = commission_of(gross, commission_bp)
    entry = LedgerEntry(
        merchant_id=payment.merchant_id, order_id=payment.order_id, payment_id=payment.id,
        kind=CAPTURE, collected_by=collected_by, currency=payment.currency, gross=gross,
        commission=commission, net=gross - commission, commission_bp=commission_bp)
    db.session.add(entry)
    db.session.flush()
    return entry


def record_refund(refund, payment) -> LedgerEntry:
    """Book a refund that succeeded, against its payment's capture. Flushes."""
    capture = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.payment_id == payment.id, LedgerEntry.kind == CAPTURE)).one()
    given_back = -(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.gross), 0))
                                     .where(LedgerEntry.payment_id == payment.id,
                                            LedgerEntry.kind == REFUND)) or 0)
    rate = capture.commission_bp
    commission_back = (commission_of(given_back + refund.amount, rate)
                       - commission_of(given_back, rate))
    entry = LedgerEntry(
        merchant_id=payment.merchant_id, order_id=payment.order_id, payment_id=payment.id,
        refund_id=refund.id, kind=REFUND, collected_by=capture.collected_by,
        currency=payment.currency, gross=-refund.amount, commission=-commission_back,
        net=-(refund.amount - commission_back), commission_bp=rate)
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class Balance:
    """One currency of a merchant's account with the platform.

    ``platform_gross``/``platform_net``: what the platform collected for the merchant and
    the part of it that is the merchant's; ``merchant_gross``/``merchant_commission``: what
    the merchant collected itself and the commission it owes on it. ``due`` is what the
    platform owes the merchant (negative: what the merchant owes the platform)."""

    currency: str
    platform_gross: int = 0
    platform_commission: int = 0
    platform_net: int = 0
    merchant_gross: int = 0
    merchant_commission: int = 0

    @property
    def commission(self) -> int:
        return self.platform_commission + self.merchant_commission

    @property
    def due(self) -> int:
        return self.platform_net - self.merchant_commission


def balances(merchant_id: int, *, until: datetime | None = None) -> list[Balance]:
    """The merchant's balance per currency (up to ``until`` when given), by currency code."""
    query = (sa.select(LedgerEntry.currency, LedgerEntry.collected_by,
                       sa.func.sum(LedgerEntry.gross), sa.func.sum(LedgerEntry.commission),
                       sa.func.sum(LedgerEntry.net))
             .where(LedgerEntry.merchant_id == merchant_id)
             .group_by(LedgerEntry.currency, LedgerEntry.collected_by))
    if until is not None:
        query = query.where(LedgerEntry.created_at < until)
    found: dict[str, Balance] = defaultdict(lambda: Balance(""))
    for currency, collected_by, gross, commission, net in db.session.execute(query):
        balance = found[currency]
        balance.currency = currency
        if collected_by == PLATFORM:
            balance.platform_gross += gross
            balance.platform_commission += commission
            balance.platform_net += net
        else:
            balance.merchant_gross += gross
            balance.merchant_commission += commission
    return [found[c] for c in sorted(found)]


@dataclass(frozen=True)
class Period:
    """Whole days ``first``–``last`` (inclusive) in a time zone, and the UTC instants they span;
    either end may be open."""

    first: date | None
    last: date | None
    zone: ZoneInfo

    @classmethod
    def of(cls, first: date | None, last: date | None, zone: str) -> Period:
        if first and last and first > last:
            raise ValidationError.field("to", _l("The last day is before the first."))
        return cls(first, last, ZoneInfo(zone))

    @property
    def start(self) -> datetime | None:
        return (datetime.combine(self.first, time(0), self.zone) if self.first else None)

    @property
    def end(self) -> datetime | None:
        return (datetime.combine(self.last + timedelta(days=1), time(0), self.zone)
                if self.last else None)


def period(first: str | None, last: str | None, zone: str) -> Period:
    """Days typed as ``YYYY-MM-DD`` (either may be empty: open-ended); raises a
    ``ValidationError`` naming the field for a date that is not one or a reversed range."""
    days: dict[str, date | None] = {}
    for field, raw in (("from", first), ("to", last)):
        text = (raw or "").strip()
        try:
            days[field] = date.fromisoformat(text) if text else None
        except ValueError:
            raise ValidationError.field(field, _l("Enter a date as YYYY-MM-DD.")) from None
    return Period.of(days["from"], days["to"], zone)


def entries(merchant_id: int, chosen: Period | None = None, *,
            with_numbers: bool = False, oldest_first: bool = False) -> sa.Select:
    """The merchant's ledger rows of the period (all of them without one), newest first
    unless ``oldest_first``; with ``with_numbers`` each row is ``(entry, order number)``."""
    query = sa.select(LedgerEntry).where(LedgerEntry.merchant_id == merchant_id)
    if chosen is not None and chosen.start is not None:
        query = query.where(LedgerEntry.created_at >= chosen.start)
    if chosen is not None and chosen.end is not None:
        query = query.where(LedgerEntry.created_at < chosen.end)
    if with_numbers:
        query = query.add_columns(Order.number).join(Order, Order.id == LedgerEntry.order_id)
    order = (LedgerEntry.created_at, LedgerEntry.id) if oldest_first else (
        LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
    return query.order_by(*order)


CSV_COLUMNS = ("date", "order", "kind", "collected_by", "currency", "gross", "commission",
               "net", "commission_percent")


def statement_csv(merchant_id: int, chosen: Period) -> str:
    """The merchant's ledger rows of the period as CSV (amounts in the currency's units, dates
    in the period's time zone), oldest first: what an accountant imports."""
    rows = db.session.execute(entries(merchant_id, chosen, with_numbers=True,
                                      oldest_first=True))
    return entries_csv(rows, chosen.zone)


def entries_csv(rows, zone: ZoneInfo) -> str:
    """``(entry, order number)`` rows as the statement's CSV (a payout's statement too)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry, number in rows:
        writer.writerow([
            entry.created_at.astimezone(zone).isoformat(timespec="seconds"), number,
            entry.kind, entry.collected_by, entry.currency,
            to_decimal(entry.gross, entry.currency), to_decimal(entry.commission, entry.currency),
            to_decimal(entry.net, entry.currency), f"{entry.commission_bp / 100:.2f}"])
    return out.getvalue()
