"""What the customer is told about their parcel, written to the outbox with the change.

The order's own messages say it was confirmed, shipped, delivered or cancelled; these are
the parcel's moments in between that a customer waits for: the courier is on the way (be
home, have the cash ready), and an attempt failed (why, and what happens next).
"""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from ..money import format_money
from ..notifications import channels
from ..notifications.mail import queue_mail
from ..orders.notifications import local
from ..urls import public_url
from .states import ShipmentState

SUBJECTS = {
    ShipmentState.OUT_FOR_DELIVERY: _l("Order %(number)s: the courier is on the way"),
    ShipmentState.FAILED_ATTEMPT: _l("Order %(number)s: we could not deliver it"),
}


def shipment_moved(shipment, new_state: ShipmentState, *, note: str | None) -> None:
    subject = SUBJECTS.get(ShipmentState(new_state))
    if subject is None:
        return
    order = shipment.order
    customer = order.customer
    locale = customer.locale or "vi"
    link = public_url("shop.order", number=order.number)
    with force_locale(locale):
        subject = str(subject % {"number": order.number})
        message = render_template(
            "notifications/shipment_message.txt", kind=str(new_state), order=order,
            shipment=shipment, reason=note, money=format_money,
            local=lambda moment: local(order, moment)).strip()
    queue_mail(to=customer.email, template="order_update", locale=locale, subject=subject,
               order=order, message=message, link=link)
    channels.send(order.merchant, customer, kind=f"shipment.{new_state}",
                  object_id=shipment.id, subject=subject, text=message, link=link)
