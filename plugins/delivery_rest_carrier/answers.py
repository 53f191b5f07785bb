"""Reading what the courier says, strictly.

Everything the courier's API answers or notifies is outside input: a quote with a float fee,
a window without a time zone or a status word nobody agreed on must never reach a customer
or move a shipment. Each reader either returns the platform's records or raises
``ValidationError`` naming the field that is wrong (``quotes[1].fee``), so the log line or
the webhook's 422 answer says exactly what the courier got wrong.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from marketplace.delivery.states import ShipmentState
from marketplace.errors import ValidationError
from marketplace.money import MAX_AMOUNT
from marketplace.plugins import DeliveryQuote, DeliveryRequest, TrackingUpdate

S = ShipmentState

# The courier's status words and the shipment state each one means. The platform's states
# are the only thing ``shipments.report`` understands; a word missing here is refused (422
# on a webhook) rather than guessed, so a courier that adds a status is noticed at once.
STATUSES: dict[str, ShipmentState] = {
    "booked": S.CREATED,               # accepted, waiting for pick-up (changes nothing)
    "picked_up": S.PICKED_UP,          # the goods left the store with the courier
    "in_transit": S.IN_TRANSIT,
    "at_hub": S.IN_TRANSIT,            # sorted at one of the courier's hubs
    "out_for_delivery": S.OUT_FOR_DELIVERY,
    "delivered": S.DELIVERED,
    "delivery_failed": S.FAILED_ATTEMPT,  # nobody took it this time
    "returning": S.RETURNING,
    "returned": S.RETURNED_TO_STORE,   # handed back at the store
    "cancelled": S.CANCELLED,
}

SERVICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,47}")  # fits Shipment.service
MAX_LABEL = 100
MAX_REFERENCE = 100  # Shipment.tracking_reference
MAX_EVENT_ID = 100   # + "<merchant id>:" fits ShipmentEventRecord.external_id (128)
MAX_NOTE = 500
MAX_ATTEMPTS = 10


def _refuse(field: str, message) -> ValidationError:
    return ValidationError.field(field, message)


def described(error: ValidationError) -> str:
    """``field: problem; ...`` for a log line (the message alone does not say where)."""
    return "; ".join(f"{field}: {', '.join(str(m) for m in messages)}"
                     for field, messages in error.fields.items()) or str(error.message)


def _object(value: Any, field: str) -> dict:
    if not isinstance(value, dict):
        raise _refuse(field, _l("Must be an object."))
    return value


def _text(data: dict, key: str, where: str, *, max_length: int,
          required: bool = True) -> str | None:
    value = data.get(key)
    if not required and (value is None or value == ""):
        return None
    if not isinstance(value, str) or not value.strip():
        raise _refuse(f"{where}{key}", _l("Must be a non-empty text."))
    if len(value) > max_length:
        raise _refuse(f"{where}{key}", _l("At most %(n)d characters.", n=max_length))
    return value.strip()


def _integer(data: dict, key: str, where: str, *, default: int | None = None,
             minimum: int = 0, maximum: int = MAX_AMOUNT) -> int | None:
    value = data.get(key, default)
    # Money is whole minor units: 25000.0, "25000" and true are not amounts.
    if type(value) is not int or not minimum <= value <= maximum:
        raise _refuse(f"{where}{key}", _l("Must be a whole number from %(low)d to %(high)d.",
                                          low=minimum, high=maximum))
    return value


def _flag(data: dict, key: str, where: str, *, default: bool | None = None) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise _refuse(f"{where}{key}", _l("Must be true or false."))
    return value


def _moment(data: dict, key: str, where: str) -> datetime:
    value = data.get(key)
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise _refuse(f"{where}{key}", _l("Must be an ISO 8601 date and time."))
    if moment.tzinfo is None:
        # A time without its zone is hours off somewhere: never guess it.
        raise _refuse(f"{where}{key}", _l("A time zone is required."))
    return moment.astimezone(UTC)


# --- quotes ----------------------------------------------------------------------------------

def quotes(answer: Any, request: DeliveryRequest, *, carrier: str,
           label_prefix: str = "") -> list[DeliveryQuote]:
    """The quotes of ``POST /quotes``'s answer ``{"quotes": [...]}``, cheapest first.

    One bad quote refuses the whole answer: a courier that sends nonsense for one service
    cannot be trusted for the others. When the request asks for cash on delivery, only the
    services that take it are kept (the contract: none means "cannot")."""
    items = _object(answer, "answer").get("quotes")
    if not isinstance(items, list):
        raise _refuse("quotes", _l("Must be a list."))
    found: list[DeliveryQuote] = []
    for index, item in enumerate(items):
        found.append(_quote(_object(item, f"quotes[{index}]"), f"quotes[{index}].", request,
                            carrier=carrier, label_prefix=label_prefix))
    services = [q.service for q in found]
    if len(services) != len(set(services)):
        raise _refuse("quotes", _l("A service is quoted twice."))
    if request.cash_on_delivery:
        found = [q for q in found if q.cash_on_delivery]
    return sorted(found, key=lambda q: (q.fee, q.window_end, q.service))


def _quote(item: dict, where: str, request: DeliveryRequest, *, carrier: str,
           label_prefix: str) -> DeliveryQuote:
    service = _text(item, "service", where, max_length=48)
    if not SERVICE.fullmatch(service):
        raise _refuse(f"{where}service", _l("Letters, digits, '.', '_' or '-' only."))
    label = _text(item, "label", where, max_length=MAX_LABEL)
    currency = _text(item, "currency", where, max_length=3)
    if currency != request.currency:
        raise _refuse(f"{where}currency", _l("Must be the basket's currency, %(currency)s.",
                                             currency=request.currency))
    start, end = _moment(item, "window_start", where), _moment(item, "window_end", where)
    if end < start:
        raise _refuse(f"{where}window_end", _l("Ends before the window starts."))
    return DeliveryQuote(
        carrier=carrier, service=service,
        label=f"{label_prefix}: {label}" if label_prefix else label,
        fee=_integer(item, "fee", where), currency=currency,
        window_start=start, window_end=end,
        cash_on_delivery=_flag(item, "cod", where),
        inspect_before_accept=_flag(item, "inspect_before_accept", where, default=False),
        delivery_attempts=_integer(item, "attempts", where, default=1, minimum=1,
                                   maximum=MAX_ATTEMPTS),
        redelivery_fee=_integer(item, "redelivery_fee", where, default=0))


# --- booking ---------------------------------------------------------------------------------

def tracking_reference(answer: Any, where: str = "") -> str:
    """The courier's reference: of ``POST /shipments``'s answer, of a notification."""
    return _text(_object(answer, where.rstrip(".") or "answer"), "tracking_reference", where,
                 max_length=MAX_REFERENCE)


# --- tracking news ---------------------------------------------------------------------------

def status(word: Any, field: str = "status") -> ShipmentState:
    """The shipment state a courier's status word means; an unknown word is refused."""
    if not isinstance(word, str) or word not in STATUSES:
        raise _refuse(field, _l("Unknown status %(word)s.", word=repr(word)[:60]))
    return STATUSES[word]


def update(item: Any, where: str, *, merchant_id: int) -> TrackingUpdate:
    """One piece of news (a webhook's item, an event of ``GET .../events``).

    The courier's event id is kept as ``<merchant id>:<event id>``: the platform dedupes news
    by (carrier, event id), and two merchants may use this plugin with two different courier
    companies whose ids collide."""
    data = _object(item, where.rstrip("."))
    event_id = _text(data, "event_id", where, max_length=MAX_EVENT_ID)
    cash = data.get("cash_collected")
    if cash is not None:
        cash = _integer(data, "cash_collected", where)
    return TrackingUpdate(
        event_id=f"{merchant_id}:{event_id}",
        status=str(status(data.get("status"), f"{where}status")),
        occurred_at=_moment(data, "occurred_at", where),
        note=_text(data, "note", where, max_length=MAX_NOTE, required=False),
        cash_collected=cash)


def events(answer: Any, *, merchant_id: int) -> list[TrackingUpdate]:
    """The news of ``GET /shipments/<tracking>/events``'s answer ``{"events": [...]}``,
    oldest first."""
    items = _object(answer, "answer").get("events")
    if not isinstance(items, list):
        raise _refuse("events", _l("Must be a list."))
    found = [update(item, f"events[{index}].", merchant_id=merchant_id)
             for index, item in enumerate(items)]
    return sorted(found, key=lambda u: u.occurred_at)
