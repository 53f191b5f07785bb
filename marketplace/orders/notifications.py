"""What the customer is told about an order, written to the outbox with the change itself.

Each message is written once in the customer's language and goes out by e-mail and, through
``marketplace_send_notification``, to every channel plugin (SMS, Zalo …) the merchant enabled.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import force_locale, format_datetime
from flask_babel import lazy_gettext as _l

from ..money import format_money
from ..notifications import channels
from ..notifications.mail import queue_mail
from ..urls import public_url
from . import codes
from .states import Fulfilment, OrderState

S = OrderState

SUBJECTS = {
    S.PENDING_PAYMENT: _l("Order %(number)s is waiting for your payment"),
    S.CONFIRMED: _l("Order %(number)s is confirmed"),
    S.READY: _l("Order %(number)s is ready for pickup"),
    S.COLLECTED: _l("Thank you: order %(number)s is complete"),
    S.CANCELLED: _l("Order %(number)s is cancelled"),
    S.EXPIRED: _l("Order %(number)s has expired"),
    S.NO_SHOW: _l("Order %(number)s was not collected"),
    S.DECLINED: _l("Thank you for trying: reservation %(number)s is closed"),
    S.SHIPPED: _l("Order %(number)s is on its way"),
    S.DELIVERED: _l("Order %(number)s is delivered"),
}
REMINDER_SUBJECT = _l("Order %(number)s: please collect it soon")
# The messages that tell the pickup code and the address: the others need not look it up.
SHOWS_CODE = frozenset({"confirmed", "ready", "reminder"})


def local(order, moment):
    """A UTC instant as the store's local date and time, in the reader's language."""
    if moment is None:
        return ""
    return format_datetime(moment.astimezone(ZoneInfo(order.store.timezone)), "short",
                           rebase=False)


def _send(order, kind: str, subject) -> None:
    customer = order.customer
    locale = customer.locale or "vi"
    link = public_url("shop.order", number=order.number)
    subject = _subject(subject, order, locale)
    # A delivery has no pickup code: the courier hands it over.
    shows_code = kind in SHOWS_CODE and order.fulfilment != Fulfilment.DELIVERY
    code = codes.display(codes.pickup_code(order)) if shows_code else ""
    with force_locale(locale):
        message = render_template(
            "notifications/order_message.txt", kind=kind, order=order, store=order.store,
            code=code, shows_code=shows_code, money=format_money,
            local=lambda moment: local(order, moment)).strip()
    queue_mail(to=customer.email, template="order_update", locale=locale, subject=subject,
               order=order, message=message, link=link)
    channels.send(order.merchant, customer, kind=f"order.{kind}", object_id=order.id,
                  subject=subject, text=message, link=link)


def _subject(subject, order, locale: str) -> str:
    with force_locale(locale):
        return str(subject % {"number": order.number})


def state_changed(order, new_state) -> None:
    if order.fulfilment == Fulfilment.APPOINTMENT and new_state != S.PENDING_PAYMENT:
        return  # the booking tells the customer (with its calendar file), once
    subject = SUBJECTS.get(OrderState(new_state))
    if subject is not None:
        _send(order, str(new_state), subject)


def reminder(order) -> None:
    _send(order, "reminder", REMINDER_SUBJECT)
