"""Search benchmark: 100,000 listings and 10,000 stores over Vietnam's cities, on both backends.

    python bench/search.py [--listings 100000] [--stores 10000] [--backend both]
                           [--requests 600] [--concurrency 8] [--steady 2]
                           [--workers 2] [--threads 4]

1. A throw-away SQLite database is migrated through the CLI and filled with bulk inserts:
   ``stores / 10`` merchants with ten stores each, spread over eight cities (a normal spread
   around each centre), opening hours that vary by store, ``listings / merchants`` listings
   per merchant with one or two variants, each stocked at three of its merchant's stores.
2. For each backend, ``marketplace search reindex`` builds the index (timed).
3. gunicorn serves the marketplace and a minimal Flask app with the same settings; the client
   of ``run_http`` measures, through the HTTP API:
   nearby stores (3 km, open now, nearest first), product text search, and in-stock-near-me
   (5 km, a word, nearest store per listing; by relevance, then nearest first). Twice: with
   ``--steady`` clients (default 2, one per core: latency when the server is not
   saturated) and with ``--concurrency`` clients (default 8, four per core: throughput at
   saturation, where latency is mostly queueing, since 8 requests in flight on 2 cores wait
   for each other).
4. Freshness: a variant sold out at its nearest store (committed in this process, whose
   in-process outbox worker indexes it) is timed until the search API shows the next store.

Only 127.0.0.1 is contacted; Meilisearch is the npm package's server. Nothing is asserted:
this prints figures.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run_http import (  # noqa: E402
    Result,
    app_environment,
    drive,
    fetch,
    marketplace_command,
    start_servers,
)

CITIES = [  # (name, district, latitude, longitude, spread in degrees, share of stores)
    ("Hồ Chí Minh", "Quận 1", 10.7769, 106.7009, 0.08, 0.35),
    ("Hà Nội", "Hoàn Kiếm", 21.0285, 105.8542, 0.07, 0.25),
    ("Đà Nẵng", "Hải Châu", 16.0544, 108.2022, 0.05, 0.10),
    ("Hải Phòng", "Lê Chân", 20.8449, 106.6881, 0.05, 0.07),
    ("Cần Thơ", "Ninh Kiều", 10.0452, 105.7469, 0.04, 0.07),
    ("Huế", "Phú Hội", 16.4637, 107.5909, 0.03, 0.06),
    ("Nha Trang", "Lộc Thọ", 12.2388, 109.1967, 0.03, 0.05),
    ("Hội An", "Minh An", 15.8801, 108.3380, 0.02, 0.05),
]
WORDS = ["Cà phê", "Trà sữa", "Phở", "Bánh mì", "Áo thun", "Áo dài", "Giày chạy bộ", "Điện thoại",
         "Tai nghe", "Sữa rửa mặt", "Kem chống nắng", "Bún bò", "Nồi cơm điện", "Quạt máy",
         "Balo", "Đồng hồ", "Kính mát", "Son môi", "Bánh xèo", "Cơm tấm"]
ADJECTIVES = ["đặc biệt", "cao cấp", "size M", "màu đen", "màu trắng", "loại 1", "nhập khẩu",
              "handmade", "phiên bản 2026", "mini", "gia đình", "tiết kiệm"]
HCMC = (10.7769, 106.7009)


def log(message: str) -> None:
    print(message, flush=True)


def generate(database_url: str, *, listings: int, stores: int, seed: int = 5) -> dict:
    """Bulk-insert the data set; returns what the freshness check needs."""
    os.environ["DATABASE_URL"] = database_url
    from datetime import time as clock

    import sqlalchemy as sa

    from marketplace import create_app
    from marketplace.database import utcnow
    from marketplace.extensions import db

    rng = random.Random(seed)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "OUTBOX_INPROCESS": False,
                      "JOBS_INPROCESS": False, "SEARCH_SETUP_ON_START": False})
    now = utcnow()
    merchants = max(1, stores // 10)
    per_merchant = max(1, listings // merchants)
    with app.app_context():
        meta = db.metadata
        t = {name: meta.tables[name] for name in (
            "users", "merchants", "stores", "opening_intervals", "listings", "variants",
            "stock_levels")}
        category_ids = list(db.session.scalars(sa.text("SELECT id FROM categories")))
        connection = db.session.connection()
        connection.execute(t["users"].insert(), [{
            "id": 1, "email": "bench-owner@example.vn", "password_hash": "-",
            "full_name": "Bench", "is_platform_admin": False, "is_active": True,
            "created_at": now, "updated_at": now}])
        connection.execute(t["merchants"].insert(), [{
            "id": m, "name": f"Shop {m}", "slug": f"shop-{m}", "description": "",
            "status": "approved", "commission_bp": 1000, "default_currency": "VND",
            "plugins_revision": 0, "created_at": now, "updated_at": now}
            for m in range(1, merchants + 1)])
        store_rows, hour_rows, store_of = [], [], {}
        weights = [c[5] for c in CITIES]
        for s in range(1, stores + 1):
            merchant = (s - 1) // 10 + 1
            city, district, lat, lng, spread, _ = rng.choices(CITIES, weights)[0]
            store_rows.append({
                "id": s, "merchant_id": merchant, "name": f"Chi nhánh {s}", "slug": f"cn-{s}",
                "address_line": f"{s} Lê Lợi", "district": district, "city": city,
                "country_code": "VN", "latitude": rng.gauss(lat, spread / 2),
                "longitude": rng.gauss(lng, spread / 2), "timezone": "Asia/Ho_Chi_Minh",
                "is_active": True, "pickup_enabled": rng.random() < 0.6,
                "pickup_lead_minutes": 60, "pickup_slot_minutes": 30,
                "pickup_orders_per_slot": 5, "pickup_grace_minutes": 60,
                "reserve_enabled": False, "reserve_hold_hours": 48,
                "created_at": now, "updated_at": now})
            store_of.setdefault(merchant, []).append(s)
            opens = rng.choice([6, 7, 8, 9, 10])
            closes = rng.choice([21, 22, 23])
            for day in range(7):
                if rng.random() < 0.93:
                    hour_rows.append({"merchant_id": merchant, "store_id": s, "weekday": day,
                                      "opens": clock(opens), "closes": clock(closes),
                                      "overnight": False})
        connection.execute(t["stores"].insert(), store_rows)
        connection.execute(t["opening_intervals"].insert(), hour_rows)
        listing_rows, variant_rows, stock_rows = [], [], []
        variant_id = 0
        for n in range(1, merchants * per_merchant + 1):
            merchant = (n - 1) // per_merchant + 1
            title = f"{rng.choice(WORDS)} {rng.choice(ADJECTIVES)} {n}"
            listing_rows.append({
                "id": n, "merchant_id": merchant, "kind": "product", "title": title,
                "slug": f"sp-{n}", "description": f"{title}: hàng chính hãng, giao tại cửa hàng.",
                "category_id": rng.choice(category_ids), "status": "published",
                "currency": "VND", "published_at": now, "created_at": now, "updated_at": now})
            for option in range(rng.choice([1, 2])):
                variant_id += 1
                variant_rows.append({
                    "id": variant_id, "merchant_id": merchant, "listing_id": n,
                    "sku": f"SKU-{variant_id}", "options": {"size": ["M", "L"][option]},
                    "price": rng.randrange(10, 2000) * 1000, "allow_negative_stock": False,
                    "position": option, "is_active": True, "created_at": now,
                    "updated_at": now})
                for store in rng.sample(store_of[merchant], 3):
                    stock_rows.append({"merchant_id": merchant, "store_id": store,
                                       "variant_id": variant_id,
                                       "on_hand": rng.choice([1, 2, 3, 5, 8, 20, 50]),
                                       "reserved": 0, "updated_at": now})
        for table, rows in (("listings", listing_rows), ("variants", variant_rows),
                            ("stock_levels", stock_rows)):
            for start in range(0, len(rows), 5000):
                connection.execute(t[table].insert(), rows[start:start + 5000])
        db.session.commit()
        log(f"data: {merchants} merchants, {len(store_rows)} stores, {len(listing_rows)} "
            f"listings, {len(variant_rows)} variants, {len(stock_rows)} stock rows")
        # The freshness probe: a listing stocked at the HCMC store nearest the centre.
        probe = db.session.execute(sa.text(
            "SELECT l.title, s.id, v.id FROM stock_levels k JOIN stores s ON s.id = k.store_id "
            "JOIN variants v ON v.id = k.variant_id JOIN listings l ON l.id = v.listing_id "
            "WHERE s.city = 'Hồ Chí Minh' ORDER BY (s.latitude - :lat) * (s.latitude - :lat) "
            "+ (s.longitude - :lng) * (s.longitude - :lng) LIMIT 1"),
            {"lat": HCMC[0], "lng": HCMC[1]}).one()
        return {"title": probe[0], "store_id": probe[1], "variant_id": probe[2]}


def reindex(env: dict[str, str]) -> str:
    started = time.perf_counter()
    done = subprocess.run(marketplace_command() + ["search", "reindex"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        sys.exit(f"reindex failed:\n{done.stdout}{done.stderr}")
    return f"{done.stdout.strip()} (command: {time.perf_counter() - started:.1f} s)"


def freshness(env: dict[str, str], port: int, probe: dict) -> float:
    """Seconds from the commit of a sell-out to the search API naming another store."""
    import json

    import sqlalchemy as sa

    for key, value in env.items():
        os.environ[key] = value
    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.inventory.models import StockLevel
    from marketplace.inventory.services import adjust_stock

    app = create_app({"OUTBOX_INPROCESS": True, "JOBS_INPROCESS": False,
                      "OUTBOX_POLL_SECONDS": 30})  # woken by the commit, not by polling
    words = urllib.parse.quote(probe["title"])
    path = (f"/api/v1/search/listings?q={words}&in_stock_near=1&lat={HCMC[0]}&lng={HCMC[1]}"
            f"&radius=100000&page_size=50")

    def nearest() -> int | None:
        for hit in json.loads(fetch(port, path)[1])["items"]:
            if hit["title"] == probe["title"]:
                return hit["nearest_store"]["id"]
        return None

    before = nearest()
    if before is None:
        log(f"freshness: {probe['title']!r} is not among the hits; not measured")
        return float("nan")
    with app.app_context():
        level = db.session.query(StockLevel).filter_by(
            store_id=probe["store_id"], variant_id=probe["variant_id"]).one()
        adjust_stock(store=level.store, variant=level.variant, delta=-level.available,
                     reason="damage", actor_id=None)
        db.session.commit()
        committed = time.perf_counter()
        while time.perf_counter() - committed < 30:
            if nearest() != before:
                return time.perf_counter() - committed
            time.sleep(0.02)
        pending = db.session.execute(sa.text(
            "SELECT topic, status, attempts, last_error FROM outbox_messages "
            "ORDER BY id DESC LIMIT 3")).all()
        log(f"freshness: no change within 30 s; latest outbox messages: {pending}")
    return float("nan")


def measure_freshness(env: dict[str, str], port: int, probe: dict) -> str:
    """In a process of its own, so its outbox worker is the only one and uses this backend."""
    import json

    done = subprocess.run(
        [sys.executable, __file__, "--freshness", json.dumps({"port": port, **probe})],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = done.stdout.strip().splitlines()
    return lines[-1] if done.returncode == 0 and lines else f"failed: {done.stderr[-500:]}"


def restock(database_url: str, probe: dict) -> dict:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "UPDATE stock_levels SET on_hand = 5, reserved = 0 WHERE store_id = :s AND "
            "variant_id = :v"), {"s": probe["store_id"], "v": probe["variant_id"]})
    engine.dispose()
    return probe


def report(title: str, rows: list[tuple[str, Result]], baseline: Result) -> None:
    log(title)
    head = (f"{'endpoint':<28} {'reqs':>5} {'err':>4} {'req/s':>8} {'p50 ms':>8} "
            f"{'p95 ms':>8} {'p99 ms':>8} {'p50 ×min':>9} {'req/s ×min':>10}")
    log(head)
    log("-" * len(head))
    for name, r in [("minimal Flask /ping", baseline), *rows]:
        log(f"{name:<28} {r.requests:>5} {r.errors:>4} {r.throughput:>8.1f} "
            f"{r.percentile(50):>8.2f} {r.percentile(95):>8.2f} {r.percentile(99):>8.2f} "
            f"{r.percentile(50) / baseline.percentile(50):>9.2f} "
            f"{r.throughput / baseline.throughput:>10.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--stores", type=int, default=10_000)
    parser.add_argument("--backend", choices=["both", "sqlite", "meilisearch"], default="both")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--steady", type=int, default=2,
                        help="clients of the unsaturated latency run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--freshness", help=argparse.SUPPRESS)  # the child of measure_freshness
    options = parser.parse_args()
    if options.freshness:
        import json

        probe = json.loads(options.freshness)
        seconds = freshness(dict(os.environ), probe.pop("port"), probe)
        print(f"{seconds:.2f} s")
        return 0

    instance = Path(tempfile.mkdtemp(prefix="bench-search-"))
    env = app_environment(instance)
    env["SEARCH_SQLITE_PATH"] = str(instance / "search.sqlite3")
    migrated = subprocess.run(marketplace_command() + ["db", "upgrade"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
    if migrated.returncode != 0:
        sys.exit(migrated.stderr)
    started = time.perf_counter()
    probe = generate(env["DATABASE_URL"], listings=options.listings, stores=options.stores)
    log(f"generated in {time.perf_counter() - started:.1f} s")

    backends = ["sqlite", "meilisearch"] if options.backend == "both" else [options.backend]
    for backend in backends:
        run_env = dict(env)
        meili = None
        if backend == "meilisearch":
            from tests.support.meilisearch_server import meilisearch_server

            meili = meilisearch_server()
            url, key = meili.__enter__()
            run_env.update(MEILISEARCH_URL=url, MEILISEARCH_KEY=key)
        servers = []
        try:
            log(f"\n== {backend}")
            log(f"indexing: {reindex(run_env)}")
            minimal, market = start_servers(run_env, servers, workers=options.workers,
                                            threads=options.threads)
            lat, lng = HCMC
            paths = {
                "nearby stores 3 km open": f"/api/v1/search/stores?lat={lat}&lng={lng}"
                                           f"&radius=3000&open_now=1",
                "product text search": "/api/v1/search/listings?q=ca+phe+dac+biet",
                "in stock near me 5 km": f"/api/v1/search/listings?q=ao&in_stock_near=1"
                                         f"&lat={lat}&lng={lng}&radius=5000",
                "in stock, nearest first": f"/api/v1/search/listings?q=ao&in_stock_near=1"
                                           f"&lat={lat}&lng={lng}&radius=5000&sort=distance",
            }
            for path in paths.values():
                status, body = fetch(market.port, path)
                if status != 200:
                    sys.exit(f"{path} answered {status}: {body[:300]}")
            for title, clients in ((f"{options.steady} clients: latency", options.steady),
                                   (f"{options.concurrency} clients: saturation",
                                    options.concurrency)):
                baseline = drive("minimal", minimal.port, "/ping", total=options.requests,
                                 concurrency=clients, time_limit=120)
                rows = [(name, drive(name, market.port, path, total=options.requests,
                                     concurrency=clients, time_limit=120))
                        for name, path in paths.items()]
                report(title, rows, baseline)
            log(f"a sell-out searchable after {measure_freshness(run_env, market.port, probe)}")
        finally:
            for server in servers:
                server.stop()
            if meili is not None:
                meili.__exit__(None, None, None)
        probe = restock(env["DATABASE_URL"], probe)  # for the next backend's run
    return 0


if __name__ == "__main__":
    sys.exit(main())
