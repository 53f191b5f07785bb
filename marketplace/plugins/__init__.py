"""The plugin platform: the public API third-party plugins are written against.

A plugin is a module (or any object) with hook implementations marked ``@hookimpl`` and,
optionally, a module-level ``PLUGIN = PluginInfo(...)`` describing it. Packages expose it
through the entry point group ``marketplace.plugins``. Everything a plugin may import is
re-exported here; the rest of ``marketplace.plugins`` is the core's business.
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "marketplace"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

from .metadata import Category, Level, PluginInfo  # noqa: E402
from .providers import (  # noqa: E402
    BusyTime,
    Carrier,
    CodeFormat,
    CodeKind,
    DeliveryQuote,
    DeliveryRequest,
    ParsedCode,
    PaymentProvider,
    PayoutMethod,
    ProviderRegistry,
    ShipmentInfo,
    SlotQuery,
    SlotSource,
    TakenSlot,
    TrackingUpdate,
)
from .settings import Setting, SettingType  # noqa: E402

__all__ = [
    "BusyTime",
    "Carrier",
    "Category",
    "CodeFormat",
    "CodeKind",
    "DeliveryQuote",
    "DeliveryRequest",
    "Level",
    "ParsedCode",
    "PaymentProvider",
    "PayoutMethod",
    "PluginInfo",
    "ProviderRegistry",
    "Setting",
    "SettingType",
    "ShipmentInfo",
    "SlotQuery",
    "SlotSource",
    "TakenSlot",
    "TrackingUpdate",
    "hookimpl",
    "hookspec",
]
