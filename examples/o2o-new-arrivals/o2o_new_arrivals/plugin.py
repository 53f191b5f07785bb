"""The plugin module named by the ``marketplace.plugins`` entry point."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import render_template
from markupsafe import Markup

from marketplace.catalog.models import Listing
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.plugins import PluginInfo, Setting, hookimpl
from marketplace.plugins.services import merchant_settings

from . import __version__
from .models import NewArrival

NAME = "new_arrivals"
SHOWN = 8

PLUGIN = PluginInfo(
    name=NAME,
    version=__version__,
    category="storefront",
    level="merchant",
    core_versions=">=0.1,<1",
    description="Shows the listings a shop published recently at the top of its page.",
    author="O2O Marketplace developers",
    merchant_settings=(
        Setting("heading", label="Heading", default="New this week", max_length=60,
                help="Shown above the strip of new listings."),
        Setting("badge", label="Badge under the price", default="New", max_length=20),
        Setting("days", type="integer", label="Days a listing counts as new", default=7,
                minimum=1, maximum=60),
    ),
)


def _recent(merchant) -> list[Listing]:
    days = merchant_settings(merchant, NAME)["days"]
    since = utcnow() - timedelta(days=days)
    return list(db.session.scalars(
        sa.select(Listing)
        .join(NewArrival, NewArrival.listing_id == Listing.id)
        .where(NewArrival.merchant_id == merchant.id, NewArrival.published_at >= since,
               Listing.merchant_id == merchant.id, Listing.status == "published")
        .order_by(NewArrival.published_at.desc(), Listing.id.desc()).limit(SHOWN)))


def _remember(merchant_id: int, listing_id: int, when) -> None:
    exists = db.session.scalar(sa.select(NewArrival.id).where(
        NewArrival.merchant_id == merchant_id, NewArrival.listing_id == listing_id))
    if exists is None:
        db.session.add(NewArrival(merchant_id=merchant_id, listing_id=listing_id,
                                  published_at=when))
    else:
        db.session.execute(sa.update(NewArrival).where(NewArrival.id == exists)
                           .values(published_at=when))


@hookimpl
def marketplace_migration_locations():
    return str(Path(__file__).parent / "migrations" / "versions")


@hookimpl
def marketplace_listing_changed(merchant, listing_id, change):
    # Republishing counts as new again; the platform runs this after the commit, in a
    # savepoint of its own.
    if change == "published":
        _remember(merchant.id, listing_id, utcnow())


@hookimpl
def marketplace_merchant_plugin_enabled(merchant, enabled):
    if not enabled:
        return
    days = merchant_settings(merchant, NAME)["days"]
    since = utcnow() - timedelta(days=days)
    for listing in db.session.scalars(sa.select(Listing).where(
            Listing.merchant_id == merchant.id, Listing.status == "published",
            Listing.published_at >= since)):
        _remember(merchant.id, listing.id, listing.published_at)


@hookimpl
def marketplace_storefront_slot(merchant, slot, context):
    if merchant is None:
        return None
    if slot == "merchant.header":
        listings = _recent(merchant)
        if not listings:
            return None
        # render_template autoescapes every value, so its output is safe HTML.
        return Markup(render_template(  # noqa: S704
            "new_arrivals/strip.html", merchant=merchant, listings=listings,
            heading=merchant_settings(merchant, NAME)["heading"]))
    if slot == "listing.after_price":
        listing = context.get("listing")
        if listing is not None and listing in _recent(merchant):
            return Markup(render_template("new_arrivals/badge.html",  # noqa: S704
                                          label=merchant_settings(merchant, NAME)["badge"]))
    return None
