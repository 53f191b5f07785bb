"""Checkout benchmark: hold-and-place throughput on PostgreSQL under gunicorn.

    python bench/run_checkout.py [--orders 1000] [--concurrency 16] [--workers 2] [--threads 4]
                                 [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A throw-away PostgreSQL database is created (and dropped at the end), migrated through the
CLI, and filled with one shop: a store open around the clock that takes pickup orders paid at
the store, 20 product variants with plenty of stock, pickup slots of the largest capacity.
Each client thread is a signed-in consumer (a consumer token) that, in a loop, puts one item
in its cart (``POST /api/v1/consumer/cart/lines``) and checks out
(``POST /api/v1/consumer/checkout`` with an Idempotency-Key): the checkout locks the stock
row, holds the item, books the slot and writes the order, its lines, payment and audit rows.

Two scenarios, each its own run of ``--orders`` checkouts:

* **hot**: every buyer wants the same variant in the same slot — one stock row and one slot
  row that every transaction must lock in turn (the worst case);
* **mixed**: buyers spread over 20 variants and 20 slots.

It prints, per scenario, orders placed per second and the latency percentiles of the
checkout request and of the whole add-and-check-out round, plus the ratio to the minimal
Flask endpoint (``bench/minimal_app.py``) served by the same gunicorn settings and driven by
the same client; then checks the database agrees (orders = successes, stock held = orders).
Only 127.0.0.1 is contacted. A benchmark, not a test: nothing is asserted about the numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from run_http import (
    HOST,
    ROOT,
    Budget,
    Result,
    Server,
    app_environment,
    drive,
    marketplace_command,
    run_clients,
    start_servers,
)

VARIANTS = 20
SLOTS = 20


# --- database --------------------------------------------------------------------------------

def create_database(admin_url: str) -> tuple[str, str]:
    import sqlalchemy as sa

    name = f"bench_checkout_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return name, sa.engine.make_url(admin_url).set(database=name).render_as_string(
        hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def server_arguments(parser: argparse.ArgumentParser, *, concurrency: int, clients: str,
                     run: str) -> None:
    """The options every PostgreSQL benchmark takes: client threads, gunicorn settings, the
    time limit, the admin URL and a JSON file for the figures."""
    parser.add_argument("--concurrency", type=int, default=concurrency,
                        help=f"client threads, {clients} (max 64)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--time-limit", type=float, default=120.0,
                        help=f"seconds {run} (max 600)")
    parser.add_argument("--admin-url", default=os.environ.get(
        "BENCH_ADMIN_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL URL allowed to create and drop databases")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")


@contextlib.contextmanager
def throwaway_postgres(admin_url: str):
    """A new PostgreSQL database and an app environment on it (an instance folder of its
    own): yields (database name, environment, servers). Servers appended to that list are
    stopped, and the database dropped, however the run ends."""
    name, url = create_database(admin_url)
    servers: list[Server] = []
    try:
        with tempfile.TemporaryDirectory(prefix="marketplace-bench-") as tmp:
            env = app_environment(Path(tmp))
            env.update({"DATABASE_URL": url, "JOBS_INPROCESS": "0"})
            yield name, env, servers
    finally:
        for server in servers:
            server.stop()
        drop_database(admin_url, name)


def stop_all(servers: list[Server]) -> None:
    """Stop the servers before reading the results back (their connections let go)."""
    for server in servers:
        server.stop()
    servers.clear()


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(marketplace_command() + ["db", "upgrade"], env=env, cwd=ROOT,
                          timeout=300, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"`marketplace db upgrade` failed:\n{done.stdout}{done.stderr}")


@dataclass
class Shop:
    merchant_id: int
    store_id: int
    variants: list[int]
    slots: list[str]
    buyers: list[str]  # consumer tokens


def fill(env: dict[str, str], buyers: int, stock: int) -> Shop:
    """One shop and ``buyers`` consumers, through the services (as the CLI would)."""
    os.environ.update(env)
    from marketplace import create_app
    from marketplace.accounts.services import create_token, register_user
    from marketplace.catalog.services import change_status, create_listing
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.fulfilment import slots as pickup_slots
    from marketplace.inventory.services import adjust_stock
    from marketplace.merchants.services import change_status as merchant_status
    from marketplace.merchants.services import create_merchant
    from marketplace.plugins import services as plugin_services
    from marketplace.stores.services import create_store, set_opening_hours

    app = create_app()
    with app.app_context():
        # Nobody logs in with it: the buyers use tokens, and the database is dropped after.
        password = secrets.token_urlsafe(16)
        owner = register_user(email="owner@bench.example.vn", password=password,
                              full_name="Chủ cửa hàng")
        admin = register_user(email="admin@bench.example.vn", password=password,
                              full_name="Quản trị")
        admin.is_platform_admin = True
        merchant = create_merchant(owner=owner, data={"name": "Giày Bench"}, commission_bp=0)
        merchant_status(merchant, "approve", actor=admin)
        plugin_services.set_enabled(merchant, "payment_pay_at_store", True)
        store = create_store(merchant, {
            "name": "Chi nhánh Quận 1", "address_line": "1 Lê Lợi", "city": "Hồ Chí Minh",
            "latitude": 10.7769, "longitude": 106.7009, "pickup_enabled": True,
            "pickup_lead_minutes": 0, "pickup_slot_minutes": 30,
            "pickup_orders_per_slot": 10_000}, default_timezone="Asia/Ho_Chi_Minh")
        set_opening_hours(store, [{"weekday": d, "opens": "00:00", "closes": "00:00",
                                   "overnight": True} for d in range(7)])
        listing = create_listing(merchant, {"title": "Giày chạy bộ", "variants": [
            {"sku": f"RUN-{n:02d}", "price": 900_000 + n * 10_000,
             "options": {"size": str(36 + n)}} for n in range(VARIANTS)]})
        change_status(listing, "publish")
        for variant in listing.variants:
            adjust_stock(store=store, variant=variant, delta=stock, reason="receipt",
                         actor_id=None)
        # Slots from tomorrow on: none of them can pass while the benchmark runs.
        tomorrow = pickup_slots.local_today(store, utcnow()) + timedelta(days=1)
        found = pickup_slots.day_slots(store, tomorrow)[:SLOTS]
        tokens = []
        for n in range(buyers):
            user = register_user(email=f"buyer{n}@bench.example.vn", password=password,
                                 full_name=f"Khách {n}")
            _token, plaintext = create_token(user=user, merchant_id=None, name="bench")
            tokens.append(plaintext)
        db.session.commit()
        shop = Shop(merchant.id, store.id, [v.id for v in listing.variants],
                    [s.start.isoformat() for s in found], tokens)
        db.session.remove()
        db.engine.dispose()
    return shop


def tally(env: dict[str, str], shop: Shop) -> tuple[int, int]:
    """Orders in the database and units held at the store (they must agree)."""
    import sqlalchemy as sa

    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.inventory.models import StockLevel
    from marketplace.orders.models import Order

    app = create_app()
    with app.app_context():
        orders = db.session.scalar(sa.select(sa.func.count()).select_from(Order))
        held = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(StockLevel.reserved), 0))
                                 .where(StockLevel.store_id == shop.store_id))
        db.session.remove()
        db.engine.dispose()
    return orders, held


# --- load ------------------------------------------------------------------------------------

@dataclass
class Outcome:
    name: str
    checkout: list[float] = field(default_factory=list)  # seconds, placed orders only
    rounds: list[float] = field(default_factory=list)    # add to cart + checkout
    statuses: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def placed(self) -> int:
        return len(self.checkout)

    def percentile(self, values: list[float], q: float) -> float:
        probe = Result(self.name, "")
        probe.latencies = values
        return probe.percentile(q)


def post(conn: http.client.HTTPConnection, path: str, body: dict,
         headers: dict[str, str]) -> tuple[int, dict]:
    conn.request("POST", path, body=json.dumps(body),
                 headers={"Content-Type": "application/json", **headers})
    response = conn.getresponse()
    data = response.read()
    try:
        return response.status, json.loads(data or b"{}")
    except ValueError:
        return response.status, {}


def shop_round(port: int, shop: Shop, *, total: int, hot: bool, name: str,
               time_limit: float) -> Outcome:
    outcome = Outcome(name)
    lock = threading.Lock()
    budget = Budget(total, time_limit)

    def count(status: str) -> None:
        with lock:
            outcome.statuses[status] = outcome.statuses.get(status, 0) + 1

    def buyer(index: int, token: str) -> None:
        chooser = random.Random(index)
        auth = {"Authorization": f"Bearer {token}", "Accept-Language": "vi"}
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        try:
            while budget.take():
                variant = shop.variants[0] if hot else chooser.choice(shop.variants)
                slot = shop.slots[0] if hot else chooser.choice(shop.slots)
                started = time.perf_counter()
                status, cart = post(conn, "/api/v1/consumer/cart/lines",
                                    {"variant_id": variant, "quantity": 1}, auth)
                if status != 201:
                    count(f"cart {status} {cart.get('code', '')}".strip())
                    continue
                checkout_started = time.perf_counter()
                status, body = post(conn, "/api/v1/consumer/checkout", {
                    "cart_version": cart["version"],
                    "orders": [{"merchant_id": shop.merchant_id, "fulfilment": "pickup",
                                "store_id": shop.store_id, "slot_start": slot,
                                "payment_provider": "pay_at_store"}]},
                    {**auth, "Idempotency-Key": str(uuid.uuid4())})
                finished = time.perf_counter()
                if status == 201:
                    with lock:
                        outcome.checkout.append(finished - checkout_started)
                        outcome.rounds.append(finished - started)
                count(f"checkout {status} {body.get('code', '')}".strip())
        finally:
            conn.close()

    outcome.elapsed = run_clients(buyer, list(enumerate(shop.buyers)), time_limit=time_limit)
    return outcome


# --- report ----------------------------------------------------------------------------------

def report(outcomes: list[Outcome], baseline: Result) -> None:
    base_p50 = baseline.percentile(50)
    head = (f"{'scenario':<10} {'placed':>6} {'orders/s':>9} {'checkout p50':>13} "
            f"{'p95':>8} {'p99':>8} {'round p50':>10} {'p95':>8} {'p99':>8} "
            f"{'p50 ×min':>9} {'orders/s ×min':>14}")
    print(head)
    print("-" * len(head))
    print(f"{'minimal':<10} {baseline.requests:>6} {baseline.throughput:>9.1f} "
          f"{base_p50:>13.2f} {baseline.percentile(95):>8.2f} {baseline.percentile(99):>8.2f} "
          f"{'':>10} {'':>8} {'':>8} {1:>9.2f} {1:>14.2f}   (GET /ping)")
    for o in outcomes:
        rate = o.placed / o.elapsed if o.elapsed else 0.0
        p50 = o.percentile(o.checkout, 50)
        print(f"{o.name:<10} {o.placed:>6} {rate:>9.1f} {p50:>13.2f} "
              f"{o.percentile(o.checkout, 95):>8.2f} {o.percentile(o.checkout, 99):>8.2f} "
              f"{o.percentile(o.rounds, 50):>10.2f} {o.percentile(o.rounds, 95):>8.2f} "
              f"{o.percentile(o.rounds, 99):>8.2f} {p50 / base_p50:>9.2f} "
              f"{rate / baseline.throughput:>14.3f}")
        print(f"{'':<10} responses: {dict(sorted(o.statuses.items()))}")
    print("latencies in ms; 'round' = add to cart + check out")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000, help="per scenario (max 20000)")
    server_arguments(parser, concurrency=16, clients="one consumer each", run="per scenario")
    args = parser.parse_args()
    total = max(1, min(args.orders, 20_000))
    concurrency = max(1, min(args.concurrency, 64))
    time_limit = max(1.0, min(args.time_limit, 600.0))
    stock = 2 * total + 10  # never runs out: this measures placing, not refusing

    print(f"gunicorn: {args.workers} workers × {args.threads} threads per server; client: "
          f"{concurrency} consumers, {total} checkouts per scenario; {os.cpu_count()} CPU cores")
    with throwaway_postgres(args.admin_url) as (name, env, servers):
        started = time.perf_counter()
        migrate(env)
        shop = fill(env, concurrency, stock)
        print(f"PostgreSQL database {name} migrated and filled in "
              f"{time.perf_counter() - started:.1f} s")
        minimal, market = start_servers(env, servers, workers=args.workers,
                                        threads=args.threads)
        baseline = drive("minimal flask", minimal.port, "/ping", total=total,
                         concurrency=concurrency, time_limit=time_limit)
        outcomes = [shop_round(market.port, shop, total=total, hot=hot, name=label,
                               time_limit=time_limit)
                    for label, hot in (("hot", True), ("mixed", False))]
        stop_all(servers)
        orders, held = tally(env, shop)
    print()
    report(outcomes, baseline)
    placed = sum(o.placed for o in outcomes)
    agree = orders == placed == held
    print(f"database: {orders} orders, {held} units held, {placed} placed as answered: "
          f"{'consistent' if agree else 'INCONSISTENT'}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"baseline": {
            "throughput": baseline.throughput, "p50_ms": baseline.percentile(50)},
            "scenarios": [{"name": o.name, "placed": o.placed,
                           "orders_per_s": o.placed / o.elapsed if o.elapsed else 0.0,
                           "checkout_p50_ms": o.percentile(o.checkout, 50),
                           "checkout_p95_ms": o.percentile(o.checkout, 95),
                           "checkout_p99_ms": o.percentile(o.checkout, 99),
                           "statuses": o.statuses} for o in outcomes],
            "consistent": agree}, indent=2))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
