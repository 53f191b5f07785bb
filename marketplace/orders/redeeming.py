"""The pickup order as a redeemable kind: staff scan the customer's QR code at the counter
and hand over what the order holds."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..errors import ValidationError
from ..extensions import db
from ..payments import services as payments
from ..plugins import CodeKind
from . import codes, lifecycle
from .audit import Actor
from .models import Order
from .states import Fulfilment, OrderState


class PickupKind(CodeKind):
    identifier = codes.KIND
    label = _l("Order pickup")

    def _order(self, code, *, lock: bool = False) -> Order:
        # Locked for the handing over; the identity map keeps no order alive between calls,
        # so the locked read is the one that loads it there.
        order = (lifecycle.locked(code.subject_id) if lock
                 else db.session.get(Order, code.subject_id))
        if order is None or order.merchant_id != code.merchant_id:
            raise ValidationError(_l("This order no longer exists."))
        return order

    def holder_id(self, code):
        return self._order(code).customer_id

    def store_ids(self, code):
        return {self._order(code).store_id}

    def describe(self, code) -> dict:
        order = self._order(code)
        payment = lifecycle.live_payment(order)
        offline = payment is not None and payments.provider_for(payment).offline
        return {
            "title": str(_l("Order %(number)s", number=order.number)),
            "holder": order.customer.full_name,
            "order": {"id": order.id, "number": order.number, "state": order.state,
                      "fulfilment": order.fulfilment, "store_id": order.store_id,
                      "total": order.total, "currency": order.currency,
                      "pay_at_counter": offline},
            "lines": [{"id": line.id, "title": line.title, "variant": line.variant_label,
                       "quantity": line.quantity} for line in order.lines],
            "needs": ["payment_taken"] if offline and order.total > 0 else [],
        }

    def redeem(self, code, *, store, actor, details, now) -> dict:
        order = self._order(code, lock=True)
        if order.state != OrderState.READY:
            raise ValidationError(_l("The order is not ready for pickup yet."))
        lines = details.get("lines")
        if order.fulfilment == Fulfilment.RESERVE and not lines:
            # Tried in store: what is bought is the customer's choice, not the whole order.
            raise ValidationError.field("lines", _l(
                "A reservation to try ends with what the customer buys: choose it on the "
                "order's page."))
        lifecycle.collect(order, actor=Actor.staff(actor), code=None, scanned=True,
                          quantities=lines, payment_taken=bool(details.get("payment_taken")),
                          now=now)
        return {"order_id": order.id, "order_state": order.state,
                "settled_total": order.settled_total}
