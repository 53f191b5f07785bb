"""The merchant's own riders: delivery priced by distance from the fulfilling store.

Prices by tiers of kilometres (and per started km beyond them), free above a basket value;
delivers within a radius of the store or to listed districts; promises same-day (before a
cut-off) and express (within N hours while the store is open) windows; takes cash at the
door up to a basket value; lets customers inspect before accepting; allows a number of
attempts with a re-delivery fee. ``pricing`` is the pure engine, ``settings`` the merchant's
form for it, ``carrier`` the ``local_courier`` carrier that checkout asks.

Staff assign each parcel to a rider (a member who handles orders at its store) on the
plugin's dashboard page; riders see their parcels on ``/rider/`` on their phone, with
navigation links, and record "picked up", "on my way", "delivered" (the cash taken, a
photo) and "failed attempt" (the reason). Every change goes through
``marketplace.delivery.shipments``, which lets a rider move only the parcels assigned to them.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l

from marketplace.plugins import PluginInfo, hookimpl

from . import models  # noqa: F401  (the table belongs to the metadata from the start)
from .settings import NAME, SETTINGS, check

PLUGIN = PluginInfo(
    name=NAME,
    version="1.0.0",
    category="delivery",
    level="merchant",
    core_versions=">=0.1,<1",
    description="Your own riders deliver from your nearest store: prices by distance, zones, "
                "same-day and express windows, cash on delivery, inspection before accepting, "
                "re-delivery; a phone page for each rider.",
    author="O2O Marketplace developers",
    merchant_settings=SETTINGS,
    check_merchant_settings=check,
)


@hookimpl
def marketplace_register_carriers(register):
    from .carrier import LocalCourier

    register(LocalCourier())


@hookimpl
def marketplace_migration_locations():
    return str(Path(__file__).parent / "migrations" / "versions")


@hookimpl
def marketplace_add_blueprints(register):
    from .views import bp

    register(bp)


@hookimpl
def marketplace_prepare_jinja_env(env):
    # A theme's environment may share the app's globals: the link is added once.
    links = env.globals.setdefault("dashboard_links", [])
    link = (NAME, f"{NAME}.dashboard.index", _l("Local deliveries"), "handle_orders")
    if link not in links:
        links.append(link)
