"""The Meilisearch backend (production), through the official client.

Three indexes under a prefix: ``<prefix>stores``, ``<prefix>listings``, ``<prefix>offers``.
Their settings are declared here and applied by ``setup()`` at start-up and by
``marketplace search setup``: Meilisearch compares and keeps them, so applying them again
changes nothing. Filterable and sortable attributes are set before any document is added
(Meilisearch would otherwise index every document twice).

Filters are built only from integers, numbers and allow-listed words that ``query.py``
resolved; free text goes to Meilisearch as the query ``q``.

A write waits until Meilisearch has processed it and raises if it failed, so the outbox
retries it; a down server makes the outbox keep the work, never a request fail.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import meilisearch
from meilisearch.errors import MeilisearchError

from .backend import SearchBackend
from .documents import Batch
from .folding import WORD
from .query import ListingQuery, Page, StoreQuery

TASK_TIMEOUT_MS = 120_000
# Relevance first unless the searcher chose an order; "sort" then decides before the
# finer text rules, so "price, low to high" is strictly by price among the matches.
RANKING = ["words", "sort", "typo", "proximity", "attribute", "exactness"]
TYPOS = {"enabled": True, "minWordSizeForTypos": {"oneTypo": 4, "twoTypos": 8}}
LISTING_TEXT = ["title", "tags", "category_names", "merchant_name"]

SETTINGS: dict[str, dict[str, Any]] = {
    "stores": {
        "searchableAttributes": ["name", "merchant_name", "address"],
        "filterableAttributes": ["_geo", "id", "merchant_id", "category_ids", "pickup",
                                 "open_from", "open_until"],
        "sortableAttributes": ["_geo", "name"],
        "rankingRules": RANKING, "typoTolerance": TYPOS,
        "displayedAttributes": ["*"],
    },
    "listings": {
        "searchableAttributes": [*LISTING_TEXT, "description"],
        "filterableAttributes": ["id", "merchant_id", "category_id", "kind", "price_min"],
        "sortableAttributes": ["price_min", "published_at"],
        "rankingRules": RANKING, "typoTolerance": TYPOS,
        "faceting": {"maxValuesPerFacet": 200},
        "pagination": {"maxTotalHits": 100_000},
    },
    "offers": {
        "searchableAttributes": LISTING_TEXT,
        "filterableAttributes": ["_geo", "id", "listing_id", "store_id", "merchant_id",
                                 "category_id", "kind", "price_min"],
        "sortableAttributes": ["_geo", "price_min", "published_at"],
        "rankingRules": RANKING, "typoTolerance": TYPOS,
        "faceting": {"maxValuesPerFacet": 200},
        "pagination": {"maxTotalHits": 100_000},
    },
}
FACET_ATTRIBUTES = {"category": "category_id", "merchant": "merchant_id", "kind": "kind"}
SORTS = {"price_asc": ["price_min:asc"], "price_desc": ["price_min:desc"],
         "newest": ["published_at:desc"]}
# Fields the embedded backend needs and Meilisearch does not.
NOT_STORED = ("text", "folded", "folded_body")


def _geo(point) -> str:
    return f"{float(point.lat):.7f}, {float(point.lng):.7f}"


def _text(q: str) -> str:
    """Only the words: Meilisearch reads quotes as phrases and a leading "-" as "without",
    which a shopper typing never means (the embedded backend ignores them too)."""
    return " ".join(WORD.findall(q or ""))


def _slim(document: dict) -> dict:
    return {k: v for k, v in document.items() if k not in NOT_STORED}


class MeiliBackend(SearchBackend):
    name = "meilisearch"
    typo_tolerant = True

    def __init__(self, url: str, key: str | None = None, prefix: str = "marketplace_",
                 timeout: float = 10) -> None:
        self.client = meilisearch.Client(url, key, timeout=timeout)
        self.prefix = prefix

    def uid(self, kind: str) -> str:
        return f"{self.prefix}{kind}"

    def _wait(self, task) -> None:
        done = self.client.wait_for_task(task.task_uid, timeout_in_ms=TASK_TIMEOUT_MS,
                                         interval_in_ms=10)
        if done.status != "succeeded":
            raise RuntimeError(f"Meilisearch task {task.task_uid} {done.status}: {done.error}")

    def _ensure(self, uid: str, settings: dict) -> None:
        try:
            self.client.get_index(uid)
        except MeilisearchError:
            self._wait(self.client.create_index(uid, {"primaryKey": "id"}))
        self._wait(self.client.index(uid).update_settings(settings))

    def setup(self) -> None:
        for kind, settings in SETTINGS.items():
            self._ensure(self.uid(kind), settings)

    # -- writes --------------------------------------------------------------------------

    def _write(self, prefix: str, batch: Batch) -> list:
        tasks = []
        for kind, documents in (("stores", batch.stores), ("listings", batch.listings),
                                ("offers", batch.offers)):
            if documents:
                tasks.append(self.client.index(prefix + kind).add_documents(
                    [_slim(d) for d in documents], primary_key="id"))
        for kind, ids in (("stores", batch.gone_stores), ("listings", batch.gone_listings),
                          ("offers", batch.gone_offers)):
            if ids:
                tasks.append(self.client.index(prefix + kind).delete_documents(
                    filter=f"id IN [{', '.join(self._id(i) for i in sorted(ids))}]"))
        return tasks

    @staticmethod
    def _id(value) -> str:
        # Our own ids: integers, or "<listing>-<store>" made of integers.
        if isinstance(value, int):
            return str(value)
        listing, store = str(value).split("-")
        return f'"{int(listing)}-{int(store)}"'

    def apply(self, batch: Batch) -> None:
        for task in self._write(self.prefix, batch):
            self._wait(task)

    def rebuild(self, batches: Iterable[Batch]) -> int:
        """Fill fresh ``…_rebuild`` indexes, then swap them with the live ones in one atomic
        step: searches are answered from the old indexes until the swap."""
        building = f"{self.prefix}rebuild_"
        self._drop(building)  # what a rebuild that died half-way left
        for kind, settings in SETTINGS.items():
            self._ensure(building + kind, settings)
        for kind, settings in SETTINGS.items():  # the live ones must exist to be swapped
            self._ensure(self.uid(kind), settings)
        written, tasks = 0, []
        for batch in batches:
            tasks += self._write(building, batch)
            written += len(batch.stores) + len(batch.listings) + len(batch.offers)
        for task in tasks:
            self._wait(task)
        self._wait(self.client.swap_indexes([
            {"indexes": [self.uid(kind), building + kind]} for kind in SETTINGS]))
        self._drop(building)  # the old data, swapped under the rebuild's names
        return written

    def clear(self) -> None:
        for kind in SETTINGS:
            self._wait(self.client.index(self.uid(kind)).delete_all_documents())

    def _drop(self, prefix: str) -> None:
        listed = self.client.get_raw_indexes({"limit": 1000})["results"]
        existing = {index["uid"] for index in listed}
        for kind in SETTINGS:
            if prefix + kind in existing:
                self._wait(self.client.index(prefix + kind).delete())

    def drop(self) -> None:
        """Delete the indexes themselves (tests)."""
        self._drop(self.prefix)

    # -- reads ---------------------------------------------------------------------------

    def search_stores(self, query: StoreQuery) -> Page:
        filters = [f"_geoRadius({_geo(query.point)}, {int(query.radius_m)})"]
        if query.merchant_id is not None:
            filters.append(f"merchant_id = {int(query.merchant_id)}")
        if query.category_id is not None:
            filters.append(f"category_ids = {int(query.category_id)}")
        if query.pickup:
            filters.append("pickup = true")
        if query.open_at is not None:
            filters.append(f"open_from <= {int(query.open_at)} AND "
                           f"open_until > {int(query.open_at)}")
        sort = ([f"_geoPoint({_geo(query.point)}):asc"] if query.sort == "distance"
                else ["name:asc", f"_geoPoint({_geo(query.point)}):asc"])
        found = self.client.index(self.uid("stores")).search(_text(query.q), {
            "filter": filters, "sort": sort, "page": query.page,
            "hitsPerPage": query.page_size, "matchingStrategy": "all"})
        hits = [self._with_distance(hit) for hit in found["hits"]]
        return Page(hits, found["totalHits"], query.page, query.page_size)

    @staticmethod
    def _with_distance(hit: dict) -> dict:
        distance = hit.pop("_geoDistance", None)
        if distance is not None:
            hit["distance_m"] = round(distance)
        return hit

    def search_listings(self, query: ListingQuery) -> Page:
        filters = []
        if query.merchant_id is not None:
            filters.append(f"merchant_id = {int(query.merchant_id)}")
        if query.category_id is not None:
            filters.append(f"category_id = {int(query.category_id)}")
        if query.kind is not None:
            filters.append(f"kind = {query.kind}")  # one of query.KINDS, checked
        if query.price_min is not None:
            filters.append(f"price_min >= {int(query.price_min)}")
        if query.price_max is not None:
            filters.append(f"price_min <= {int(query.price_max)}")
        params: dict[str, Any] = {"page": query.page, "hitsPerPage": query.page_size,
                                  "matchingStrategy": "all", "filter": filters}
        facets = [FACET_ATTRIBUTES[f] for f in query.facets if f in FACET_ATTRIBUTES]
        if "price" in query.facets:
            facets.append("price_min")
        if facets:
            params["facets"] = facets
        if query.in_stock_near:
            index = self.uid("offers")
            filters.insert(0, f"_geoRadius({_geo(query.point)}, {int(query.radius_m)})")
            params["distinct"] = "listing_id"
            nearest = f"_geoPoint({_geo(query.point)}):asc"
            params["sort"] = SORTS.get(query.sort, []) + [nearest]
        else:
            index = self.uid("listings")
            if query.sort in SORTS:
                params["sort"] = SORTS[query.sort]
            elif not _text(query.q):
                params["sort"] = SORTS["newest"]
        found = self.client.index(index).search(_text(query.q), params)
        distribution = found.get("facetDistribution") or {}
        facet_counts = {name: dict(distribution.get(attribute, {}))
                        for name, attribute in FACET_ATTRIBUTES.items() if name in query.facets}
        stats = (found.get("facetStats") or {}).get("price_min")
        price = ({"min": int(stats["min"]), "max": int(stats["max"])}
                 if stats and "price" in query.facets and found["totalHits"] else None)
        hits = []
        for hit in found["hits"]:
            hit = self._with_distance(hit)
            if query.in_stock_near:
                hit["id"] = hit["listing_id"]
            hits.append(hit)
        return Page(hits, found["totalHits"], query.page, query.page_size, facet_counts, price)

    def stores_closed_since(self, now: int) -> list[int]:
        found = self.client.index(self.uid("stores")).get_documents({
            "filter": f"open_until > 0 AND open_until <= {int(now)}", "fields": ["id"],
            "limit": 10_000})
        return sorted(int(doc.id) for doc in found.results)

    def health(self) -> dict:
        try:
            self.client.health()
            stats = self.client.get_all_stats()
        except Exception as exc:  # report, never raise: /healthz must answer
            return {"status": "down", "backend": self.name, "error": type(exc).__name__}
        indexes = stats.get("indexes", {})
        return {"status": "ok", "backend": self.name, "documents": {
            kind: indexes.get(self.uid(kind), {}).get("numberOfDocuments", 0)
            for kind in SETTINGS}}
