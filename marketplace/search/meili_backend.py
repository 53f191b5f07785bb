"""The Meilisearch backend (production), through the official client.

Two indexes under a prefix: ``<prefix>stores`` and ``<prefix>listings``. Only stores carry a
position: each listing carries the stores where it can be had now (``stock``), and "in stock
near me" filters on the ids of the stores around the searcher (docs/search.md says why: an
index of listing-store pairs, each with a position, made every stock change take seconds).
Their settings are declared here and applied by ``setup()`` at start-up and by
``marketplace search setup``: Meilisearch compares and keeps them, so applying them again
changes nothing. Filterable and sortable attributes are set before any document is added
(Meilisearch would otherwise index every document twice).

Filters are built only from integers, numbers and allow-listed words that ``query.py``
resolved; free text goes to Meilisearch as the query ``q``.

A write waits until Meilisearch has processed it and raises if it failed, so the outbox
retries it; a down server makes the outbox keep the work, never a checkout fail.

Searches do not go through the client: it shares one headers mapping between threads and
changes it on every call, and each call builds a ``requests`` session (about 1.3 ms of a
request's CPU, measured). They are one ``http.client`` POST each, on a new connection: on a
kept-alive one every answer waited ~40 ms for a delayed ACK (47 ms against 5 ms). A down
server is a 503 ``search_unavailable``.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

import meilisearch
from meilisearch.errors import MeilisearchError

from .backend import SearchBackend
from .documents import STOCK_FIELDS, Batch
from .folding import WORD
from .query import ListingQuery, Page, Point, SearchUnavailable, StoreQuery

#: ``(point, radius in metres) → [(store id, metres)]``, nearest first.
StoresWithin = Callable[[Point, int], list[tuple[int, float]]]

TASK_TIMEOUT_MS = 120_000
MAX_HITS = 100_000
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
        # Nobody searches inside facet values; not building that structure makes writes cheaper.
        "facetSearch": False,
        "pagination": {"maxTotalHits": MAX_HITS},
    },
    "listings": {
        "searchableAttributes": [*LISTING_TEXT, "description"],
        "filterableAttributes": ["id", "merchant_id", "category_id", "kind", "price_min",
                                 "stock_store_ids"],
        "sortableAttributes": ["price_min", "published_at"],
        "rankingRules": RANKING, "typoTolerance": TYPOS,
        "faceting": {"maxValuesPerFacet": 200},
        "facetSearch": False,
        "pagination": {"maxTotalHits": MAX_HITS},
    },
}
# Indexes of earlier versions, deleted by ``setup``.
RETIRED = ("offers",)
# "Nearest first" in stock: how many of the nearest stores to try before all of them.
PREFIXES = (16, 128, 1024, 8192)
# What a candidate of the nearest-first ordering needs, before its page is loaded whole.
RANKING_FIELDS = ["id", "stock"]
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
                 timeout: float = 10, stores_within: StoresWithin | None = None) -> None:
        self.client = meilisearch.Client(url, key, timeout=timeout)
        self.timeout = timeout
        parts = urllib.parse.urlsplit(url)
        self._connection = (http.client.HTTPSConnection if parts.scheme == "https"
                            else http.client.HTTPConnection)
        self._netloc, self._base = parts.netloc, parts.path.rstrip("/")
        self.prefix = prefix
        # The app passes the database's answer (nearby.py); alone, the store index answers.
        self.stores_within = stores_within or self._stores_within_from_index
        self._headers = {"Content-Type": "application/json"} | (
            {"Authorization": f"Bearer {key}"} if key else {})

    def uid(self, kind: str) -> str:
        return f"{self.prefix}{kind}"

    # -- reads ---------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        connection = self._connection(self._netloc, timeout=self.timeout)
        try:
            connection.request(method, f"{self._base}/{path}", headers=self._headers,
                               body=json.dumps(body).encode() if body is not None else None)
            answer = connection.getresponse()
            return answer.status, answer.read()
        except (OSError, http.client.HTTPException) as exc:
            raise SearchUnavailable() from exc
        finally:
            connection.close()

    def _post(self, path: str, body: dict) -> dict:
        status, data = self._request("POST", path, body)
        if status >= 500 or status in (401, 403, 404):
            # Down, or not set up (wrong key, no index yet): the searcher can only wait.
            raise SearchUnavailable()
        if status != 200:  # a 400 is our bug: the filters are built from checked ids
            raise RuntimeError(f"Meilisearch answered {status}: {data[:500]!r}")
        return json.loads(data)

    def _search(self, kind: str, q: str, params: dict) -> dict:
        return self._post(f"indexes/{self.uid(kind)}/search", {"q": q, **params})

    def _multi(self, searches: list[dict]) -> list[dict]:
        return self._post("multi-search", {"queries": searches})["results"]

    # -- set-up ---------------------------------------------------------------------------

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
        self._drop(self.prefix, RETIRED)

    # -- writes --------------------------------------------------------------------------

    def _write(self, prefix: str, batch: Batch) -> list:
        # Offers are the embedded backend's; here a listing's stock travels on the listing.
        tasks = []
        for kind, documents in (("stores", batch.stores), ("listings", batch.listings)):
            if documents:
                tasks.append(self.client.index(prefix + kind).add_documents(
                    [_slim(d) for d in documents], primary_key="id"))
        for kind, ids in (("stores", batch.gone_stores), ("listings", batch.gone_listings)):
            if ids:
                tasks.append(self.client.index(prefix + kind).delete_documents(
                    filter=f"id IN [{', '.join(str(int(i)) for i in sorted(ids))}]"))
        return tasks

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
            written += len(batch.stores) + len(batch.listings)
        for task in tasks:
            self._wait(task)
        self._wait(self.client.swap_indexes([
            {"indexes": [self.uid(kind), building + kind]} for kind in SETTINGS]))
        self._drop(building)  # the old data, swapped under the rebuild's names
        self._drop(self.prefix, RETIRED)
        return written

    def clear(self) -> None:
        for kind in SETTINGS:
            self._wait(self.client.index(self.uid(kind)).delete_all_documents())

    def _drop(self, prefix: str, kinds: Iterable[str] = (*SETTINGS, *RETIRED)) -> None:
        listed = self.client.get_raw_indexes({"limit": 1000})["results"]
        existing = {index["uid"] for index in listed}
        for kind in kinds:
            if prefix + kind in existing:
                self._wait(self.client.index(prefix + kind).delete())

    def drop(self) -> None:
        """Delete the indexes themselves (tests)."""
        self._drop(self.prefix)

    # -- stores --------------------------------------------------------------------------

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
        found = self._search("stores", _text(query.q), {
            "filter": filters, "sort": sort, "page": query.page,
            "hitsPerPage": query.page_size, "matchingStrategy": "all"})
        hits = [self._with_distance(hit) for hit in found["hits"]]
        return Page(hits, found["totalHits"], query.page, query.page_size)

    def _stores_within_from_index(self, point: Point, radius_m: int) -> list[tuple[int, float]]:
        found = self._search("stores", "", {
            "filter": [f"_geoRadius({_geo(point)}, {int(radius_m)})"],
            "sort": [f"_geoPoint({_geo(point)}):asc", "name:asc"],
            "attributesToRetrieve": ["id", "_geo"], "limit": MAX_HITS})
        return [(hit["id"], hit["_geoDistance"]) for hit in found["hits"]]

    @staticmethod
    def _with_distance(hit: dict) -> dict:
        distance = hit.pop("_geoDistance", None)
        if distance is not None:
            hit["distance_m"] = round(distance)
        return hit

    # -- listings ------------------------------------------------------------------------

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
        facets = [FACET_ATTRIBUTES[f] for f in query.facets if f in FACET_ATTRIBUTES]
        if "price" in query.facets:
            facets.append("price_min")
        text = _text(query.q)
        if query.in_stock_near:
            return self._in_stock(query, text, filters, facets)
        params: dict[str, Any] = {"page": query.page, "hitsPerPage": query.page_size,
                                  "matchingStrategy": "all", "filter": filters}
        if facets:
            params["facets"] = facets
        if query.sort in SORTS:
            params["sort"] = SORTS[query.sort]
        elif not text:
            params["sort"] = SORTS["newest"]
        found = self._search("listings", text, params)
        hits = [{k: v for k, v in hit.items() if k not in STOCK_FIELDS} for hit in found["hits"]]
        return self._page(query, found, hits)

    @staticmethod
    def _page(query: ListingQuery, found: dict, hits: list[dict]) -> Page:
        distribution = found.get("facetDistribution") or {}
        facet_counts = {name: dict(distribution.get(attribute, {}))
                        for name, attribute in FACET_ATTRIBUTES.items() if name in query.facets}
        stats = (found.get("facetStats") or {}).get("price_min")
        price = ({"min": int(stats["min"]), "max": int(stats["max"])}
                 if stats and "price" in query.facets and found["totalHits"] else None)
        return Page(hits, found["totalHits"], query.page, query.page_size, facet_counts, price)

    def _in_stock(self, query: ListingQuery, text: str, filters: list[str],
                  facets: list[str]) -> Page:
        """Listings with stock at one of the stores within the radius, each hit at its nearest
        such store. Totals and facets count listings, since each listing is one document.

        Nearest first (``sort=distance``, or no words to rank by) is done here, exactly: a
        listing's distance is that of the nearest store in its ``stock``. Only the listings of
        the nearest ``n`` stores are ranked, for the smallest ``n`` that fills the page: any
        listing outside them is no nearer than the ``n``-th store, so none can come first."""
        near = self.stores_within(query.point, int(query.radius_m))
        if not near:
            return Page([], 0, query.page, query.page_size,
                        {name: {} for name in FACET_ATTRIBUTES if name in query.facets})
        distance = dict(near)
        ordered = [store_id for store_id, _metres in near]

        def search(stores: list[int], **params) -> dict:
            where = [*filters, f"stock_store_ids IN [{', '.join(map(str, stores))}]"]
            return {"indexUid": self.uid("listings"), "q": text, "filter": where,
                    "matchingStrategy": "all"} | params

        if query.sort not in SORTS and (query.sort == "distance" or not text):
            found, hits = self._nearest_first(query, near, search, facets)
        else:
            params: dict[str, Any] = {"page": query.page, "hitsPerPage": query.page_size}
            if facets:
                params["facets"] = facets
            if query.sort in SORTS:
                params["sort"] = SORTS[query.sort]
            found = self._multi([search(ordered, **params)])[0]
            hits = found["hits"]
        return self._page(query, found, [self._at_nearest(hit, distance) for hit in hits])

    def _nearest_first(self, query: ListingQuery, near: list[tuple[int, float]],
                       search: Callable[..., dict], facets: list[str]) -> tuple[dict, list[dict]]:
        """(the count-and-facets answer, the page's hits) in nearest-first order.

        The listings of the nearest 16 stores are ranked first, in the same request as the
        total and facets; only if they do not fill the page, those of the nearest 128, 1,024,
        8,192 stores, then all. Most first pages take that one request and one more to load
        the page's documents."""
        distance = dict(near)
        ordered = [store_id for store_id, _metres in near]
        offset, need = (query.page - 1) * query.page_size, query.page * query.page_size
        cuts = sorted({self._cut(near, n) for n in PREFIXES if n < len(near)} | {len(near)})
        found = None
        for n in cuts:
            ranking = search(ordered[:n], limit=MAX_HITS, attributesToRetrieve=RANKING_FIELDS)
            if found is None:
                found, answer = self._multi([
                    search(ordered, page=1, hitsPerPage=0, **({"facets": facets} if facets
                                                              else {})), ranking])
            else:
                (answer,) = self._multi([ranking])
            candidates = answer["hits"]
            if len(candidates) >= need or offset >= found["totalHits"]:
                break
        if offset >= found["totalHits"]:
            return found, []
        ranked = sorted(candidates, key=lambda hit: (self._nearest(hit, distance)[1], hit["id"]))
        page_ids = [hit["id"] for hit in ranked[offset:offset + query.page_size]]
        if not page_ids:
            return found, []
        loaded = self._multi([{"indexUid": self.uid("listings"), "q": "", "limit": len(page_ids),
                               "filter": f"id IN [{', '.join(map(str, page_ids))}]"}])[0]["hits"]
        by_id = {hit["id"]: hit for hit in loaded}
        return found, [by_id[i] for i in page_ids if i in by_id]

    @staticmethod
    def _cut(near: list[tuple[int, float]], n: int) -> int:
        """``n``, or more when the stores after the ``n``-th are exactly as far."""
        while n < len(near) and near[n][1] == near[n - 1][1]:
            n += 1
        return n

    @staticmethod
    def _nearest(hit: dict, distance: dict[int, float]) -> tuple[dict | None, float]:
        """The hit's nearest store among those within the radius, and how far it is."""
        reachable = [(distance[entry["store_id"]], entry["store_id"], entry)
                     for entry in hit.get("stock") or () if entry["store_id"] in distance]
        if not reachable:
            return None, float("inf")
        metres, _store_id, entry = min(reachable, key=lambda found: found[:2])
        return entry, metres

    def _at_nearest(self, hit: dict, distance: dict[int, float]) -> dict:
        entry, metres = self._nearest(hit, distance)
        hit = {k: v for k, v in hit.items() if k not in STOCK_FIELDS}
        if entry is not None:
            hit.update(store_id=entry["store_id"], store_name=entry["store_name"],
                       store_slug=entry["store_slug"], available=entry["available"],
                       distance_m=round(metres))
        return hit

    # -- upkeep --------------------------------------------------------------------------

    def stores_closed_since(self, now: int) -> list[int]:
        found = self.client.index(self.uid("stores")).get_documents({
            "filter": f"open_until > 0 AND open_until <= {int(now)}", "fields": ["id"],
            "limit": 10_000})
        return sorted(int(doc.id) for doc in found.results)

    def health(self) -> dict:
        try:
            status, data = self._request("GET", "stats")
            if status != 200:
                raise SearchUnavailable()
            stats = json.loads(data)
        except Exception as exc:  # report, never raise: /healthz must answer
            return {"status": "down", "backend": self.name, "error": type(exc).__name__}
        indexes = stats.get("indexes", {})
        return {"status": "ok", "backend": self.name, "documents": {
            kind: indexes.get(self.uid(kind), {}).get("numberOfDocuments", 0)
            for kind in SETTINGS}}
