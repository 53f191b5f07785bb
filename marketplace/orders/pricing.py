"""Totals in integer minor units: the core's prices plus what pricing plugins add.

``marketplace_price_lines`` runs on the plugins the merchant enabled. A plugin that raises is
logged and skipped (its discount is not given rather than the checkout failing); one that
returns something other than ``PriceAdjustment`` objects with whole amounts is ignored the
same way. A total never goes below zero.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..plugins.hookspecs import PriceAdjustment
from ..plugins.manager import current_platform

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PricedLine:
    """What a pricing plugin sees of a line."""

    key: str
    variant: object
    quantity: int
    unit_price: int

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass
class Pricing:
    lines: list[PricedLine]
    adjustments: list[PriceAdjustment] = field(default_factory=list)

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def adjustments_total(self) -> int:
        return sum(a.amount for a in self.adjustments)

    @property
    def total(self) -> int:
        return max(self.subtotal + self.adjustments_total, 0)


def _valid(plugin: str, result, keys: set[str]) -> list[PriceAdjustment]:
    items = result if isinstance(result, list | tuple) else [result]
    valid = []
    for item in items:
        if (isinstance(item, PriceAdjustment) and isinstance(item.amount, int)
                and not isinstance(item.amount, bool)
                and (item.line_key is None or item.line_key in keys)
                and item.code and item.label):
            valid.append(item)
        else:
            log.error("plugin %s returned an invalid price adjustment: %r", plugin, item)
    return valid


def price(merchant, lines: list[PricedLine], *, currency: str, customer,
          codes: list[str] | tuple = ()) -> Pricing:
    """``codes``: the voucher codes chosen for this merchant's order (checked already)."""
    pricing = Pricing(lines=list(lines))
    keys = {line.key for line in lines}
    for plugin, result in current_platform().collect(
            "marketplace_price_lines", merchant, lines=pricing.lines, currency=currency,
            customer=customer, codes=list(codes)):
        pricing.adjustments.extend(_valid(plugin, result, keys))
    return pricing
