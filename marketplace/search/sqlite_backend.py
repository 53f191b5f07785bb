"""The embedded search backend: one SQLite file with FTS5, no service to run.

Text is folded (accents removed, đ → d) before it is indexed and before it is matched, and
the FTS5 tokenizer removes any diacritics left (``unicode61 remove_diacritics 2``). Words
must all match; the last one matches as a prefix, so results follow the typing. There is no
typo tolerance: that is what Meilisearch adds.

Distance: a bounding box on indexed latitude/longitude columns picks the candidates, then the
exact haversine distance (SQL math functions, the same sphere as Meilisearch) decides.

Every value that reaches SQL is a bound parameter; the only text spliced into statements
comes from this module's own constants.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from .backend import SearchBackend
from .documents import STOCK_FIELDS, Batch
from .folding import words
from .geo import EARTH_RADIUS_M, bounding_box
from .query import ListingQuery, Page, StoreQuery

SCHEMA = """
CREATE TABLE IF NOT EXISTS stores (
    id INTEGER PRIMARY KEY, merchant_id INTEGER NOT NULL, lat REAL NOT NULL, lng REAL NOT NULL,
    pickup INTEGER NOT NULL, open_from INTEGER NOT NULL, open_until INTEGER NOT NULL,
    name TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS stores_position ON stores (lat, lng);
CREATE INDEX IF NOT EXISTS stores_open_until ON stores (open_until);
CREATE TABLE IF NOT EXISTS store_categories (
    category_id INTEGER NOT NULL, store_id INTEGER NOT NULL,
    PRIMARY KEY (category_id, store_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS store_categories_store ON store_categories (store_id);
CREATE VIRTUAL TABLE IF NOT EXISTS stores_fts USING fts5(
    text, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS listings (
    id INTEGER PRIMARY KEY, merchant_id INTEGER NOT NULL, category_id INTEGER,
    kind TEXT NOT NULL, price_min INTEGER NOT NULL, published_at INTEGER NOT NULL,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS listings_published ON listings (published_at);
CREATE VIRTUAL TABLE IF NOT EXISTS listings_fts USING fts5(
    title, body, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS offers (
    id TEXT PRIMARY KEY, listing_id INTEGER NOT NULL, store_id INTEGER NOT NULL,
    merchant_id INTEGER NOT NULL, category_id INTEGER, kind TEXT NOT NULL,
    price_min INTEGER NOT NULL, published_at INTEGER NOT NULL,
    lat REAL NOT NULL, lng REAL NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS offers_position ON offers (lat, lng);
CREATE INDEX IF NOT EXISTS offers_listing ON offers (listing_id);
CREATE INDEX IF NOT EXISTS offers_store ON offers (store_id);
"""

# Haversine in SQL over the row's lat/lng and the bound :lat/:lng (radians precomputed).
DISTANCE = (f"(2 * {EARTH_RADIUS_M} * asin(min(1.0, sqrt("
            "pow(sin((radians(lat) - :lat_r) / 2), 2) + "
            ":cos_lat * cos(radians(lat)) * pow(sin((radians(lng) - :lng_r) / 2), 2)))))")

LISTING_SORTS = {
    "price_asc": "price_min ASC, id ASC",
    "price_desc": "price_min DESC, id ASC",
    "newest": "published_at DESC, id DESC",
}
FACET_COLUMNS = {"category": "category_id", "merchant": "merchant_id", "kind": "kind"}


def match_expression(text: str) -> str | None:
    """FTS5 query for the folded words: all must match, the last as a prefix. Words are
    ``\\w+`` runs, quoted, so no FTS operator can come from the user."""
    found = words(text)
    if not found:
        return None
    quoted = [f'"{w}"' for w in found]
    quoted[-1] += "*"
    return " ".join(quoted)


class SqliteBackend(SearchBackend):
    name = "sqlite"
    typo_tolerant = False

    def __init__(self, path: str) -> None:
        self.path = str(path)
        self._local = threading.local()
        self._write_lock = threading.Lock()

    # -- connections ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA busy_timeout = 30000")
            self._local.connection = connection
        return connection

    def setup(self) -> None:
        self._connect().executescript(SCHEMA)

    # -- writes --------------------------------------------------------------------------

    def _write(self, connection: sqlite3.Connection, batch: Batch) -> int:
        for doc in batch.stores:
            connection.execute(
                "INSERT OR REPLACE INTO stores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (doc["id"], doc["merchant_id"], doc["_geo"]["lat"], doc["_geo"]["lng"],
                 int(doc["pickup"]), doc["open_from"], doc["open_until"], doc["name"],
                 json.dumps(doc, ensure_ascii=False)))
            connection.execute("DELETE FROM store_categories WHERE store_id = ?", (doc["id"],))
            connection.executemany("INSERT INTO store_categories VALUES (?, ?)",
                                   [(c, doc["id"]) for c in doc["category_ids"]])
            connection.execute("DELETE FROM stores_fts WHERE rowid = ?", (doc["id"],))
            connection.execute("INSERT INTO stores_fts (rowid, text) VALUES (?, ?)",
                               (doc["id"], doc["text"]))
        for doc in batch.listings:
            connection.execute(
                "INSERT OR REPLACE INTO listings VALUES (?, ?, ?, ?, ?, ?, ?)",
                (doc["id"], doc["merchant_id"], doc["category_id"], doc["kind"],
                 doc["price_min"], doc["published_at"], json.dumps(
                     {k: v for k, v in doc.items() if k not in STOCK_FIELDS},
                     ensure_ascii=False)))
            connection.execute("DELETE FROM listings_fts WHERE rowid = ?", (doc["id"],))
            connection.execute("INSERT INTO listings_fts (rowid, title, body) VALUES (?, ?, ?)",
                               (doc["id"], doc["folded"], doc["folded_body"]))
        connection.executemany(
            "INSERT OR REPLACE INTO offers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(d["id"], d["listing_id"], d["store_id"], d["merchant_id"], d["category_id"],
              d["kind"], d["price_min"], d["published_at"], d["_geo"]["lat"], d["_geo"]["lng"],
              json.dumps(d, ensure_ascii=False)) for d in batch.offers])
        for table, ids in (("stores", batch.gone_stores), ("listings", batch.gone_listings)):
            rows = [(i,) for i in ids]
            if rows:
                connection.executemany(f"DELETE FROM {table} WHERE id = ?", rows)  # noqa: S608
                connection.executemany(f"DELETE FROM {table}_fts WHERE rowid = ?", rows)  # noqa: S608
        if batch.gone_stores:
            connection.executemany("DELETE FROM store_categories WHERE store_id = ?",
                                   [(i,) for i in batch.gone_stores])
        connection.executemany("DELETE FROM offers WHERE id = ?",
                               [(i,) for i in batch.gone_offers])
        return len(batch.stores) + len(batch.listings) + len(batch.offers)

    def apply(self, batch: Batch) -> None:
        connection = self._connect()
        with self._write_lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                self._write(connection, batch)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def rebuild(self, batches: Iterable[Batch]) -> int:
        # One write transaction: readers (WAL) keep seeing the old data until it commits.
        connection = self._connect()
        written = 0
        with self._write_lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                self._delete_all(connection)
                for batch in batches:
                    written += self._write(connection, batch)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        return written

    def _delete_all(self, connection: sqlite3.Connection) -> None:
        for table in ("stores", "store_categories", "stores_fts", "listings", "listings_fts",
                      "offers"):
            connection.execute(f"DELETE FROM {table}")  # noqa: S608 - the module's own names

    def clear(self) -> None:
        connection = self._connect()
        with self._write_lock:
            connection.execute("BEGIN IMMEDIATE")
            self._delete_all(connection)
            connection.execute("COMMIT")

    # -- reads ---------------------------------------------------------------------------

    @staticmethod
    def _near(point, radius_m: int, params: dict) -> list[str]:
        min_lat, max_lat, min_lng, max_lng = bounding_box(point.lat, point.lng, radius_m)
        params.update(min_lat=min_lat, max_lat=max_lat, min_lng=min_lng, max_lng=max_lng,
                      lat_r=math.radians(point.lat), lng_r=math.radians(point.lng),
                      cos_lat=math.cos(math.radians(point.lat)), radius=radius_m)
        return ["lat BETWEEN :min_lat AND :max_lat", "lng BETWEEN :min_lng AND :max_lng"]

    def search_stores(self, query: StoreQuery) -> Page:
        params: dict = {}
        where = self._near(query.point, query.radius_m, params)
        source = "stores"
        match = match_expression(query.q)
        if match:
            source = "stores JOIN stores_fts ON stores_fts.rowid = stores.id"
            where.append("stores_fts MATCH :match")
            params["match"] = match
        if query.merchant_id is not None:
            where.append("merchant_id = :merchant_id")
            params["merchant_id"] = query.merchant_id
        if query.pickup:
            where.append("pickup = 1")
        if query.open_at is not None:
            where.append("open_from <= :open_at AND open_until > :open_at")
            params["open_at"] = query.open_at
        if query.category_id is not None:
            where.append("id IN (SELECT store_id FROM store_categories "
                         "WHERE category_id = :category_id)")
            params["category_id"] = query.category_id
        inner = (f"SELECT id, name, doc, {DISTANCE} AS distance FROM {source} "  # noqa: S608
                 f"WHERE {' AND '.join(where)}")
        filtered = f"SELECT * FROM ({inner}) WHERE distance <= :radius"  # noqa: S608
        order = "distance, id" if query.sort == "distance" else "name, id"
        connection = self._connect()
        total = connection.execute(f"SELECT COUNT(*) FROM ({filtered})", params).fetchone()[0]  # noqa: S608
        params.update(limit=query.page_size, offset=(query.page - 1) * query.page_size)
        rows = connection.execute(
            f"{filtered} ORDER BY {order} LIMIT :limit OFFSET :offset", params).fetchall()  # noqa: S608
        hits = [json.loads(doc) | {"distance_m": round(distance)}
                for _id, _name, doc, distance in rows]
        return Page(hits, total, query.page, query.page_size)

    @staticmethod
    def _listing_filters(query: ListingQuery, params: dict, prefix: str) -> list[str]:
        where = []
        for name, column in (("merchant_id", "merchant_id"), ("category_id", "category_id"),
                             ("kind", "kind")):
            value = getattr(query, name)
            if value is not None:
                where.append(f"{prefix}{column} = :{name}")
                params[name] = value
        if query.price_min is not None:
            where.append(f"{prefix}price_min >= :price_min")
            params["price_min"] = query.price_min
        if query.price_max is not None:
            where.append(f"{prefix}price_min <= :price_max")
            params["price_max"] = query.price_max
        return where

    def search_listings(self, query: ListingQuery) -> Page:
        """The matching rows (ids, facet columns, rank, distance: no documents) go into a
        temporary table once; counts, facets, prices and the page are read from it, and only
        the page's documents are loaded."""
        params: dict = {}
        match = match_expression(query.q)
        if query.in_stock_near:
            where = self._near(query.point, query.radius_m, params)
            where += self._listing_filters(query, params, "offers.")
            text = ""
            if match:
                text = ("JOIN listings_fts ON listings_fts.rowid = offers.listing_id "
                        "AND listings_fts MATCH :match")
                params["match"] = match
            rank = "bm25(listings_fts, 10.0, 1.0)" if match else "0"
            inner = (f"SELECT offers.listing_id AS id, offers.store_id, offers.merchant_id, "  # noqa: S608
                     f"offers.category_id, offers.kind, offers.price_min, "
                     f"offers.published_at, {rank} AS rank, {DISTANCE} AS distance "
                     f"FROM offers {text} WHERE {' AND '.join(where)}")
            nearest = (f"SELECT *, ROW_NUMBER() OVER (PARTITION BY id "  # noqa: S608
                       f"ORDER BY distance, store_id) AS n FROM ({inner}) "
                       f"WHERE distance <= :radius")
            base = (f"SELECT id, store_id, merchant_id, category_id, kind, price_min, "  # noqa: S608
                    f"published_at, rank, distance FROM ({nearest}) WHERE n = 1")
            orders = LISTING_SORTS | {"distance": "distance ASC, id ASC",
                                      "relevance": "rank ASC, distance ASC, id ASC"}
        else:
            where = self._listing_filters(query, params, "listings.")
            source, rank = "listings", "0"
            if match:
                source = "listings JOIN listings_fts ON listings_fts.rowid = listings.id"
                where.append("listings_fts MATCH :match")
                params["match"] = match
                rank = "bm25(listings_fts, 10.0, 1.0)"
            condition = f"WHERE {' AND '.join(where)}" if where else ""
            base = (f"SELECT listings.id, NULL AS store_id, listings.merchant_id, "  # noqa: S608
                    f"listings.category_id, listings.kind, listings.price_min, "
                    f"listings.published_at, {rank} AS rank, NULL AS distance "
                    f"FROM {source} {condition}")
            relevance = "rank ASC, id ASC" if match else "published_at DESC, id DESC"
            orders = LISTING_SORTS | {"relevance": relevance}
        connection = self._connect()
        connection.execute("DROP TABLE IF EXISTS temp.hits")
        connection.execute(f"CREATE TEMP TABLE hits AS {base}", params)  # noqa: S608
        try:
            groups = connection.execute(
                "SELECT category_id, merchant_id, kind, COUNT(*), MIN(price_min), "
                "MAX(price_min) FROM temp.hits GROUP BY category_id, merchant_id, kind"
            ).fetchall()
            rows = connection.execute(
                f"SELECT id, store_id, distance FROM temp.hits "  # noqa: S608
                f"ORDER BY {orders[query.sort]} LIMIT ? OFFSET ?",
                (query.page_size, (query.page - 1) * query.page_size)).fetchall()
        finally:
            connection.execute("DROP TABLE IF EXISTS temp.hits")
        total = sum(group[3] for group in groups)
        facets: dict[str, dict[str, int]] = {}
        for name, position in (("category", 0), ("merchant", 1), ("kind", 2)):
            if name in query.facets:
                counts: dict[str, int] = {}
                for group in groups:
                    if group[position] is not None:
                        key = str(group[position])
                        counts[key] = counts.get(key, 0) + group[3]
                facets[name] = counts
        price = ({"min": min(g[4] for g in groups), "max": max(g[5] for g in groups)}
                 if "price" in query.facets and total else None)
        return Page(self._documents(rows, query.in_stock_near), total, query.page,
                    query.page_size, facets, price)

    def _documents(self, rows: list, offers: bool) -> list[dict]:
        """The page's documents, in the page's order."""
        if not rows:
            return []
        connection = self._connect()
        if offers:
            keys = [f"{listing_id}-{store_id}" for listing_id, store_id, _d in rows]
            found = dict(connection.execute(
                f"SELECT id, doc FROM offers WHERE id IN ({','.join('?' * len(keys))})",  # noqa: S608
                keys).fetchall())
            hits = []
            for (listing_id, _store_id, distance), key in zip(rows, keys, strict=True):
                hit = json.loads(found[key])
                hit["id"], hit["distance_m"] = listing_id, round(distance)
                hits.append(hit)
            return hits
        ids = [row[0] for row in rows]
        found = dict(connection.execute(
            f"SELECT id, doc FROM listings WHERE id IN ({','.join('?' * len(ids))})",  # noqa: S608
            ids).fetchall())
        return [json.loads(found[i]) for i in ids]

    def stores_closed_since(self, now: int) -> list[int]:
        return [row[0] for row in self._connect().execute(
            "SELECT id FROM stores WHERE open_until > 0 AND open_until <= ? ORDER BY id",
            (now,))]

    def health(self) -> dict:
        try:
            connection = self._connect()
            counts = {table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
                      for table in ("stores", "listings", "offers")}
        except sqlite3.Error as exc:
            return {"status": "down", "backend": self.name, "error": type(exc).__name__}
        return {"status": "ok", "backend": self.name, "documents": counts}
