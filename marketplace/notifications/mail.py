"""E-mail delivery: SMTP when ``MAIL_SERVER`` is set, else .eml files in the instance folder.

The file backend is the embedded default for a machine with no mail server: every message is
kept whole (headers and body) where a developer or an operator can open it.
"""

from __future__ import annotations

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


def queue_mail(*, to: str, template: str, locale: str, subject: str, **context) -> None:
    """Render now (in the recipient's language), deliver after commit through the outbox."""
    with force_locale(locale):
        body = render_template(f"mail/{template}.txt", **context)
    enqueue(TOPIC, {"to": to, "subject": str(subject), "body": body})


def deliver(payload: dict) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Message-ID"] = make_msgid(domain="marketplace.local")
    message.set_content(payload["body"])
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
