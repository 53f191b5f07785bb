"""Payout batches: the platform pays each merchant what the ledger says it is owed.

**Settled** money, for a batch of the days ``first``–``last``: the merchant's ledger rows in
the batch's currency created before the end of ``last`` (in the platform's time zone), from
the start of ``first`` (or from the beginning when there is no first day), that are in no
live batch yet; the period must be over. The amount is the ``due`` of those rows, as the
balance counts it: the merchant's part of what the platform collected, less the commission
the merchant owes on what it collected itself; refunds are rows too, so they are netted.

A ledger row is in at most one live (not cancelled) batch: a partial unique index on
``payout_entries`` says so in the database, and batches of one merchant are made one at a
time under a lock on the merchant's row, so a second admin clicking at the same moment is
told there is nothing left rather than failing. The ledger itself is never touched.

States are ``PAYOUT_TRANSITIONS`` (``settlement/states.py``); ``apply`` locks the batch and
writes an audit row. A payout method (a plugin) is called after the commit, by the outbox.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..accounts.models import User
from ..database import MAX_ID, get_scoped, scoped, utcnow
from ..errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..merchants.models import Merchant
from ..money import format_money, to_decimal, validate_currency
from ..orders.models import Order
from ..outbox.services import enqueue, register_handler
from ..plugins.manager import current_platform
from ..plugins.providers import PayoutMethod
from ..states import next_state
from .models import LedgerEntry, Payout, PayoutEntry, PayoutEvent
from .payout_accounts import account_for
from .services import MERCHANT, PLATFORM, Period
from .states import EXPORTABLE_STATES, PAYOUT_TRANSITIONS, SYSTEM_EVENTS
from .states import PayoutEvent as Event
from .states import PayoutState as State

log = logging.getLogger(__name__)

SEND_TOPIC = "payout.send"


def _require_admin(actor: User | None) -> None:
    if actor is None or not actor.is_platform_admin:
        raise PermissionDenied()


# --- reading ---------------------------------------------------------------------------------

def listing(*, state: str = "", merchant_id: int | None = None, limit: int) -> list[Payout]:
    """Batches for the platform admin, newest first; filtered by state (an unknown one is
    ignored) and merchant."""
    query = (sa.select(Payout).options(selectinload(Payout.merchant))
             .order_by(Payout.created_at.desc(), Payout.id.desc()))
    if state in {s.value for s in State}:
        query = query.where(Payout.state == state)
    if merchant_id:
        query = query.where(Payout.merchant_id == merchant_id)
    return list(db.session.scalars(query.limit(limit)))


def merchant_payouts(merchant_id: int) -> sa.Select:
    """The merchant's batches, newest first (cancelled ones too: they are history)."""
    return scoped(Payout, merchant_id).order_by(Payout.created_at.desc(), Payout.id.desc())


def merchant_payout(merchant_id: int, payout_id) -> Payout:
    """One of the merchant's batches, or ``NotFound`` (never another merchant's)."""
    return get_scoped(Payout, merchant_id, payout_id)


def get(payout_id: int) -> Payout:
    """Any batch, for the platform admin."""
    payout = db.session.get(Payout, payout_id) if 0 < payout_id <= MAX_ID else None
    if payout is None:
        raise NotFound("payout")
    return payout


def entries(payout: Payout) -> sa.Select:
    """The batch's ledger rows with their order numbers, oldest first: ``(entry, number)``."""
    return (sa.select(LedgerEntry, Order.number)
            .join(PayoutEntry, PayoutEntry.ledger_entry_id == LedgerEntry.id)
            .join(Order, Order.id == LedgerEntry.order_id)
            .where(PayoutEntry.payout_id == payout.id,
                   LedgerEntry.merchant_id == payout.merchant_id)
            .order_by(LedgerEntry.created_at, LedgerEntry.id))


def history(payout: Payout) -> list[PayoutEvent]:
    return list(db.session.scalars(sa.select(PayoutEvent).where(
        PayoutEvent.payout_id == payout.id).order_by(PayoutEvent.id)))


def _settled(merchant_id: int, currency: str, chosen: Period) -> sa.Select:
    taken = sa.select(PayoutEntry.id).where(PayoutEntry.ledger_entry_id == LedgerEntry.id,
                                            PayoutEntry.live.is_(True))
    query = (sa.select(LedgerEntry.id, LedgerEntry.collected_by, LedgerEntry.net,
                       LedgerEntry.commission)
             .where(LedgerEntry.merchant_id == merchant_id, LedgerEntry.currency == currency,
                    LedgerEntry.created_at < chosen.end, ~sa.exists(taken))
             .order_by(LedgerEntry.id))
    if chosen.start is not None:
        query = query.where(LedgerEntry.created_at >= chosen.start)
    return query


# --- state changes -----------------------------------------------------------------------------

def lock(payout: Payout) -> Payout:
    return db.session.scalars(
        sa.select(Payout).where(Payout.id == payout.id).with_for_update()
        .execution_options(populate_existing=True)).one()


def apply(payout: Payout, event: Event, *, actor: User | None, note: str | None = None,
          **changes) -> Payout:
    """Move the batch by ``event`` under a row lock, set ``changes``, write the audit row.
    A cancelled batch frees its ledger rows. ``actor`` ``None`` is the system (the outbox
    worker with a payout method's answer), the only one who may fire ``fail``."""
    if event in SYSTEM_EVENTS and actor is not None:
        raise PermissionDenied()
    locked = lock(payout)
    old = State(locked.state)
    new = next_state(PAYOUT_TRANSITIONS, old, event)
    locked.state = new
    for key, value in changes.items():
        setattr(locked, key, value)
    if new == State.PAID:
        locked.paid_at = utcnow()
    if new == State.CANCELLED:
        db.session.execute(sa.update(PayoutEntry).where(PayoutEntry.payout_id == locked.id)
                           .values(live=False))
    db.session.add(PayoutEvent(merchant_id=locked.merchant_id, payout_id=locked.id,
                               event=event, from_state=old, to_state=new,
                               note=(note or None) and note[:500],
                               actor_id=actor.id if actor else None))
    db.session.flush()
    return locked


def create(merchant: Merchant, *, currency: str, first: date | None, last: date | None,
           zone: str, actor: User, now: datetime | None = None) -> Payout:
    """A draft batch of the merchant's settled rows in ``currency`` for ``first``–``last``.

    Refused, changing nothing, when the period is not over, the merchant has no payout
    account in that currency, nothing is left to pay, or the rows add up to zero or less
    (then the merchant owes the platform: the message says how much)."""
    _require_admin(actor)
    currency = validate_currency(currency)
    if last is None:
        raise ValidationError.field("to", _l("Choose the last day of the period."))
    chosen = Period.of(first, last, zone)
    if chosen.end > (now or utcnow()):
        raise ValidationError.field("to", _l("The period is not over yet: choose a last day "
                                             "before today."))
    account = account_for(merchant.id, currency)
    if account is None:
        raise ValidationError.field("currency", _l(
            "The merchant has no payout account in %(currency)s yet: an owner enters it in "
            "the dashboard, under Payouts.", currency=currency))
    # One batch of a merchant at a time: a second one waits here, then sees what the first
    # took (on SQLite the write transaction is already exclusive).
    db.session.execute(sa.select(Merchant.id).where(Merchant.id == merchant.id)
                       .with_for_update())
    rows = db.session.execute(_settled(merchant.id, currency, chosen)).all()
    if not rows:
        raise ValidationError.field("to", _l(
            "Nothing to pay out: this period has no settled entries in %(currency)s that are "
            "not in a payout already.", currency=currency))
    platform_net = sum(net for _id, by, net, _c in rows if by == PLATFORM)
    merchant_commission = sum(commission for _id, by, _n, commission in rows
                              if by == MERCHANT)
    amount = platform_net - merchant_commission
    if amount < 0:
        raise ValidationError.field("to", _l(
            "No payout: on these entries the merchant owes the platform %(amount)s (the "
            "commission on money it collected itself). A later payout without a first day "
            "nets it.", amount=format_money(-amount, currency)))
    if amount == 0:
        raise ValidationError.field("to", _l(
            "No payout: these entries add up to nothing owed either way."))
    payout = Payout(
        merchant_id=merchant.id, currency=currency, state=State.DRAFT, period_first=first,
        period_last=last, period_end=chosen.end, platform_net=platform_net,
        merchant_commission=merchant_commission, amount=amount, entry_count=len(rows),
        bank_code=account.bank_code, bank_name=account.bank_name,
        account_number=account.account_number, holder=account.holder,
        created_by_id=actor.id)
    db.session.add(payout)
    db.session.flush()
    try:
        db.session.execute(sa.insert(PayoutEntry), [
            {"merchant_id": merchant.id, "payout_id": payout.id, "ledger_entry_id": row[0],
             "live": True} for row in rows])
        db.session.add(PayoutEvent(merchant_id=merchant.id, payout_id=payout.id,
                                   event="create", from_state=None, to_state=State.DRAFT,
                                   actor_id=actor.id))
        db.session.flush()
    except sa.exc.IntegrityError:
        # Only without the merchant lock above (or a bug) can another batch have taken a row
        # meanwhile: the unique index refused it, and the caller rolls back.
        raise Conflict(_l("Some of these entries were just put in another payout: look at "
                          "the payouts again.")) from None
    return payout


def mark_paid(payout: Payout, reference: str, *, actor: User) -> Payout:
    """The bank (or the payout method, checked by hand) paid it: record its reference."""
    _require_admin(actor)
    reference = " ".join((reference or "").split())
    if not 1 <= len(reference) <= 128:
        raise ValidationError.field("reference", _l(
            "Enter the bank's reference of the transfer (at most 128 characters)."))
    return apply(payout, Event.PAY, actor=actor, reference=reference, failure=None)


def cancel(payout: Payout, *, actor: User, reason: str | None = None) -> Payout:
    """Drop a draft or an exported batch; its ledger rows can go in the next batch."""
    _require_admin(actor)
    return apply(payout, Event.CANCEL, actor=actor, note=(reason or "").strip() or None)


def export(payout_ids: list[int], *, actor: User) -> list[Payout]:
    """The batches for a bank file, oldest first: drafts become exported (the bank may now
    be paying them, so no payout method may take them); exported ones may go again."""
    _require_admin(actor)
    if not payout_ids:
        raise ValidationError.field("payout_ids", _l("Choose at least one payout."))
    found = []
    for payout_id in sorted(set(payout_ids)):
        payout = lock(get(payout_id))
        if payout.state not in EXPORTABLE_STATES:
            raise ValidationError.field("payout_ids", _l(
                "%(code)s cannot go in a bank file: only drafts and exported payouts can.",
                code=payout.code))
        if payout.state == State.DRAFT:
            payout = apply(payout, Event.EXPORT, actor=actor)
        found.append(payout)
    return found


BANK_CSV_COLUMNS = ("no", "payout", "merchant", "bank_bin", "bank_name", "account_number",
                    "account_holder", "amount", "currency", "message")


def bank_csv(payouts: list[Payout]) -> str:
    """One transfer per batch, as Vietnamese banks' bulk-transfer imports take them: the
    receiving bank by BIN (empty for a bank typed by name or SWIFT) and name, the account,
    the holder, the amount in the currency's units (đồng: whole numbers) and the message."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(BANK_CSV_COLUMNS)
    for number, payout in enumerate(payouts, start=1):
        writer.writerow([number, payout.code, payout.merchant.name, payout.bank_code or "",
                         payout.bank_name, payout.account_number, payout.holder,
                         to_decimal(payout.amount, payout.currency), payout.currency,
                         payout.transfer_message])
    return out.getvalue()


# --- payout methods (plugins) -------------------------------------------------------------------

def usable_methods(currency: str) -> list[PayoutMethod]:
    """The payout methods of installed plugins that pay in ``currency``."""
    platform = current_platform()
    return [m for m in platform.payout_methods
            if platform.is_runnable(m.plugin) and m.supports_currency(currency)]


def send(payout: Payout, identifier: str, *, actor: User) -> Payout:
    """Hand a draft batch to a payout method: it is ``sending`` now, and the method is asked
    after the commit (``_deliver_send``)."""
    _require_admin(actor)
    if identifier not in {m.identifier for m in usable_methods(payout.currency)}:
        raise ValidationError.field("method", _l("Choose a payout method that pays in "
                                                 "%(currency)s.", currency=payout.currency))
    payout = apply(payout, Event.SEND, actor=actor, method=identifier, failure=None)
    enqueue(SEND_TOPIC, {"payout_id": payout.id})
    return payout


def _deliver_send(payload: dict) -> None:
    payout = db.session.get(Payout, payload["payout_id"])
    if payout is None or payout.state != State.SENDING:
        return  # already answered (or marked paid by hand): never send twice
    registry = current_platform().payout_methods
    if payout.method not in registry or not current_platform().is_runnable(
            registry.get(payout.method).plugin):
        apply(payout, Event.FAIL, actor=None, failure=f"{payout.method}: not available",
              note=f"{payout.method}: not available")
        return
    try:
        reference = registry.get(payout.method).send(payout)
    except ValidationError as exc:  # the method said no: back to draft, with its reason
        failure = str(exc.message)[:500]
        apply(payout, Event.FAIL, actor=None, failure=failure, note=failure)
        return
    reference = str(reference or "").strip()[:128]
    if not reference:
        raise RuntimeError(f"payout method {payout.method} gave no reference")  # retried
    if lock(payout).state == State.SENDING:
        apply(payout, Event.PAY, actor=None, reference=reference)
    log.info("payout %s paid by %s: %s", payout.code, payout.method, reference)


def init_app(app) -> None:
    register_handler(app, SEND_TOPIC, _deliver_send)
