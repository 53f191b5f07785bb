"""Cash on delivery reconciled: what each courier owes the merchant, per day, and confirming it.

A courier (the merchant's own rider, or an outside carrier, which is then the courier)
collects cash at the door and records it on the shipment (``cod_collected``). Until the
merchant has counted that cash, it is *outstanding*, grouped by (carrier, rider, local day of
the delivery in the fulfilling store's time zone, currency). ``reconcile`` confirms one group:
it records a ``CodRemittance`` with the amount counted, one line per shipment (the line is
what marks a shipment's cash as reconciled: its shipment id is unique), and captures each
order's cash-on-delivery payment for the cash collected, so the order is paid when the cash
is confirmed. A count that differs from what the courier said they collected needs a note:
the shortfall or overage is recorded, never silently accepted.

Money is integer minor units (VND: đồng) throughout: every sum is exact. Like every service,
this flushes and never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..database import MAX_ID, get_scoped, utcnow
from ..errors import Conflict, NotFound, ValidationError
from ..extensions import db
from ..money import format_money, validate_amount
from ..orders.audit import Actor
from ..orders.models import Order
from ..payments import services as payments
from ..payments.models import Payment
from ..payments.states import PaymentState
from ..validation import optional_text
from .cod_models import CodRemittance, CodRemittanceLine
from .models import Shipment, ShipmentEventRecord
from .states import ShipmentState

PROVIDER = "cash_on_delivery"  # the payment provider of the built-in plugin


class AlreadyReconciled(Conflict):
    code = "cod_already_reconciled"
    title = _l("This cash is already reconciled.")


class PaymentNotWaiting(Conflict):
    code = "cod_payment_not_waiting"
    title = _l("The order's cash payment is not waiting for cash.")


@dataclass(frozen=True)
class Collected:
    """One delivered shipment whose cash is with the courier, and when it was delivered."""

    shipment: Shipment
    delivered_at: datetime

    @property
    def amount(self) -> int:
        return self.shipment.cod_collected

    @property
    def local_day(self) -> date:
        return self.delivered_at.astimezone(ZoneInfo(self.shipment.store.timezone)).date()


@dataclass(frozen=True)
class CashGroup:
    """The cash one courier owes for one local day, in one currency."""

    carrier: str
    courier_user_id: int | None
    day: date
    currency: str
    items: tuple[Collected, ...]

    @property
    def expected(self) -> int:
        return sum(item.amount for item in self.items)

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def shipment_ids(self) -> list[int]:
        return [item.shipment.id for item in self.items]

    @property
    def courier(self):
        return self.items[0].shipment.courier if self.courier_user_id else None


# --- reading ----------------------------------------------------------------------------------

def _collected(merchant_id: int, *, store_ids: Iterable[int] | None = None,
               carrier: str | None = None, courier_user_id=...) -> list[Collected]:
    """Delivered shipments of the merchant with cash collected and not yet reconciled, with
    the time of their delivery (the timeline's delivery, not the latest news)."""
    delivered = (
        sa.select(ShipmentEventRecord.shipment_id,
                  sa.func.max(ShipmentEventRecord.occurred_at).label("at"))
        .where(ShipmentEventRecord.merchant_id == merchant_id,
               ShipmentEventRecord.to_state == str(ShipmentState.DELIVERED),
               ShipmentEventRecord.ignored.is_(False))
        .group_by(ShipmentEventRecord.shipment_id).subquery())
    reconciled = sa.exists().where(CodRemittanceLine.shipment_id == Shipment.id)
    stmt = (sa.select(Shipment, sa.func.coalesce(delivered.c.at, Shipment.last_event_at))
            .outerjoin(delivered, delivered.c.shipment_id == Shipment.id)
            .where(Shipment.merchant_id == merchant_id, Shipment.cod_amount > 0,
                   Shipment.state == str(ShipmentState.DELIVERED),
                   Shipment.cod_collected.is_not(None), ~reconciled)
            .options(selectinload(Shipment.store), selectinload(Shipment.order),
                     selectinload(Shipment.courier))
            .order_by(Shipment.id))
    if store_ids is not None:
        stmt = stmt.where(Shipment.store_id.in_(sorted(store_ids) or [0]))
    if carrier is not None:
        stmt = stmt.where(Shipment.carrier == carrier)
    if courier_user_id is not ...:
        stmt = stmt.where(Shipment.courier_user_id.is_(None) if courier_user_id is None
                          else Shipment.courier_user_id == courier_user_id)
    return [Collected(shipment, at or shipment.updated_at)
            for shipment, at in db.session.execute(stmt)]


def _grouped(items: Iterable[Collected]) -> list[CashGroup]:
    groups: dict[tuple, list[Collected]] = {}
    for item in items:
        shipment = item.shipment
        key = (shipment.carrier, shipment.courier_user_id, item.local_day, shipment.currency)
        groups.setdefault(key, []).append(item)
    return [CashGroup(carrier, courier, day, currency, tuple(found))
            for (carrier, courier, day, currency), found in sorted(
                groups.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1] or 0, kv[0][3]))]


def outstanding(merchant_id: int, *, store_ids: Iterable[int] | None = None) -> list[CashGroup]:
    """The cash couriers still owe the merchant, oldest day first; ``store_ids`` limits it to
    shipments from those stores (a member assigned to some stores only)."""
    return _grouped(_collected(merchant_id, store_ids=store_ids))


def remittances(merchant_id: int, *, store_ids: Iterable[int] | None = None) -> sa.Select:
    """The merchant's remittances, newest first. With ``store_ids``, only those whose every
    shipment left from one of these stores (a member never sees another store's cash)."""
    stmt = (sa.select(CodRemittance).where(CodRemittance.merchant_id == merchant_id)
            .options(selectinload(CodRemittance.lines).selectinload(CodRemittanceLine.shipment),
                     selectinload(CodRemittance.lines).selectinload(CodRemittanceLine.order),
                     selectinload(CodRemittance.courier), selectinload(CodRemittance.actor))
            .order_by(CodRemittance.id.desc()))
    if store_ids is not None:
        elsewhere = (sa.select(CodRemittanceLine.id)
                     .join(Shipment, Shipment.id == CodRemittanceLine.shipment_id)
                     .where(CodRemittanceLine.remittance_id == CodRemittance.id,
                            Shipment.store_id.not_in(sorted(store_ids) or [0])))
        stmt = stmt.where(~sa.exists(elsewhere))
    return stmt


def get_remittance(merchant_id: int, remittance_id) -> CodRemittance:
    return get_scoped(CodRemittance, merchant_id, remittance_id)


# --- reconciling ------------------------------------------------------------------------------

def parse_day(value) -> date:
    if isinstance(value, datetime):
        raise ValidationError.field("day", _l("Enter a day, not a time."))
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationError.field("day", _l("Enter a day as YYYY-MM-DD.")) from None


def _courier_id(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        courier_user_id = int(value)
    except (TypeError, ValueError):
        courier_user_id = 0
    if not 0 < courier_user_id <= MAX_ID:  # the database would refuse the number
        raise ValidationError.field("courier_user_id", _l("Unknown rider."))
    return courier_user_id


def _wanted_ids(merchant_id: int, shipment_ids) -> list[int]:
    """The shipment ids the caller counted, each the merchant's (else ``NotFound``)."""
    try:
        ids = sorted({int(i) for i in shipment_ids})
    except (TypeError, ValueError):
        raise ValidationError.field("shipment_ids", _l("Unknown delivery.")) from None
    if not ids:
        raise ValidationError.field("shipment_ids", _l("Choose the deliveries counted."))
    if not all(0 < i <= MAX_ID for i in ids):  # no such row, and the database would refuse
        raise NotFound("shipment")
    found = set(db.session.scalars(sa.select(Shipment.id).where(
        Shipment.merchant_id == merchant_id, Shipment.id.in_(ids))))
    if found != set(ids):
        raise NotFound("shipment")
    return ids


def _lock(merchant_id: int, ids: list[int]) -> None:
    """Lock the shipments' orders, then the shipments, each in id order: parents first as the
    shipment and order services do, in one global order, so two reconciliations (or a
    reconciliation and a carrier's news) queue instead of deadlocking. On SQLite the
    transaction already holds the write lock (BEGIN IMMEDIATE)."""
    order_ids = sorted(set(db.session.scalars(sa.select(Shipment.order_id).where(
        Shipment.merchant_id == merchant_id, Shipment.id.in_(ids)))))
    db.session.scalars(sa.select(Order.id).where(Order.id.in_(order_ids))
                       .order_by(Order.id).with_for_update()).all()
    db.session.scalars(sa.select(Shipment).where(Shipment.id.in_(ids)).order_by(Shipment.id)
                       .with_for_update().execution_options(populate_existing=True)).all()


def _cash_payment(order: Order) -> Payment:
    for payment in order.payments:
        if payment.provider == PROVIDER and payment.state == PaymentState.PENDING:
            return payment
    raise PaymentNotWaiting(_l("Order %(number)s has no cash-on-delivery payment waiting for "
                               "cash (already paid or cancelled): sort it out before "
                               "reconciling.", number=order.number))


def reconcile(merchant, *, carrier: str, courier_user_id, day, counted,
              shipment_ids: list[int] | None, actor: Actor, note: str | None = None,
              currency: str | None = None, now: datetime | None = None) -> CodRemittance:
    """Confirm the cash one courier brought back for one local day.

    ``shipment_ids``: the deliveries the member counted the cash of (the page and the API
    send what they showed); they must be exactly the group's outstanding shipments, else a
    ``ValidationError`` asks to count again. ``None`` takes the group as it is now. Any of
    them already reconciled: ``AlreadyReconciled`` (409), nothing changed. ``counted`` (minor
    units) different from the sum collected needs a ``note``. ``currency`` is needed only when
    the group's cash is in several currencies. Flushes; the caller commits."""
    now = now or utcnow()
    carrier = str(carrier or "").strip()[:48]
    courier_user_id = _courier_id(courier_user_id)
    day = parse_day(day)
    counted = validate_amount(counted, "counted")
    note = optional_text(note, "note", max_length=500)
    if shipment_ids is None:
        ids = sorted(i.shipment.id for i in _group_items(merchant.id, carrier, courier_user_id,
                                                         day, currency))
        if not ids:
            raise NotFound("cash", _l("No cash is outstanding for this courier and day."))
    else:
        ids = _wanted_ids(merchant.id, shipment_ids)
    _lock(merchant.id, ids)
    if db.session.scalar(sa.select(sa.func.count()).select_from(CodRemittanceLine)
                         .where(CodRemittanceLine.shipment_id.in_(ids))):
        raise AlreadyReconciled(_l("Some of this cash was reconciled meanwhile: nothing was "
                                   "changed."))
    items = _group_items(merchant.id, carrier, courier_user_id, day, currency)
    if sorted(i.shipment.id for i in items) != ids:
        raise ValidationError.field("shipment_ids", _l(
            "The deliveries of this courier and day changed since you counted: reload the "
            "page and count again."))
    return _record(merchant, items, carrier=carrier, courier_user_id=courier_user_id,
                   day=day, counted=counted, note=note, actor=actor, now=now)


def _group_items(merchant_id: int, carrier: str, courier_user_id: int | None, day: date,
                 currency: str | None) -> list[Collected]:
    items = [i for i in _collected(merchant_id, carrier=carrier,
                                   courier_user_id=courier_user_id) if i.local_day == day]
    currencies = {i.shipment.currency for i in items}
    if currency is not None:
        return [i for i in items if i.shipment.currency == currency]
    if len(currencies) > 1:
        raise ValidationError.field("currency", _l("This cash is in several currencies: "
                                                   "reconcile each on its own."))
    return items


def _record(merchant, items: list[Collected], *, carrier, courier_user_id, day, counted,
            note, actor: Actor, now: datetime) -> CodRemittance:
    expected = sum(item.amount for item in items)
    difference = counted - expected
    currency = items[0].shipment.currency
    if difference and not note:  # a shortfall or an overage is explained, never just taken
        amount = format_money(abs(difference), currency)
        raise ValidationError.field("note", _l(
            "The cash counted is %(amount)s short of what the courier collected: say why.",
            amount=amount) if difference < 0 else _l(
            "The cash counted is %(amount)s more than the courier collected: say why.",
            amount=amount))
    orders = {item.shipment.order_id: item.shipment.order for item in items}
    # Every order's payment is checked before anything is written: a refusal changes nothing.
    waiting = {order_id: _cash_payment(orders[order_id]) for order_id in sorted(orders)}
    remittance = CodRemittance(
        merchant_id=merchant.id, carrier=carrier, courier_user_id=courier_user_id, day=day,
        currency=currency, expected=expected, counted=counted, difference=difference,
        note=note, actor_id=actor.user_id, created_at=now)
    by_order: dict[int, list[CodRemittanceLine]] = {}
    for item in items:
        shipment = item.shipment
        line = CodRemittanceLine(merchant_id=merchant.id, shipment_id=shipment.id,
                                 order_id=shipment.order_id, amount=item.amount)
        remittance.lines.append(line)
        by_order.setdefault(shipment.order_id, []).append(line)
    db.session.add(remittance)
    db.session.flush()  # the unique shipment id refuses a second reconciliation here too
    for order_id, payment in waiting.items():
        cash = sum(line.amount for line in by_order[order_id])
        if not cash:  # the courier took no cash: the payment keeps waiting for some
            continue
        payments.take_at_counter(payment, cash, actor=actor)
        for line in by_order[order_id]:
            line.payment_id = payment.id
    db.session.flush()
    return remittance
