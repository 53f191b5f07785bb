"""The courier's REST API, as one merchant's account sees it.

Three kinds of answer, and what each means for the platform:

* 2xx — the courier did it; the body is read by ``answers`` (strictly).
* 4xx — the courier refuses for good (a bad address, a wrong API key, already picked up):
  ``ValidationError`` with the courier's own words, which the outbox does not retry.
* no answer, a timeout, 5xx, a 2xx that cannot be read — ``CourierUnavailable``: the
  outbox retries it later (booking is safe to repeat: the courier dedupes by
  ``Idempotency-Key``).

The API key travels only in the ``Authorization`` header: it is never logged and never part
of an error message (the outbox stores the message of a failure).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote as quote_path

import requests
from flask_babel import lazy_gettext as _l

from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.merchants.models import Merchant
from marketplace.plugins.services import merchant_settings

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5    # seconds: a customer is waiting at checkout for quotes
CONNECT_TIMEOUT = 3.0  # a courier that does not even answer the door is down
MAX_COURIER_MESSAGE = 300


class CourierUnavailable(RuntimeError):
    """The courier did not answer usefully (down, slow, 5xx, unreadable): try again later."""


@dataclass(frozen=True)
class Account:
    """One merchant's account at the courier (its settings, secrets decrypted)."""

    merchant_id: int
    base_url: str
    api_key: str
    webhook_secret: str
    label: str
    timeout: float

    def __repr__(self) -> str:  # a traceback or a debug log must not show the secrets
        return f"Account(merchant_id={self.merchant_id}, base_url={self.base_url!r})"

    def url(self, *parts: str) -> str:
        return "/".join([self.base_url.rstrip("/"), *(quote_path(p, safe="") for p in parts)])

    def call(self, method: str, *path: str, body: Any = None,
             idempotency_key: str | None = None) -> Any:
        """The JSON the courier answered; raises as the module says."""
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        where = f"{method} {'/'.join(('',) + path)}"
        try:
            # No redirects: the key must not follow a courier's answer somewhere else.
            response = requests.request(method, self.url(*path), json=body, headers=headers,
                                        timeout=(min(CONNECT_TIMEOUT, self.timeout),
                                                 self.timeout),
                                        allow_redirects=False)
        except requests.RequestException as exc:
            raise CourierUnavailable(f"{where}: {type(exc).__name__}") from None
        if 400 <= response.status_code < 500:
            raise ValidationError(_l("The courier refused: %(reason)s",
                                     reason=_courier_words(response)),
                                  courier_status=response.status_code)
        if not 200 <= response.status_code < 300:
            raise CourierUnavailable(f"{where}: HTTP {response.status_code}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise CourierUnavailable(f"{where}: the answer is not JSON") from None


def _courier_words(response) -> str:
    """The reason the courier gave (``{"error": ...}`` or ``{"message": ...}``), short."""
    try:
        data = response.json()
    except ValueError:
        data = None
    reason = None
    if isinstance(data, dict):
        reason = data.get("error") or data.get("message")
    if not isinstance(reason, str) or not reason.strip():
        reason = f"HTTP {response.status_code}"
    return reason.strip()[:MAX_COURIER_MESSAGE]


def account(merchant_or_id, plugin_name: str) -> Account:
    """The merchant's account; ``ValidationError`` when the settings are incomplete (it
    cannot get better by retrying)."""
    merchant = merchant_or_id if isinstance(merchant_or_id, Merchant) \
        else db.session.get(Merchant, merchant_or_id)
    if merchant is None:
        raise ValidationError(_l("Unknown shop."))
    values = merchant_settings(merchant, plugin_name)
    missing = [key for key in ("base_url", "api_key", "webhook_secret") if not values.get(key)]
    if missing:
        raise ValidationError(_l("The courier is not set up for this shop."),
                              fields={key: [_l("This field is required.")] for key in missing})
    return Account(merchant_id=merchant.id, base_url=values["base_url"],
                   api_key=values["api_key"], webhook_secret=values["webhook_secret"],
                   label=(values.get("label") or "").strip(),
                   timeout=float(values.get("timeout_seconds") or DEFAULT_TIMEOUT))
