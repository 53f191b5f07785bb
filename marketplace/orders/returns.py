"""Returns in store of online orders (BORIS: buy online, return in store).

Staff look the order up, pick lines, quantities, a condition and a reason. Resellable items
go back on hand at the store taking them (which need not be the store that handed them
over); damaged ones do not. The money goes back through the order's payment provider, or in
cash at the counter when the order was paid at a store.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from ..errors import ValidationError
from ..extensions import db
from ..inventory.models import MovementReason
from ..inventory.services import apply_movement, lock_level
from ..payments import services as payments
from ..payments.states import PaymentState
from ..validation import required_text, valid_int
from .audit import Actor, record
from .lifecycle import lock
from .models import Order, StoreReturn, StoreReturnLine
from .states import OrderState


class Condition(StrEnum):
    RESELLABLE = "resellable"
    DAMAGED = "damaged"


def refundable_amount(order: Order, line, quantity: int) -> int:
    """The line's share of what the customer actually paid, for ``quantity`` items.

    Discounts spread over the collected items in proportion to their price; the last items
    returned get exactly what remains, so rounding never refunds more than was paid."""
    collected_value = sum(x.unit_price * x.collected_quantity for x in order.lines)
    remaining_paid = order.paid_amount
    remaining_items = sum(x.collected_quantity - x.returned_quantity for x in order.lines)
    if quantity >= remaining_items and line.collected_quantity - line.returned_quantity \
            == quantity:
        return remaining_paid
    if collected_value == 0:
        return 0
    share = line.unit_price * quantity * (order.settled_total or 0) // collected_value
    return min(share, remaining_paid)


def _parse_lines(order: Order, raw) -> list[tuple]:
    by_id = {line.id: line for line in order.lines}
    chosen = []
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        item = item if isinstance(item, dict) else {}
        try:
            line = by_id[int(item.get("line_id"))]
        except (KeyError, TypeError, ValueError):
            raise ValidationError.field(f"lines[{index}].line_id",
                                        _l("Unknown order line.")) from None
        if any(line is c[0] for c in chosen):
            raise ValidationError.field(f"lines[{index}].line_id", _l("Listed twice."))
        returnable = line.collected_quantity - line.returned_quantity
        quantity = valid_int(item.get("quantity"), f"lines[{index}].quantity", minimum=1,
                             maximum=max(returnable, 1))
        if quantity > returnable:
            raise ValidationError.field(f"lines[{index}].quantity",
                                        _l("Nothing of this line is left to return."))
        try:
            condition = Condition(item.get("condition") or "")
        except ValueError:
            raise ValidationError.field(f"lines[{index}].condition",
                                        _l("Say whether it can be sold again.")) from None
        chosen.append((line, quantity, condition))
    if not chosen:
        raise ValidationError.field("lines", _l("Choose what is returned."))
    return chosen


def return_in_store(order: Order, *, store, actor: Actor, lines, reason) -> StoreReturn:
    order = lock(order)
    if order.state != OrderState.COLLECTED:
        raise ValidationError(_l("Only a collected order can be returned."))
    if store.merchant_id != order.merchant_id:
        raise ValidationError.field("store_id", _l("Unknown store."))
    reason = required_text(reason, "reason", max_length=500)
    chosen = _parse_lines(order, lines)
    item = StoreReturn(merchant_id=order.merchant_id, order=order, store_id=store.id,
                       reason=reason, refund_amount=0, actor_id=actor.user_id)
    db.session.add(item)
    total = 0
    for line, quantity, condition in sorted(chosen, key=lambda c: c[0].variant_id):
        amount = refundable_amount(order, line, quantity)
        resellable = condition == Condition.RESELLABLE
        if resellable:
            apply_movement(lock_level(store, line.variant), reason=MovementReason.RETURN,
                           on_hand_delta=quantity, actor_id=actor.user_id,
                           reference=order.number, note=reason)
        line.returned_quantity += quantity
        item.lines.append(StoreReturnLine(
            merchant_id=order.merchant_id, order_line_id=line.id, quantity=quantity,
            condition=condition, restocked=resellable, amount=amount))
        total += amount
    item.refund_amount = total
    db.session.flush()
    record(merchant_id=order.merchant_id, order_id=order.id, entity="return",
           entity_id=item.id, event="create", from_state=None, to_state="received",
           actor=actor, note=reason)
    if total > 0:
        captured = [p for p in order.payments if p.state == PaymentState.CAPTURED]
        if not captured:
            raise ValidationError(_l("This order has no payment to refund."))
        payments.refund(captured[-1], total, actor=actor, reason=reason, return_id=item.id)
    return item
