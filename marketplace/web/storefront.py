"""The public storefront: home, merchant, listing and store pages. Read-only and open to all.

Only approved merchants, their active stores and their published listings exist here; the
queries in ``catalog.queries`` say what is public and raise ``NotFound`` for anything else.
Times are shown in each store's own time zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import get_day_names
from flask import Blueprint, request
from flask_babel import format_date, get_locale
from flask_login import current_user

from ..catalog import queries
from ..catalog.services import categories
from ..catalog.states import ListingKind
from ..database import utcnow
from ..search import service as search
from ..search.query import BadSearchQuery, PositionArgs, load_args
from ..stores.hours import interval_from_json
from ..theming import render_storefront
from ..vouchers import claims
from ..vouchers import services as campaigns

bp = Blueprint("storefront", __name__)

PAGE_SIZE = 24
EXCEPTION_DAYS = 60  # how far ahead a store page lists holidays and special hours


@bp.record_once
def _helpers(state) -> None:
    # Globals, not a context processor: the storefront macros use them and are imported
    # without context. "import … with context" makes Jinja run the macro module once per
    # render with the page's context, and under threads on CPython 3.11 that crashed gunicorn
    # workers (SIGSEGV in the garbage collector; 3.12 does not crash). See docs/themes.md.
    state.app.jinja_env.globals.update(
        hhmm=hhmm, day_label=day_label, weekday_names=weekday_names,
        availability_label=queries.availability_label, LOW_STOCK=queries.LOW_STOCK)


def hhmm(value) -> str:
    """24-hour "HH:MM" of a local time or datetime (already in the store's zone)."""
    return value.strftime("%H:%M")


def weekday_names() -> dict[int, str]:
    """Monday=0 … Sunday=6, in the request's language."""
    return dict(get_day_names("wide", locale=get_locale()))


def day_label(moment: datetime, today: date) -> str:
    """The weekday within a week, else the weekday and the date (no year: it is near)."""
    day = moment.date()
    if (day - today).days < 7:
        return format_date(day, "EEEE")
    return format_date(day, "EEEE, d MMMM")


@bp.get("/")
def home():
    q = (request.args.get("q") or "").strip()
    category = (request.args.get("category") or "").strip()
    kind = (request.args.get("kind") or "").strip()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    merchants = queries.public_merchants()
    found = queries.public_listings(category=category or None, kind=kind or None, q=q or None,
                                    limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_storefront(
        "storefront/home.html", merchants=merchants,
        cities=queries.merchant_cities(m.id for m in merchants),
        listings=found[:PAGE_SIZE], has_next=len(found) > PAGE_SIZE, page=page,
        q=q, category=category, kind=kind, categories=categories(), kinds=list(ListingKind))


@bp.get("/m/<merchant_slug>")
def merchant(merchant_slug: str):
    found = queries.public_merchant(merchant_slug)
    stores = queries.public_stores(found)
    now = utcnow()
    return render_storefront(
        "storefront/merchant.html", merchant=found, stores=stores,
        statuses={s.id: queries.opening_status(s, now) for s in stores},
        listings=queries.public_listings(merchant=found, limit=200),
        campaigns=[_offer(c, now) for c in campaigns.public_campaigns(found, now)])


def _offer(campaign, now) -> dict:
    """A campaign on the shop's page, and whether the visitor already holds all they may."""
    held = claims.held(campaign.id, current_user.id) if current_user.is_authenticated else 0
    return claims.public_facts(campaign, now) | {
        "full": held >= campaign.per_customer_limit}


@bp.get("/m/<merchant_slug>/l/<listing_slug>")
def listing(merchant_slug: str, listing_slug: str):
    found_merchant = queries.public_merchant(merchant_slug)
    found = queries.public_listing(found_merchant, listing_slug)
    stores = queries.public_stores(found_merchant)
    now = utcnow()
    # "Find it near me": with a position (or a district) the stores come nearest first.
    distances, place_error = {}, None
    try:
        point = search.position(load_args(PositionArgs, request.args), required=False)
    except BadSearchQuery as exc:
        point, place_error = None, exc
    if point is not None:
        nearby = search.nearby_availability(found, point, now=now)
        stores = [entry.store for entry in nearby]
        distances = {entry.store.id: entry.distance_m for entry in nearby}
    return render_storefront(
        "storefront/listing.html", merchant=found_merchant, listing=found, stores=stores,
        stock=queries.store_availability(found, stores),
        statuses={s.id: queries.opening_status(s, now) for s in stores},
        distances=distances, place_error=place_error, raw=request.args,
        is_product=found.kind == ListingKind.PRODUCT)


@bp.get("/m/<merchant_slug>/s/<store_slug>")
def store(merchant_slug: str, store_slug: str):
    found_merchant = queries.public_merchant(merchant_slug)
    found = queries.public_store(found_merchant, store_slug)
    status = queries.opening_status(found)
    today = status.local_now.date()
    horizon = today + timedelta(days=EXCEPTION_DAYS)
    weekly: dict[int, list] = {day: [] for day in range(7)}
    for interval in found.hours:
        weekly[interval.weekday].append(interval)
    return render_storefront(
        "storefront/store.html", merchant=found_merchant, store=found, status=status,
        weekly=weekly, today=today,
        exceptions=[(e, [interval_from_json(i) for i in e.intervals])
                    for e in found.exceptions if today <= e.date <= horizon],
        listings=queries.listings_at_store(found))
