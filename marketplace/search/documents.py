"""The documents search holds, built from the database (the only source of truth).

Three kinds, one index (or table) each:

* **store** — one per active store of an approved merchant: where it is, what its shop sells
  (category ids), whether it offers pickup, and its current-or-next opening window as two
  epoch seconds (``open_from``/``open_until``), so "open now" is a plain range filter.
* **listing** — one per published listing of an approved merchant: text, facets, prices, and
  ``stock``: the stores where it can be had right now (a product with an active variant
  available there; a service or voucher at every store). Meilisearch answers "in stock near
  me" from these; docs/search.md explains why, with the measurements.
* **offer** — one per (listing, store) of that ``stock``, with the store's position: the
  embedded backend's shape for the same question (one geo query in SQLite).

Builders take ids and return the documents that should exist plus the ids that should not,
so a caller never needs to know whether something was edited, hidden or deleted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..catalog.models import Category, Listing, Variant
from ..catalog.states import ListingKind, ListingStatus
from ..extensions import db
from ..inventory.models import StockLevel
from ..merchants.models import Merchant
from ..merchants.states import MerchantStatus
from ..stores.hours import Schedule
from ..stores.models import Store
from .folding import fold

CHUNK = 500
# Listing fields that say where it is in stock: what Meilisearch's "in stock near me" reads.
# The embedded backend has the offers for that and does not keep them.
STOCK_FIELDS = ("stock", "stock_store_ids")
DESCRIPTION_CHARS = 600
# A store open around the clock has no closing time; a year ahead stands for "not soon".
ALWAYS_OPEN = timedelta(days=366)


@dataclass
class Batch:
    """Documents to write and ids to remove, per kind."""

    stores: list[dict] = field(default_factory=list)
    listings: list[dict] = field(default_factory=list)
    offers: list[dict] = field(default_factory=list)
    gone_stores: set[int] = field(default_factory=set)
    gone_listings: set[int] = field(default_factory=set)
    gone_offers: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return any((self.stores, self.listings, self.offers, self.gone_stores,
                    self.gone_listings, self.gone_offers))


def offer_id(listing_id: int, store_id: int) -> str:
    return f"{listing_id}-{store_id}"


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def opening_window(store: Store, now: datetime) -> tuple[int, int]:
    """The opening that is under way at ``now`` or comes next, as epoch seconds; (0, 0) when
    the store does not open again within a year."""
    schedule = Schedule.for_store(store)
    current = schedule.current_interval(now)
    start = current[0] if current else schedule.next_opening(now)
    if start is None:
        return 0, 0
    end = schedule.closes_at(max(start, now)) or start + ALWAYS_OPEN
    return int(start.timestamp()), int(end.timestamp())


def _merchant_categories(merchant_ids: Iterable[int]) -> dict[int, list[int]]:
    rows = db.session.execute(
        sa.select(Listing.merchant_id, Listing.category_id).where(
            Listing.merchant_id.in_(list(merchant_ids)),
            Listing.status == ListingStatus.PUBLISHED, Listing.category_id.is_not(None))
        .distinct())
    found: dict[int, list[int]] = defaultdict(list)
    for merchant_id, category_id in rows:
        found[merchant_id].append(category_id)
    return {k: sorted(v) for k, v in found.items()}


def store_document(store: Store, categories: list[int], now: datetime) -> dict:
    opens, closes = opening_window(store, now)
    merchant = store.merchant
    return {
        "id": store.id, "merchant_id": merchant.id, "merchant_slug": merchant.slug,
        "merchant_name": merchant.name, "name": store.name, "slug": store.slug,
        "address": store.address, "district": store.district or "", "city": store.city,
        "timezone": store.timezone, "phone": store.phone or "",
        "_geo": {"lat": store.latitude, "lng": store.longitude},
        "category_ids": categories, "pickup": bool(store.pickup_enabled),
        "reserve": bool(store.reserve_enabled), "open_from": opens, "open_until": closes,
        # What the embedded backend matches, folded (Meilisearch folds on its own).
        "text": fold(" ".join(filter(None, (store.name, merchant.name, store.address)))),
    }


def build_stores(ids: Iterable[int], now: datetime) -> Batch:
    batch = Batch()
    for chunk in _chunks(ids):
        stores = list(db.session.scalars(
            sa.select(Store).join(Merchant, Merchant.id == Store.merchant_id)
            .where(Store.id.in_(chunk), Store.is_active.is_(True),
                   Merchant.status == MerchantStatus.APPROVED)
            .options(joinedload(Store.merchant), selectinload(Store.hours),
                     selectinload(Store.exceptions))))
        categories = _merchant_categories({s.merchant_id for s in stores})
        batch.stores += [store_document(s, categories.get(s.merchant_id, []), now)
                         for s in stores]
        batch.gone_stores |= set(chunk) - {s.id for s in stores}
    return batch


def _listing_text(listing: Listing) -> dict:
    category = listing.category
    names = sorted(set(category.names.values())) if category else []
    return {
        "title": listing.title, "tags": listing.tags, "category_names": names,
        "merchant_name": listing.merchant.name,
    }


def listing_document(listing: Listing, stock: list[dict]) -> dict:
    """``stock`` lists the stores where the listing can be had now: ``{store_id, store_name,
    store_slug, available}`` (``available`` is ``None`` for a service or voucher)."""
    prices = listing.price_range or (0, 0)
    image = listing.images[0].path if listing.images else None
    category = listing.category
    text = _listing_text(listing)
    description = (listing.description or "")[:DESCRIPTION_CHARS]
    return text | {
        "id": listing.id, "merchant_id": listing.merchant_id,
        "merchant_slug": listing.merchant.slug, "slug": listing.slug, "kind": listing.kind,
        "category_id": listing.category_id, "category_slug": category.slug if category else None,
        "currency": listing.currency, "price_min": prices[0], "price_max": prices[1],
        "image": image, "description": description,
        "published_at": int(listing.published_at.timestamp()) if listing.published_at else 0,
        "stores_with_stock": len(stock),
        # Where it can be had, on the listing itself: Meilisearch answers "in stock near me"
        # from these (docs/search.md: why not from documents with a position each).
        "stock_store_ids": [entry["store_id"] for entry in stock],
        "stock": stock,
        "folded": fold(" ".join([text["title"], *text["tags"], *text["category_names"],
                                 text["merchant_name"]])),
        "folded_body": fold(description),
    }


def _published(chunk: list[int]) -> list[Listing]:
    return list(db.session.scalars(
        sa.select(Listing).join(Merchant, Merchant.id == Listing.merchant_id)
        .where(Listing.id.in_(chunk), Listing.status == ListingStatus.PUBLISHED,
               Merchant.status == MerchantStatus.APPROVED)
        .options(joinedload(Listing.merchant), joinedload(Listing.category),
                 selectinload(Listing.variants), selectinload(Listing.images),
                 selectinload(Listing.tag_rows))).unique())


def _available(variant_ids: list[int]) -> dict[tuple[int, int], int]:
    """(variant, store) → available, only where something is available."""
    if not variant_ids:
        return {}
    rows = db.session.execute(
        sa.select(StockLevel.variant_id, StockLevel.store_id,
                  StockLevel.on_hand - StockLevel.reserved)
        .where(StockLevel.variant_id.in_(variant_ids),
               StockLevel.on_hand - StockLevel.reserved > 0))
    return {(v, s): n for v, s, n in rows}


def _active_stores(merchant_ids: Iterable[int]) -> dict[int, list[Store]]:
    stores: dict[int, list[Store]] = defaultdict(list)
    for store in db.session.scalars(sa.select(Store).where(
            Store.merchant_id.in_(list(merchant_ids)), Store.is_active.is_(True))
            .order_by(Store.id)):
        stores[store.merchant_id].append(store)
    return stores


def _all_store_ids(merchant_ids: Iterable[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for merchant_id, store_id in db.session.execute(
            sa.select(Store.merchant_id, Store.id).where(
                Store.merchant_id.in_(list(merchant_ids)))):
        found[merchant_id].append(store_id)
    return found


def offer_document(listing: Listing, store: Store, listing_doc: dict,
                   variants: dict[int, int] | None) -> dict:
    """``variants`` maps variant id → available there (``None``: nothing is stocked, a
    service or a voucher offered at every store)."""
    available = sum(variants.values()) if variants is not None else None
    return {
        "id": offer_id(listing.id, store.id), "listing_id": listing.id, "store_id": store.id,
        "merchant_id": listing.merchant_id, "category_id": listing.category_id,
        "kind": listing.kind, "title": listing_doc["title"], "tags": listing_doc["tags"],
        "category_names": listing_doc["category_names"],
        "merchant_name": listing_doc["merchant_name"], "merchant_slug": listing.merchant.slug,
        "slug": listing.slug, "currency": listing.currency, "image": listing_doc["image"],
        "price_min": listing_doc["price_min"], "price_max": listing_doc["price_max"],
        "published_at": listing_doc["published_at"],
        "store_name": store.name, "store_slug": store.slug,
        "_geo": {"lat": store.latitude, "lng": store.longitude},
        "available": available,
        # A list, not a mapping by id: Meilisearch makes every key a field of the index, and
        # an index holds at most 65,535 fields (100,000 variant ids would break it).
        "variants": [{"id": k, "available": v} for k, v in sorted((variants or {}).items())],
    }


def build_listings(ids: Iterable[int]) -> Batch:
    """Listing documents and every offer of these listings (stale offers included in
    ``gone_offers``, so a listing that sold out at a store leaves that store's results)."""
    batch = Batch()
    for chunk in _chunks(ids):
        listings = _published(chunk)
        found = {listing.id for listing in listings}
        batch.gone_listings |= set(chunk) - found
        merchants = {listing.merchant_id for listing in listings}
        stores = _active_stores(merchants)
        every_store = _all_store_ids(
            merchants | set(db.session.scalars(sa.select(Listing.merchant_id).where(
                Listing.id.in_(list(set(chunk) - found))))))
        variant_ids = [v.id for listing in listings for v in listing.active_variants]
        available = _available(variant_ids)
        for listing in listings:
            by_store: dict[int, dict[int, int]] = defaultdict(dict)
            for variant in listing.active_variants:
                for store in stores.get(listing.merchant_id, []):
                    quantity = available.get((variant.id, store.id))
                    if quantity:
                        by_store[store.id][variant.id] = quantity
            offered: list[tuple[Store, dict[int, int] | None]] = []
            for store in stores.get(listing.merchant_id, []):
                if listing.kind != ListingKind.PRODUCT:
                    if listing.active_variants:
                        offered.append((store, None))
                elif store.id in by_store:
                    offered.append((store, by_store[store.id]))
            document = listing_document(listing, [
                {"store_id": store.id, "store_name": store.name, "store_slug": store.slug,
                 "available": sum(variants.values()) if variants is not None else None}
                for store, variants in offered])
            batch.listings.append(document)
            batch.offers += [offer_document(listing, store, document, variants)
                             for store, variants in offered]
            kept = {store.id for store, _variants in offered}
            batch.gone_offers |= {offer_id(listing.id, s)
                                  for s in every_store.get(listing.merchant_id, [])
                                  if s not in kept}
        # A hidden or deleted listing takes its offers with it, at every store of its shop.
        gone = set(chunk) - found
        if gone:
            for listing_id, merchant_id in db.session.execute(
                    sa.select(Listing.id, Listing.merchant_id).where(Listing.id.in_(gone))):
                batch.gone_offers |= {offer_id(listing_id, s)
                                      for s in every_store.get(merchant_id, [])}
    return batch


def listings_of_stores(store_ids: Iterable[int]) -> set[int]:
    """Listings whose offers may change when these stores change (all of their shops')."""
    merchants = sa.select(Store.merchant_id).where(Store.id.in_(list(store_ids)))
    return set(db.session.scalars(sa.select(Listing.id).where(Listing.merchant_id.in_(merchants))))


def listings_of_variants(variant_ids: Iterable[int]) -> set[int]:
    return set(db.session.scalars(sa.select(Variant.listing_id).where(
        Variant.id.in_(list(variant_ids)))))


def of_merchants(merchant_ids: Iterable[int]) -> tuple[set[int], set[int]]:
    """(store ids, listing ids) of these merchants, whatever their state."""
    ids = list(merchant_ids)
    stores = set(db.session.scalars(sa.select(Store.id).where(Store.merchant_id.in_(ids))))
    listings = set(db.session.scalars(sa.select(Listing.id).where(Listing.merchant_id.in_(ids))))
    return stores, listings


def stores_of_merchants_of_listings(listing_ids: Iterable[int]) -> set[int]:
    merchants = sa.select(Listing.merchant_id).where(Listing.id.in_(list(listing_ids)))
    return set(db.session.scalars(sa.select(Store.id).where(Store.merchant_id.in_(merchants))))


def all_ids() -> tuple[list[int], list[int]]:
    """Every store and listing id, for a full rebuild."""
    return (list(db.session.scalars(sa.select(Store.id).order_by(Store.id))),
            list(db.session.scalars(sa.select(Listing.id).order_by(Listing.id))))


def category_slugs() -> dict[str, int]:
    return dict(db.session.execute(sa.select(Category.slug, Category.id)).all())
