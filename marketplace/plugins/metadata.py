"""What a plugin says about itself: ``PLUGIN = PluginInfo(...)`` at the top of its module."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from .settings import Setting, check_schema

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,47}$")


class Category(StrEnum):
    PAYMENT = "payment"
    DELIVERY = "delivery"
    BOOKING = "booking"
    REDEMPTION = "redemption"
    STOREFRONT = "storefront"
    MARKETING = "marketing"
    NOTIFICATION = "notification"
    INTEGRATION = "integration"
    OTHER = "other"


class Level(StrEnum):
    # A platform plugin runs for every merchant once the platform installed it (e.g. search
    # analytics); a merchant plugin runs only for the merchants who enabled it.
    PLATFORM = "platform"
    MERCHANT = "merchant"


@dataclass(frozen=True)
class PluginInfo:
    """A plugin's metadata.

    ``name`` is the plugin's identifier everywhere: in ``MerchantPlugin`` rows, in the prefix
    of its tables (``<name>_…``), as its Alembic branch label and as its template folder.
    ``core_versions`` is a PEP 440 specifier the running core version must satisfy.
    """

    name: str
    version: str
    description: str = ""
    category: Category | str = Category.OTHER
    level: Level | str = Level.MERCHANT
    core_versions: str = ">=0.1"
    global_settings: tuple[Setting, ...] = field(default_factory=tuple)
    merchant_settings: tuple[Setting, ...] = field(default_factory=tuple)
    author: str = ""
    url: str = ""
    #: Called with a merchant's settings (plain values, secrets left out) once each passed
    #: its own ``Setting`` check, before they are saved: rules across settings or inside a
    #: text (a price table) live here. Raise ``ValidationError.field(key, message)``;
    #: nothing is saved then.
    check_merchant_settings: Callable[[dict[str, Any]], None] | None = field(
        default=None, compare=False)

    def __post_init__(self) -> None:
        if not NAME_PATTERN.match(self.name):
            raise ValueError(f"plugin name {self.name!r} must match {NAME_PATTERN.pattern}")
        Version(self.version)  # raises InvalidVersion for a version pip could not compare
        object.__setattr__(self, "category", Category(self.category))
        object.__setattr__(self, "level", Level(self.level))
        try:
            SpecifierSet(self.core_versions)
        except InvalidSpecifier as exc:
            raise ValueError(f"plugin {self.name}: bad core_versions: {exc}") from None
        object.__setattr__(self, "global_settings", tuple(self.global_settings))
        object.__setattr__(self, "merchant_settings", tuple(self.merchant_settings))
        check_schema(self.global_settings)
        check_schema(self.merchant_settings)

    def supports_core(self, core_version: str) -> bool:
        return SpecifierSet(self.core_versions).contains(Version(core_version),
                                                         prereleases=True)
