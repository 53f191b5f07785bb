"""Stock per variant per store. Every change locks the level row and appends a movement.

The row lock (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite every transaction already holds
the write lock from ``BEGIN IMMEDIATE``) is what keeps two concurrent adjustments from losing
an update; the movement written in the same transaction explains every number afterwards.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..database import dialect_insert, scoped, utcnow
from ..errors import InsufficientStock, ValidationError
from ..extensions import db
from ..validation import optional_text, valid_int
from .models import MANUAL_REASONS, MovementReason, StockLevel, StockMovement

MAX_QUANTITY = 10_000_000


def lock_level(store, variant) -> StockLevel:
    """The stock row of ``variant`` at ``store``, created if missing, locked until commit."""
    if store.merchant_id != variant.merchant_id:
        raise ValidationError.field("variant", _l("Unknown variant."))
    query = (sa.select(StockLevel)
             .where(StockLevel.store_id == store.id, StockLevel.variant_id == variant.id)
             .with_for_update().execution_options(populate_existing=True))
    level = db.session.scalars(query).first()
    if level is not None:  # the usual case, in one statement
        return level
    # Two first-ever adjustments may race to create the row: the loser's insert does nothing.
    db.session.execute(
        dialect_insert(StockLevel)
        .values(merchant_id=store.merchant_id, store_id=store.id, variant_id=variant.id,
                on_hand=0, reserved=0, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["store_id", "variant_id"]))
    return db.session.scalars(query).one()


def apply_movement(level: StockLevel, *, reason: MovementReason, on_hand_delta: int = 0,
                   reserved_delta: int = 0, actor_id: int | None = None,
                   note: str | None = None, reference: str | None = None) -> StockMovement:
    """Change a locked level and append the movement; refuses to make availability negative
    (unless the variant allows it) and never lets ``reserved`` go below zero."""
    on_hand = level.on_hand + on_hand_delta
    reserved = level.reserved + reserved_delta
    if reserved < 0:
        raise ValidationError.field("quantity", _l("More would be released than is reserved."))
    if abs(on_hand) > MAX_QUANTITY:
        raise ValidationError.field("quantity", _l("The quantity is too large."))
    lowers_available = on_hand_delta - reserved_delta < 0
    if lowers_available and on_hand - reserved < 0 and not level.variant.allow_negative_stock:
        raise InsufficientStock(
            _l("Only %(n)d available at this store.", n=max(level.available, 0)),
            available=level.available, store_id=level.store_id, variant_id=level.variant_id)
    level.on_hand, level.reserved, level.updated_at = on_hand, reserved, utcnow()
    movement = StockMovement(
        merchant_id=level.merchant_id, store_id=level.store_id, variant_id=level.variant_id,
        reason=reason, on_hand_delta=on_hand_delta, reserved_delta=reserved_delta,
        on_hand_after=on_hand, reserved_after=reserved, note=note, reference=reference,
        actor_id=actor_id)
    db.session.add(movement)
    db.session.flush()
    return movement


def _reason(value, allowed) -> MovementReason:
    try:
        reason = MovementReason(value)
    except ValueError:
        reason = None
    if reason not in allowed:
        raise ValidationError.field("reason", _l("Choose receipt, damage or correction."))
    return reason


def adjust_stock(*, store, variant, delta, reason, actor_id: int | None,
                 note: str | None = None) -> StockMovement:
    """Add or remove a quantity by hand: a receipt (+), damage (−) or a correction (±)."""
    reason = _reason(reason, MANUAL_REASONS)
    delta = valid_int(delta, "delta", minimum=-MAX_QUANTITY, maximum=MAX_QUANTITY)
    if delta == 0:
        raise ValidationError.field("delta", _l("The change cannot be zero."))
    if reason == MovementReason.RECEIPT and delta < 0:
        raise ValidationError.field("delta", _l("A receipt adds stock: use a positive number."))
    if reason == MovementReason.DAMAGE and delta > 0:
        raise ValidationError.field("delta", _l("Damage removes stock: use a negative number."))
    note = optional_text(note, "note", max_length=500)
    if reason == MovementReason.CORRECTION and not note:
        raise ValidationError.field("note", _l("Say why the stock is corrected."))
    return apply_movement(lock_level(store, variant), reason=reason, on_hand_delta=delta,
                          actor_id=actor_id, note=note)


def count_stock(*, store, variant, counted, actor_id: int | None, note: str | None = None,
                reason: MovementReason = MovementReason.COUNT) -> StockMovement:
    """Record a stock count: on hand becomes ``counted`` (the movement keeps the difference)."""
    counted = valid_int(counted, "counted", minimum=0, maximum=MAX_QUANTITY)
    level = lock_level(store, variant)
    return apply_movement(level, reason=reason, on_hand_delta=counted - level.on_hand,
                          actor_id=actor_id, note=optional_text(note, "note", max_length=500))


def transfer_stock(*, source, target, variant, quantity, actor_id: int | None,
                   note: str | None = None) -> tuple[StockMovement, StockMovement]:
    """Move stock between two stores of the merchant: two movements sharing one reference."""
    if source.id == target.id:
        raise ValidationError.field("target_store", _l("Choose another store."))
    if source.merchant_id != target.merchant_id:
        raise ValidationError.field("target_store", _l("Unknown store."))
    quantity = valid_int(quantity, "quantity", minimum=1, maximum=MAX_QUANTITY)
    note = optional_text(note, "note", max_length=500)
    reference = f"transfer-{uuid.uuid4().hex[:16]}"
    # Lock in store-id order so two opposite transfers cannot deadlock.
    first, second = sorted((source, target), key=lambda s: s.id)
    levels = {s.id: lock_level(s, variant) for s in (first, second)}
    out = apply_movement(levels[source.id], reason=MovementReason.TRANSFER_OUT,
                         on_hand_delta=-quantity, actor_id=actor_id, note=note,
                         reference=reference)
    into = apply_movement(levels[target.id], reason=MovementReason.TRANSFER_IN,
                          on_hand_delta=quantity, actor_id=actor_id, note=note,
                          reference=reference)
    return out, into


def levels_for_variant(variant, *, store_ids: set[int] | None = None) -> list[StockLevel]:
    stmt = scoped(StockLevel, variant.merchant_id).where(StockLevel.variant_id == variant.id)
    if store_ids is not None:
        stmt = stmt.where(StockLevel.store_id.in_(store_ids))
    return list(db.session.scalars(stmt.order_by(StockLevel.store_id)))


def levels_for_store(store) -> list[StockLevel]:
    return list(db.session.scalars(
        scoped(StockLevel, store.merchant_id).where(StockLevel.store_id == store.id)
        .order_by(StockLevel.variant_id)))


def movements(merchant_id: int, *, store_id: int | None = None, variant_id: int | None = None,
              store_ids: set[int] | None = None, limit: int = 100,
              before_id: int | None = None) -> list[StockMovement]:
    stmt = scoped(StockMovement, merchant_id)
    if store_id is not None:
        stmt = stmt.where(StockMovement.store_id == store_id)
    if store_ids is not None:
        stmt = stmt.where(StockMovement.store_id.in_(store_ids))
    if variant_id is not None:
        stmt = stmt.where(StockMovement.variant_id == variant_id)
    if before_id is not None:
        stmt = stmt.where(StockMovement.id < before_id)
    return list(db.session.scalars(stmt.order_by(StockMovement.id.desc()).limit(limit)))
