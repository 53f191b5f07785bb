"""What a search asks for, checked before any backend sees it.

The query arguments of the API and of the storefront pages are read by the schemas below (the
API documents them from the same classes). Everything a backend turns into a filter is an
integer, a number or a value from a fixed list by the time it leaves this module: category
and merchant slugs are resolved to ids, sort and facet names are checked against allow-lists,
so no user text is ever spliced into a Meilisearch filter or an SQL string. The free text
``q`` is passed to the engine as a query, never as a filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from ..errors import MarketplaceError, ValidationError

MAX_QUERY_CHARS = 200
MAX_RADIUS_M = 100_000  # 100 km: beyond that "near me" means nothing and costs a lot
DEFAULT_RADIUS_M = 5_000
MAX_PAGE = 1_000
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 20

LISTING_SORTS = ("relevance", "price_asc", "price_desc", "newest", "distance")
STORE_SORTS = ("distance", "name")
LISTING_FACETS = ("category", "merchant", "kind", "price")
KINDS = ("product", "service", "voucher")


class BadSearchQuery(ValidationError):
    """A search that cannot be answered as asked (400, nothing is searched)."""

    status = 400
    code = "bad_search_query"
    title = _l("This search cannot be done as asked.")


class SearchUnavailable(MarketplaceError):
    """The search engine cannot answer now (down, overloaded); the shop still sells."""

    status = 503
    code = "search_unavailable"
    title = _l("Search is unavailable for a moment. Please try again shortly.")


def _text(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=MAX_QUERY_CHARS), **kwargs)


class PositionArgs(Schema):
    lat = fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False,
                       metadata={"description": "Latitude of the searcher, WGS 84."})
    lng = fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False,
                       metadata={"description": "Longitude of the searcher, WGS 84."})
    near = _text(metadata={"description": "A district or city to search around when there "
                                          "is no position, e.g. `Quận 1` or `Hội An`."})
    radius = fields.Integer(load_default=DEFAULT_RADIUS_M,
                            validate=validate.Range(min=1, max=MAX_RADIUS_M),
                            metadata={"description": "Radius in metres (at most 100 km)."})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE,
                               validate=validate.Range(min=1, max=MAX_PAGE_SIZE))

    @validates_schema
    def _both_or_neither(self, data, **_kwargs):
        if ("lat" in data) != ("lng" in data):
            raise SchemaError(str(_l("Give both lat and lng, or neither.")), "lat")


class StoreSearchArgs(PositionArgs):
    q = _text(load_default="", metadata={"description": "Store, shop or street name."})
    category = _text(metadata={"description": "A category slug: stores of shops that sell "
                                              "in it."})
    merchant = _text(metadata={"description": "A merchant's slug."})
    open_now = fields.Boolean(load_default=False)
    pickup = fields.Boolean(load_default=False, metadata={"description": "Only stores that "
                                                                         "offer pickup."})
    sort = fields.String(load_default="distance", validate=validate.OneOf(STORE_SORTS))


class ListingSearchArgs(PositionArgs):
    q = _text(load_default="", metadata={"description": "What to look for; accents optional, "
                                                        "as you type."})
    category = _text(metadata={"description": "A category slug."})
    merchant = _text(metadata={"description": "A merchant's slug."})
    kind = fields.String(validate=validate.OneOf(KINDS))
    price_min = fields.Integer(validate=validate.Range(min=0, max=10**15))
    price_max = fields.Integer(validate=validate.Range(min=0, max=10**15))
    in_stock_near = fields.Boolean(
        load_default=False,
        metadata={"description": "Only what is available at a store within the radius; each "
                                 "hit names the nearest such store. Needs a position."})
    sort = fields.String(load_default="relevance", validate=validate.OneOf(LISTING_SORTS))
    facets = fields.String(
        load_default=",".join(LISTING_FACETS),
        metadata={"description": "Comma-separated facets to count: "
                                 + ", ".join(LISTING_FACETS) + "."})


def load_args(schema: type[Schema], args) -> dict[str, Any]:
    """Read query-string arguments for a web page; bad ones are a 400 naming the field."""
    try:
        return schema().load({k: v for k, v in args.items() if v not in ("", None)},
                             unknown="exclude")
    except SchemaError as exc:
        raise BadSearchQuery(_l("This search cannot be done as asked."), fields={
            name: [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            for name, messages in exc.normalized_messages().items()}) from None


@dataclass(frozen=True)
class Point:
    lat: float
    lng: float


@dataclass(frozen=True)
class StoreQuery:
    """A nearby-stores search with every filter resolved to ids."""

    point: Point
    radius_m: int
    q: str = ""
    category_id: int | None = None
    merchant_id: int | None = None
    open_at: int | None = None  # epoch seconds: only stores open at that instant
    pickup: bool = False
    sort: str = "distance"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class ListingQuery:
    """A product search with every filter resolved to ids."""

    q: str = ""
    point: Point | None = None
    radius_m: int = DEFAULT_RADIUS_M
    category_id: int | None = None
    merchant_id: int | None = None
    kind: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    in_stock_near: bool = False
    sort: str = "relevance"
    facets: tuple[str, ...] = LISTING_FACETS
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


@dataclass
class Page:
    """One page of hits (documents as the backend stores them, plus ``distance_m`` when a
    position was given), the exact number of hits, and facet counts keyed by id or value."""

    hits: list[dict]
    total: int
    page: int
    page_size: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    price: dict[str, int] | None = None  # {"min": …, "max": …} of the hits' prices

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_more(self) -> bool:
        return self.page * self.page_size < self.total


def parse_facets(raw: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(n.strip() for n in (raw or "").split(",") if n.strip()))
    unknown = [n for n in names if n not in LISTING_FACETS]
    if unknown:
        raise BadSearchQuery.field("facets", _l("Unknown facet: %(names)s.",
                                                names=", ".join(unknown[:5])))
    return names
