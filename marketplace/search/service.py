"""Search as the storefront and the API use it: checked arguments in, presentable hits out.

Resolves what the searcher typed (a category or merchant slug, a district instead of a
position) to ids and a point, asks the configured backend, and adds what a page shows next to
each hit: open now or the next opening in the store's time zone, and a stock band rather than
an exact count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..catalog import queries
from ..catalog.models import Category
from ..catalog.queries import OpeningStatus
from ..database import utcnow
from ..extensions import db
from ..merchants.models import Merchant
from ..merchants.states import MerchantStatus
from ..stores.models import Store
from .folding import fold
from .geo import haversine_m
from .indexing import current_backend
from .query import (
    MAX_RADIUS_M,
    BadSearchQuery,
    ListingQuery,
    Page,
    Point,
    StoreQuery,
    parse_facets,
)

AROUND_THE_CLOCK = 7 * 24 * 3600
NOTHING = 0  # no row has id 0: an unknown slug filters to an empty result, safely


def _category_id(slug: str | None) -> int | None:
    if not slug:
        return None
    found = db.session.scalar(sa.select(Category.id).where(Category.slug == slug.strip()))
    return found if found is not None else NOTHING


def _merchant_id(slug: str | None) -> int | None:
    if not slug:
        return None
    found = db.session.scalar(sa.select(Merchant.id).where(
        Merchant.slug == slug.strip().lower(), Merchant.status == MerchantStatus.APPROVED))
    return found if found is not None else NOTHING


def place(name: str) -> Point | None:
    """The middle of the active stores in a district or city typed without accents or with
    them ("quan 1", "Hội An"); ``None`` when no store is there."""
    wanted = " ".join(fold(name).split())
    if not wanted:
        return None
    rows = db.session.execute(
        sa.select(Store.district, Store.city, sa.func.avg(Store.latitude),
                  sa.func.avg(Store.longitude), sa.func.count())
        .where(Store.is_active.is_(True)).group_by(Store.district, Store.city)).all()
    districts = [(lat, lng, n) for district, _city, lat, lng, n in rows
                 if district and fold(district) == wanted]
    cities = [(lat, lng, n) for _district, city, lat, lng, n in rows if fold(city) == wanted]
    found = districts or cities
    if not found:
        return None
    total = sum(n for _lat, _lng, n in found)
    return Point(sum(lat * n for lat, _lng, n in found) / total,
                 sum(lng * n for _lat, lng, n in found) / total)


def position(args: dict, *, required: bool) -> Point | None:
    if "lat" in args:
        return Point(args["lat"], args["lng"])
    if args.get("near"):
        found = place(args["near"])
        if found is None:
            raise BadSearchQuery.field("near", _l("We found no store in “%(place)s”.",
                                                  place=args["near"][:80]))
        return found
    if required:
        raise BadSearchQuery.field("lat", _l("Share your location or type a district."))
    return None


def store_query(args: dict, now: datetime) -> StoreQuery:
    return StoreQuery(
        point=position(args, required=True), radius_m=args["radius"], q=args.get("q", ""),
        category_id=_category_id(args.get("category")),
        merchant_id=_merchant_id(args.get("merchant")),
        open_at=int(now.timestamp()) if args.get("open_now") else None,
        pickup=args.get("pickup", False), sort=args["sort"], page=args["page"],
        page_size=args["page_size"])


def listing_query(args: dict) -> ListingQuery:
    near = args.get("in_stock_near", False)
    point = position(args, required=near or args["sort"] == "distance")
    if args["sort"] == "distance" and not near:
        near = True  # distance means "the nearest store that has it"
    low, high = args.get("price_min"), args.get("price_max")
    if low is not None and high is not None and low > high:
        raise BadSearchQuery.field("price_max", _l("The highest price is below the lowest."))
    return ListingQuery(
        q=args.get("q", ""), point=point, radius_m=args["radius"],
        category_id=_category_id(args.get("category")),
        merchant_id=_merchant_id(args.get("merchant")), kind=args.get("kind"),
        price_min=low, price_max=high, in_stock_near=near, sort=args["sort"],
        facets=parse_facets(args.get("facets", "")), page=args["page"],
        page_size=args["page_size"])


def opening_from_document(doc: dict, now: datetime) -> OpeningStatus:
    """Read from the store document's indexed window: no database round trip per hit."""
    zone = ZoneInfo(doc["timezone"])
    start, end, at = doc["open_from"], doc["open_until"], int(now.timestamp())

    def local(seconds: int) -> datetime:
        return datetime.fromtimestamp(seconds, UTC).astimezone(zone)

    local_now = now.astimezone(zone)
    if start <= at < end:
        # A closing more than a week away is a store that never closes (24/7 hours are
        # indexed as open for a year): say "open around the clock", not a date in a year.
        closes = local(end) if end - at <= AROUND_THE_CLOCK else None
        return OpeningStatus(True, closes_at=closes, local_now=local_now)
    return OpeningStatus(False, next_opening=local(start) if start > at else None,
                         local_now=local_now)


def search_stores(args: dict, now: datetime | None = None) -> tuple[StoreQuery, Page]:
    now = now or utcnow()
    query = store_query(args, now)
    page = current_backend().search_stores(query)
    for hit in page.hits:
        hit["opening"] = opening_from_document(hit, now)
    return query, page


def stock_band(available: int | None) -> str:
    """``offered`` (a service or voucher), ``in_stock``, ``low`` or ``out``."""
    return "offered" if available is None else queries.availability_label(available)


def search_listings(args: dict, now: datetime | None = None) -> tuple[ListingQuery, Page]:
    now = now or utcnow()
    query = listing_query(args)
    page = current_backend().search_listings(query)
    if query.in_stock_near and page.hits:
        stores = {s.id: s for s in db.session.scalars(
            sa.select(Store).where(Store.id.in_([h["store_id"] for h in page.hits]))
            .options(selectinload(Store.hours), selectinload(Store.exceptions)))}
        for hit in page.hits:
            store = stores.get(hit["store_id"])
            hit["opening"] = (queries.opening_status(store, now) if store
                              else OpeningStatus(False))
            hit["band"] = stock_band(hit.get("available"))
    return query, page


@dataclass
class NearbyStore:
    store: Store
    distance_m: int | None
    opening: queries.OpeningStatus
    available: dict[int, int]  # variant id → available there

    @property
    def total(self) -> int:
        return sum(max(n, 0) for n in self.available.values())


def nearby_availability(listing, point: Point | None, *, radius_m: int = MAX_RADIUS_M,
                        now: datetime | None = None) -> list[NearbyStore]:
    """Every active store of the listing's shop (within the radius when a point is given),
    nearest first, with what each variant has available there. Read from the database, so
    the listing page is exact even while search catches up."""
    now = now or utcnow()
    stores = queries.public_stores(listing.merchant)
    by_variant = queries.store_availability(listing, stores)
    found = []
    for store in stores:
        distance = (round(haversine_m(point.lat, point.lng, store.latitude, store.longitude))
                    if point else None)
        if distance is not None and distance > radius_m:
            continue
        available = {variant_id: dict((s.id, n) for s, n in rows).get(store.id, 0)
                     for variant_id, rows in by_variant.items()}
        found.append(NearbyStore(store, distance, queries.opening_status(store, now),
                                 available))
    found.sort(key=lambda s: (s.distance_m if s.distance_m is not None else 0, s.store.name))
    return found


KIND_LABELS = {"product": _l("Products"), "service": _l("Services"), "voucher": _l("Vouchers")}


def facet_values(page: Page) -> dict[str, list[dict]]:
    """Facet counts as ``{value, label, count}``, the value being what the filter takes
    back (a slug), most frequent first."""
    found: dict[str, list[dict]] = {}
    category_ids = [int(v) for v in page.facets.get("category", {})]
    merchant_ids = [int(v) for v in page.facets.get("merchant", {})]
    # Only the columns a facet shows: up to 200 shops per page of results.
    categories = {category.id: (category.slug, category.name) for category in db.session.scalars(
        sa.select(Category).where(Category.id.in_(category_ids)))} if category_ids else {}
    merchants = {row.id: (row.slug, row.name) for row in db.session.execute(
        sa.select(Merchant.id, Merchant.slug, Merchant.name)
        .where(Merchant.id.in_(merchant_ids)))} if merchant_ids else {}
    known = {"category": categories, "merchant": merchants}
    for name, counts in page.facets.items():
        values = []
        for raw, count in counts.items():
            if name == "kind":
                values.append({"value": raw, "label": str(KIND_LABELS.get(raw, raw)),
                               "count": count})
            elif int(raw) in known.get(name, {}):
                slug, label = known[name][int(raw)]
                values.append({"value": slug, "label": label, "count": count})
        found[name] = sorted(values, key=lambda v: (-v["count"], v["label"]))
    return found
