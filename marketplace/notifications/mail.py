"""E-mail delivery: SMTP when ``MAIL_SERVER`` is set, else .eml files in the instance folder.

The file backend is the embedded default for a machine with no mail server: every message is
kept whole (headers and body) where a developer or an operator can open it.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale

from ..database import utcnow
from ..outbox.services import enqueue

TOPIC = "mail.send"


def queue_mail(*, to: str, template: str, locale: str, subject: str,
               attachments: list[tuple[str, str, bytes]] | None = None, **context) -> None:
    """Render now (in the recipient's language), deliver after commit through the outbox.

    ``template`` is a core mail template's name (``order_update``: ``mail/order_update.txt``)
    or a plugin's template path (``<plugin>/mail/….txt``). ``attachments`` are (file name,
    content type, bytes), e.g. a calendar file."""
    name = template if "/" in template else f"mail/{template}.txt"
    with force_locale(locale):
        body = render_template(name, **context)
    payload = {"to": to, "subject": str(subject), "body": body}
    if attachments:
        payload["attachments"] = [
            {"filename": filename, "content_type": content_type,
             "data": base64.b64encode(data).decode("ascii")}
            for filename, content_type, data in attachments]
    enqueue(TOPIC, payload)


def deliver(payload: dict) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Message-ID"] = make_msgid(domain="marketplace.local")
    message.set_content(payload["body"])
    for attached in payload.get("attachments", ()):
        maintype, _, subtype = attached["content_type"].partition("/")
        message.add_attachment(base64.b64decode(attached["data"]), maintype=maintype,
                               subtype=subtype, filename=attached["filename"])
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
        return
    folder = Path(config["MAIL_FILE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
    (folder / name).write_bytes(bytes(message))
