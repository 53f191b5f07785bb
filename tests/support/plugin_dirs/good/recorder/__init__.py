"""A merchant-level plugin implementing every merchant-scoped hook; it records each call."""

from flask import Blueprint
from markupsafe import Markup

from marketplace.errors import ValidationError
from marketplace.plugins import PluginInfo, Setting, hookimpl
from marketplace.plugins.hookspecs import PriceAdjustment
from marketplace.plugins.services import merchant_settings

PLUGIN = PluginInfo(
    name="recorder", version="1.2.0", category="storefront", level="merchant",
    description="Records every hook call (test plugin).",
    merchant_settings=(
        Setting("greeting", label="Greeting", required=True, default="Xin chào"),
        Setting("api_key", type="secret", label="API key"),
        Setting("max_items", type="integer", minimum=1, maximum=10, default=3),
        Setting("loud", type="boolean"),
        Setting("mode", type="choice", choices=(("a", "A"), ("b", "B")), default="a"),
    ),
    global_settings=(Setting("platform_token", type="secret", label="Platform token"),),
)

CALLS: list[tuple[str, dict]] = []

bp = Blueprint("recorder", __name__, url_prefix="/recorder")


@bp.get("/ping")
def ping():
    return "pong"


def _record(name, **kwargs):
    CALLS.append((name, kwargs))


@hookimpl
def marketplace_add_blueprints(register):
    register(bp)


@hookimpl
def marketplace_validate_cart(merchant, cart, customer):
    _record("validate_cart", merchant=merchant.id, cart=cart)
    if cart == "too many":
        raise ValidationError("At most 20 items per order.")


@hookimpl
def marketplace_validate_booking(merchant, booking):
    _record("validate_booking", merchant=merchant.id, booking=booking)
    if booking == "party of 40":
        raise ValidationError("Call us for groups above 8.")


@hookimpl
def marketplace_price_lines(merchant, lines, currency):
    _record("price_lines", merchant=merchant.id, currency=currency)
    if len(lines) >= 3:
        return [PriceAdjustment("three_for_less", "3+ items", -10000)]
    return None


@hookimpl
def marketplace_order_state_changed(merchant, order_id, old_state, new_state, event):
    _record("order_state_changed", merchant=merchant.id, order_id=order_id,
            old_state=old_state, new_state=new_state, event=event)


@hookimpl
def marketplace_send_notification(merchant, kind, object_id, recipient, subject, text, link):
    _record("send_notification", merchant=merchant.id, kind=kind, object_id=object_id,
            recipient=recipient, subject=subject, text=text, link=link)


@hookimpl
def marketplace_payment_state_changed(merchant, payment_id, order_id, old_state, new_state):
    _record("payment_state_changed", merchant=merchant.id, payment_id=payment_id,
            order_id=order_id, old_state=old_state, new_state=new_state)


@hookimpl
def marketplace_booking_state_changed(merchant, booking_id, old_state, new_state):
    _record("booking_state_changed", merchant=merchant.id, booking_id=booking_id,
            old_state=old_state, new_state=new_state)


@hookimpl
def marketplace_code_redeemed(merchant, code_id, kind, subject_id, store_id, staff_id):
    _record("code_redeemed", merchant=merchant.id, code_id=code_id, kind=kind,
            subject_id=subject_id, store_id=store_id, staff_id=staff_id)


@hookimpl
def marketplace_listing_changed(merchant, listing_id, change):
    _record("listing_changed", merchant=merchant.id, listing_id=listing_id, change=change)


@hookimpl
def marketplace_store_changed(merchant, store_id, change):
    _record("store_changed", merchant=merchant.id, store_id=store_id, change=change)


@hookimpl
def marketplace_storefront_context(merchant, template, context):
    _record("storefront_context", merchant=getattr(merchant, "id", None), template=template)
    return {"recorder_badge": "recorded", "merchant": "must not win"}


@hookimpl
def marketplace_storefront_slot(merchant, slot, context):
    if slot != "merchant.header" or merchant is None:
        return None
    greeting = merchant_settings(merchant, "recorder")["greeting"]
    return Markup('<p class="recorder-greeting">{}</p>').format(greeting)


@hookimpl
def marketplace_merchant_plugin_enabled(merchant, plugin_name, enabled):
    _record("merchant_plugin_enabled", merchant=merchant.id, plugin_name=plugin_name,
            enabled=enabled)
