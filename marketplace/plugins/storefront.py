"""Plugins on the storefront: named template slots and extra page variables.

Themes place ``{{ slot("listing.after_price") }}`` where a plugin may add HTML; the page's
merchant (the ``merchant`` template variable, absent on the home page) decides which plugins
are asked. A slot that raises stays empty and the page still renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup, escape

from .manager import current_platform

#: The slot names themes must offer, with where they are. Plugins rely on these names.
SLOTS: dict[str, str] = {
    "home.after_hero": "home page, below the search form",
    "merchant.header": "merchant page, below the shop's name and description",
    "merchant.after_listings": "merchant page, after the list of listings",
    "listing.after_price": "listing page, below the price",
    "listing.after_details": "listing page, after the description and variants",
    "store.after_hours": "store page, after the opening hours",
    "order.after_summary": "a customer's order page, below the shop and the time",
    "footer": "every storefront page, in the footer",
}


def _merchant_of(context: Mapping[str, Any]):
    from ..merchants.models import Merchant

    merchant = context.get("merchant")
    return merchant if isinstance(merchant, Merchant) else None


def render_slot(name: str, context: Mapping[str, Any]) -> Markup:
    if name not in SLOTS:
        # A typo in a theme should show up in development, not as a silently empty slot.
        raise KeyError(f"unknown storefront slot {name!r}; known: {', '.join(SLOTS)}")
    merchant = _merchant_of(context)
    parts = current_platform().collect("marketplace_storefront_slot", merchant, slot=name,
                                       context=context)
    if not parts:
        return Markup("")
    return Markup("").join(
        Markup('<div class="plugin-slot" data-plugin="{}">{}</div>').format(plugin,
                                                                             escape(html))
        for plugin, html in parts)


@pass_context
def slot(context, name: str) -> Markup:
    """Jinja global: the HTML plugins put into the named slot for this page."""
    return render_slot(name, context)


def page_context(merchant, template: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """Extra variables from ``marketplace_storefront_context``; the page's own ones win."""
    extra: dict[str, Any] = {}
    for _plugin, found in current_platform().collect("marketplace_storefront_context",
                                                     merchant, template=template,
                                                     context=context):
        if isinstance(found, Mapping):
            extra.update(found)
    return {k: v for k, v in extra.items() if k not in context}
