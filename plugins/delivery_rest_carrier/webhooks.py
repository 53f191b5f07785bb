"""The courier's status notifications: ``POST /webhooks/carriers/rest_courier/<merchant_id>``.

Each merchant has its own account at the courier, so its own signing secret, and gives the
courier a URL ending in its merchant id. In this order, and stopping at the first refusal:

1. the merchant exists and has this plugin enabled — else 404 (no secret to check with);
2. ``X-Courier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``
   is present (400 otherwise), signed with that merchant's secret and at most five minutes
   old (401 otherwise) — checked on the raw bytes, before the body is parsed or anything
   is written; a captured notification cannot be replayed after five minutes, and one
   replayed sooner is a duplicate by its event id;
3. the body (one update or a list) is read strictly (422 naming the field);
4. every tracking reference is one of *this merchant's* shipments with this carrier (404
   otherwise: merchant A's secret never reaches merchant B's parcels, and the answer does not
   tell whether the reference exists elsewhere);
5. each shipment's updates go to ``tracking.carrier_news``: replays are duplicates, old news
   is ignored, an impossible move is ``InvalidTransition`` (409).

Any refusal is an exception or a status ≥ 400, and the route then rolls the whole
notification back: nothing of it is written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from flask_babel import lazy_gettext as _l

from marketplace.delivery import tracking
from marketplace.delivery.shipments import APPLIED, DUPLICATE, IGNORED
from marketplace.errors import AuthenticationFailed, MarketplaceError, NotFound, ValidationError
from marketplace.extensions import db
from marketplace.merchants.models import Merchant
from marketplace.plugins.manager import current_platform

from . import answers
from .client import account

SIGNATURE_HEADER = "X-Courier-Signature"
TOLERANCE_SECONDS = 300
MAX_UPDATES = 100  # one notification; a courier with more sends more notifications


class BadSignatureHeader(MarketplaceError):
    status = 400
    code = "bad_signature_header"
    title = _l("The notification is not signed.")


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value for ``body`` sent at ``timestamp`` (what the courier computes)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def _parts(header: str) -> tuple[int, list[str]]:
    timestamp, signatures = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)  # several while the courier rotates its secret
    if timestamp is None or not signatures:
        raise BadSignatureHeader()
    return timestamp, signatures


def verify(header: str | None, body: bytes, secret: str, *, now: float | None = None) -> None:
    """Refuse a missing, malformed, wrong or stale signature; reads nothing but the header
    and the raw bytes."""
    if not header:
        raise BadSignatureHeader()
    timestamp, signatures = _parts(header)
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise AuthenticationFailed(_l("The notification is too old."))
    expected = sign(secret, body, timestamp).rpartition("v1=")[2]
    # Constant time: how much of a forged signature matched must not show in the timing.
    if not any(hmac.compare_digest(expected, given) for given in signatures):
        raise AuthenticationFailed(_l("The notification's signature is not valid."))


def _merchant(merchant_id, plugin_name: str) -> Merchant:
    merchant = db.session.get(Merchant, merchant_id) if merchant_id is not None else None
    if merchant is None or plugin_name not in current_platform().active_plugin_names(merchant):
        raise NotFound("merchant")
    return merchant


def _updates(body: bytes, merchant_id: int) -> dict[str, list]:
    """Tracking reference → its updates, in the order the courier sent them."""
    try:
        data = json.loads(body)
    except ValueError:
        raise ValidationError.field("body", _l("Must be JSON.")) from None
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > MAX_UPDATES:
        raise ValidationError.field("body", _l("Between 1 and %(n)d updates.", n=MAX_UPDATES))
    grouped: dict[str, list] = {}
    for index, item in enumerate(items):
        where = f"[{index}]." if isinstance(data, list) else ""
        if not isinstance(item, dict):
            raise ValidationError.field(where.rstrip(".") or "body", _l("Must be an object."))
        reference = answers.tracking_reference(item, where)
        grouped.setdefault(reference, []).append(
            answers.update(item, where, merchant_id=merchant_id))
    return grouped


def receive(request, *, carrier: str, plugin_name: str) -> tuple[dict, int]:
    """The carrier's ``handle_webhook``: ``(summary, 200)`` or an exception (rolled back)."""
    merchant = _merchant((request.view_args or {}).get("merchant_id"), plugin_name)
    secret = account(merchant, plugin_name).webhook_secret
    body = request.get_data(cache=True)
    verify(request.headers.get(SIGNATURE_HEADER), body, secret)
    grouped = _updates(body, merchant.id)
    for reference in grouped:
        if tracking.find(carrier, reference).merchant_id != merchant.id:
            raise NotFound("shipment")
    summary = {APPLIED: 0, DUPLICATE: 0, IGNORED: 0}
    for reference, updates in grouped.items():
        for outcome in tracking.carrier_news(carrier, reference, updates):
            summary[outcome.result] += 1
    return summary, 200
