"""Helpers for the voucher tests: a campaign's fields, a running campaign, a claim and a code
typed at a counter, all through the services."""

from __future__ import annotations

from datetime import timedelta

from marketplace.orders.audit import Actor
from marketplace.redemption import services as redemption
from marketplace.vouchers import claims, services
from tests.support.shopping import NOW


def campaign_data(**changes) -> dict:
    """30 % off, online and in store, from a day before ``NOW`` to a week after."""
    return {"name": "Giảm 30% cuối tuần", "discount_kind": "percent", "percent": 30,
            "starts_at": NOW - timedelta(days=1), "ends_at": NOW + timedelta(days=7),
            "channel": "both"} | changes


def running_campaign(merchant, user, **changes):
    """A campaign already activated (at ``NOW``)."""
    campaign = services.create_campaign(merchant, campaign_data(**changes),
                                        actor=Actor.staff(user))
    return services.change_state(campaign, "activate", actor=Actor.staff(user), now=NOW)


def claimed(campaign, customer, *, now=NOW, **options):
    """A voucher of ``campaign`` for ``customer``, and its human code."""
    voucher = claims.claim(campaign, customer, now=now, **options)
    return voucher, redemption.human_code(claims.code_of(voucher))


def typed_at_counter(merchant, store, staff_user, code: str, amount, *, now=NOW,
                     nonce: str = "counter-0001"):
    """Redeem a typed code with the bill ``amount`` (``None``: no amount given)."""
    details = {} if amount is None else {"amount": amount}
    scan = redemption.Scan(text=code, store=store, staff=staff_user, method="typed",
                           nonce=nonce, details=details)
    return redemption.redeem(merchant, scan, now=now)
