"""Customer messages through channel plugins (SMS, Zalo, push …), besides the e-mail.

The core writes each message once, in the customer's language, and hands it to every channel
the merchant enabled through ``marketplace_send_notification``. It travels as a plugin event:
an outbox message written in the transaction that caused it, delivered after the commit, so a
slow or failing channel never holds up the request and a rolled-back change tells nobody.
"""

from __future__ import annotations

from ..plugins.events import emit


def recipient(customer) -> dict:
    """What a channel may use to reach the customer (JSON, as the outbox keeps it)."""
    return {"user_id": customer.id, "name": customer.full_name, "email": customer.email,
            "phone": customer.phone or None, "locale": customer.locale or "vi"}


def send(merchant, customer, *, kind: str, object_id: int, subject: str, text: str,
         link: str) -> None:
    emit("marketplace_send_notification", merchant, kind=kind, object_id=object_id,
         recipient=recipient(customer), subject=str(subject), text=text, link=link)
