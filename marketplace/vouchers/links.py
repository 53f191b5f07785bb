"""The public link of a campaign, with where the visitor came from (a poster at a store)."""

from __future__ import annotations

from ..urls import public_url


def campaign_url(campaign, *, source: str | None = None, store_id: int | None = None) -> str:
    """``/c/<token>``, absolute; ``source`` and ``store_id`` become ``?src=…&store=…``, which
    the claim records."""
    values = {}
    if source:
        values["src"] = source
    if store_id:
        values["store"] = store_id
    return public_url("vouchers.campaign", token=campaign.token, **values)
