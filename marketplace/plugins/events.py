"""Plugin events after commit, delivered through the outbox.

Services call ``emit`` inside their transaction; the event becomes an outbox message that is
only delivered if the transaction commits, and a plugin that is slow or down never holds up
the request. Delivery calls each enabled plugin in its own savepoint (``PluginPlatform.fire``).
"""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..outbox.services import enqueue, register_handler
from .manager import current_platform

TOPIC = "plugin.event"

EVENT_HOOKS = frozenset({
    "marketplace_order_state_changed",
    "marketplace_send_notification",
    "marketplace_payment_state_changed",
    "marketplace_booking_state_changed",
    "marketplace_code_redeemed",
    "marketplace_listing_changed",
    "marketplace_store_changed",
    "marketplace_merchant_plugin_enabled",
})


def emit(hook: str, merchant, *, only: str | None = None, **kwargs: Any) -> None:
    """Queue ``hook(merchant=…, **kwargs)`` for after the commit. ``kwargs`` must be JSON."""
    if hook not in EVENT_HOOKS:
        raise ValueError(f"{hook} is not an event hook")
    platform = current_platform()
    # Most events have no listener outside the core: writing no message then saves a row per
    # listing edit.
    listeners = {name for name, _ in platform.each_implementation(hook)}
    if not listeners - {"core"} or (only is not None and only not in listeners):
        return
    enqueue(TOPIC, {"hook": hook, "merchant_id": merchant.id, "only": only,
                    "kwargs": kwargs})


def deliver(payload: dict) -> None:
    from ..merchants.models import Merchant

    merchant = db.session.get(Merchant, payload["merchant_id"])
    if merchant is None:
        return  # the merchant is gone; so is anything a plugin could do for it
    current_platform().fire(payload["hook"], merchant, only=payload.get("only"),
                            **payload["kwargs"])


def init_app(app) -> None:
    register_handler(app, TOPIC, deliver)
