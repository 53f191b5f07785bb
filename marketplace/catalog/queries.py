"""Read-only public queries: what anyone may see on the storefront (and the public API).

Visibility has one definition, kept here: a merchant is public when it is APPROVED, a listing
when it is PUBLISHED *and* its merchant is public, a store when it is active *and* its
merchant is public. Everything else is ``NotFound``, so a suspended merchant disappears
entirely. These functions never write; the names are stable because the API imports them.

- ``public_merchants()`` / ``public_merchant(slug)``
- ``merchant_cities(merchant_ids)``         {merchant_id: [city, …]} of their active stores
- ``public_stores(merchant)`` / ``public_store(merchant, slug)``
- ``public_listings(...)``                  filters: merchant, category slug, kind, title text
- ``public_listing(merchant, slug)``
- ``listings_at_store(store)``              what a visitor can get at one store
- ``store_availability(listing, stores)``   {variant_id: [(store, available)]}, one query
- ``opening_status(store, now)``            open now / closes at / next opening, store-local
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..database import utcnow
from ..errors import NotFound
from ..extensions import db
from ..inventory.models import StockLevel
from ..merchants.models import Merchant
from ..merchants.states import MerchantStatus
from ..stores.hours import Schedule
from ..stores.models import Store
from .models import Category, Listing, Variant
from .states import ListingKind, ListingStatus

# "Only N left" below this many; a storefront shows scarcity, not the exact stock level.
LOW_STOCK = 3


# --- merchants ---------------------------------------------------------------------------------

def public_merchants() -> list[Merchant]:
    """Approved merchants, by name."""
    return list(db.session.scalars(
        sa.select(Merchant).where(Merchant.status == MerchantStatus.APPROVED)
        .order_by(Merchant.name)))


def public_merchant(slug: str) -> Merchant:
    """The approved merchant with this slug, or ``NotFound``."""
    merchant = db.session.scalars(sa.select(Merchant).where(
        Merchant.slug == (slug or "").strip().lower(),
        Merchant.status == MerchantStatus.APPROVED)).first()
    if merchant is None:
        raise NotFound("merchant")
    return merchant


def merchant_cities(merchant_ids) -> dict[int, list[str]]:
    """The cities where each merchant has an active store (one query for all of them)."""
    ids = list(merchant_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Store.merchant_id, Store.city).where(
            Store.merchant_id.in_(ids), Store.is_active.is_(True))
        .distinct().order_by(Store.merchant_id, Store.city))
    cities: dict[int, list[str]] = defaultdict(list)
    for merchant_id, city in rows:
        cities[merchant_id].append(city)
    return dict(cities)


# --- stores ------------------------------------------------------------------------------------

def _stores_of(merchant_id: int) -> sa.Select:
    # Hours and exceptions are read for "open now" on every page that lists stores.
    return (sa.select(Store)
            .where(Store.merchant_id == merchant_id, Store.is_active.is_(True))
            .options(selectinload(Store.hours), selectinload(Store.exceptions))
            .order_by(Store.city, Store.name))


def public_stores(merchant: Merchant) -> list[Store]:
    """The active stores of a public merchant, by city and name."""
    if not merchant.is_public:
        return []
    return list(db.session.scalars(_stores_of(merchant.id)))


def public_store(merchant: Merchant, slug: str) -> Store:
    """One active store of a public merchant, or ``NotFound``."""
    if not merchant.is_public:
        raise NotFound("store")
    store = db.session.scalars(_stores_of(merchant.id).where(
        Store.slug == (slug or "").strip().lower())).first()
    if store is None:
        raise NotFound("store")
    return store


@dataclass(frozen=True)
class OpeningStatus:
    """Whether a store is open at an instant; the datetimes are in the store's time zone."""

    is_open: bool
    closes_at: datetime | None = None
    next_opening: datetime | None = None
    local_now: datetime | None = None

    @property
    def opens_today(self) -> bool:
        return bool(self.next_opening and self.local_now
                    and self.next_opening.date() == self.local_now.date())

    @property
    def opens_tomorrow(self) -> bool:
        return bool(self.next_opening and self.local_now
                    and (self.next_opening.date() - self.local_now.date()).days == 1)


def opening_status(store: Store, now: datetime | None = None) -> OpeningStatus:
    """Open now (and until when) or closed (and when it opens next), in the store's zone."""
    now = now or utcnow()
    schedule = Schedule.for_store(store)
    tz = ZoneInfo(store.timezone)
    local_now = now.astimezone(tz)
    if schedule.is_open(now):
        closes = schedule.closes_at(now)  # None: open around the clock
        return OpeningStatus(True, closes_at=closes.astimezone(tz) if closes else None,
                             local_now=local_now)
    opening = schedule.next_opening(now)
    return OpeningStatus(False, next_opening=opening.astimezone(tz) if opening else None,
                         local_now=local_now)


# --- listings ----------------------------------------------------------------------------------

def _published() -> sa.Select:
    """Published listings of approved merchants, with what a listing card shows loaded."""
    return (sa.select(Listing)
            .join(Merchant, Merchant.id == Listing.merchant_id)
            .where(Listing.status == ListingStatus.PUBLISHED,
                   Merchant.status == MerchantStatus.APPROVED)
            .options(joinedload(Listing.merchant), joinedload(Listing.category),
                     selectinload(Listing.variants), selectinload(Listing.images)))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def title_matches(text: str) -> sa.ColumnElement[bool]:
    """A case-insensitive substring match on the title.

    PostgreSQL's ILIKE folds any letter; SQLite's only folds ASCII, so the common spellings
    of the words (lower, Capitalised, Title Case, UPPER) are tried too, which covers Vietnamese
    letters such as "áo" finding "Áo thun". Real search (diacritic folding) is the search
    backend's job."""
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    spellings = {text, text.lower(), text.upper(), text.capitalize(), text.title()}
    return sa.or_(*(Listing.title.ilike(f"%{_escape_like(s)}%", escape="\\")
                    for s in sorted(spellings)))


def public_listings(*, merchant: Merchant | None = None, category: str | None = None,
                    kind: str | None = None, q: str | None = None, limit: int = 24,
                    offset: int = 0) -> list[Listing]:
    """Published listings of public merchants, newest first.

    ``category`` is a category slug, ``kind`` a ``ListingKind`` value and ``q`` a piece of
    the title; unknown filter values match nothing rather than being ignored."""
    stmt = _published()
    if merchant is not None:
        stmt = stmt.where(Listing.merchant_id == merchant.id)
    if category:
        stmt = stmt.join(Category, Category.id == Listing.category_id).where(
            Category.slug == category)
    if kind:
        if kind not in {k.value for k in ListingKind}:
            return []
        stmt = stmt.where(Listing.kind == kind)
    if q and q.strip():
        stmt = stmt.where(title_matches(q[:100]))
    stmt = stmt.order_by(Listing.published_at.desc(), Listing.id.desc())
    return list(db.session.scalars(stmt.limit(limit).offset(offset)).unique())


def public_listing(merchant: Merchant, slug: str) -> Listing:
    """One published listing of a public merchant, or ``NotFound``."""
    listing = db.session.scalars(_published().where(
        Listing.merchant_id == merchant.id,
        Listing.slug == (slug or "").strip().lower())).unique().first()
    if listing is None:
        raise NotFound("listing")
    return listing


def listings_at_store(store: Store, *, limit: int = 60) -> list[Listing]:
    """What a visitor can get at this store: products with an active variant in stock here,
    and the merchant's services and vouchers (they have no stock and are offered everywhere)."""
    in_stock = (sa.select(Variant.listing_id)
                .join(StockLevel, StockLevel.variant_id == Variant.id)
                .where(StockLevel.store_id == store.id, Variant.is_active.is_(True),
                       StockLevel.on_hand - StockLevel.reserved > 0))
    stmt = _published().where(
        Listing.merchant_id == store.merchant_id,
        sa.or_(Listing.kind != ListingKind.PRODUCT, Listing.id.in_(in_stock)))
    stmt = stmt.order_by(Listing.title, Listing.id).limit(limit)
    return list(db.session.scalars(stmt).unique())


def store_availability(listing: Listing,
                       stores: list[Store] | None = None) -> dict[int, list[tuple[Store, int]]]:
    """For every active variant, every given store (default: the merchant's active stores)
    with the quantity available there (on hand − reserved; 0 without a stock row).

    One query over ``stock_levels`` for the whole listing. Counts are real even for variants
    that allow negative stock, so a negative number can come back."""
    if stores is None:
        stores = public_stores(listing.merchant)
    variants = listing.active_variants
    available: dict[tuple[int, int], int] = {}
    if stores and variants:
        rows = db.session.execute(
            sa.select(StockLevel.variant_id, StockLevel.store_id,
                      StockLevel.on_hand - StockLevel.reserved)
            .where(StockLevel.merchant_id == listing.merchant_id,
                   StockLevel.variant_id.in_([v.id for v in variants]),
                   StockLevel.store_id.in_([s.id for s in stores])))
        available = {(variant_id, store_id): qty for variant_id, store_id, qty in rows}
    return {v.id: [(s, available.get((v.id, s.id), 0)) for s in stores] for v in variants}


def availability_label(available: int) -> str:
    """``in_stock``, ``low`` (at most ``LOW_STOCK`` left) or ``out``: templates word it."""
    if available <= 0:
        return "out"
    return "low" if available <= LOW_STOCK else "in_stock"
