"""Checkout benchmark: hold-and-place throughput on PostgreSQL under gunicorn.

    python bench/run_checkout.py [--orders 1000] [--concurrency 16] [--workers 2] [--threads 4]
                                 [--scenarios hot,mixed,delivery]
                                 [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A throw-away PostgreSQL database is created (and dropped at the end), migrated through the
CLI, and filled with one shop: a store open around the clock that takes pickup orders paid at
the store, 20 product variants with plenty of stock, pickup slots of the largest capacity.
Each client thread is a signed-in consumer (a consumer token) that, in a loop, puts one item
in its cart (``POST /api/v1/consumer/cart/lines``) and checks out
(``POST /api/v1/consumer/checkout`` with an Idempotency-Key): the checkout locks the stock
row, holds the item, books the slot and writes the order, its lines, payment and audit rows.

Three scenarios (``--scenarios``, all by default), each its own run of ``--orders`` checkouts:

* **hot**: every buyer wants the same variant in the same slot — one stock row and one slot
  row that every transaction must lock in turn (the worst case);
* **mixed**: buyers spread over 20 variants and 20 slots;
* **delivery**: the shop has 4 more stores across Hồ Chí Minh City (5 in all, each open
  around the clock with the 20 variants in stock), its own riders (``delivery_local_courier``:
  distance tiers, a 15 km radius, same day, cash at the door, 2 attempts) and cash on
  delivery (``payment_cash_on_delivery``). Each buyer has a fixed address of its own, spread
  over the city within the radius; in a loop it puts one of the 20 variants in its cart, asks
  ``POST /api/v1/consumer/delivery-options`` for that typed address (cash on delivery) and
  checks out with fulfilment ``delivery``, the first offer's carrier and service, the same
  address and ``cash_on_delivery``: the checkout plans the parcel from the nearest store,
  quotes again, holds the stock there and writes the order, its delivery fee and shipment.

The riders promise **same day** only, with a cut-off of 23:59, so that the same offer comes
first at any hour of the run (before the cut-off by midnight, in the last minute of the day by
the next midnight) and runs started at different hours measure the same work.

It prints, per scenario, orders placed per second and the latency percentiles of the
checkout request, of the delivery-options request (delivery) and of the whole round, plus the
ratio to the minimal Flask endpoint (``bench/minimal_app.py``) served by the same gunicorn
settings and driven by the same client; then checks the database agrees (orders = successes,
stock held = orders; for deliveries one shipment per order, each from the store nearest to
that buyer's address — every store has more stock than a run can take, so the nearest always
has it — and how many were not is printed). Only 127.0.0.1 is contacted. A benchmark, not a
test: nothing is asserted about the numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
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
SCENARIOS = ("hot", "mixed", "delivery")

COURIER = "delivery_local_courier"
CASH_ON_DELIVERY = "payment_cash_on_delivery"
CITY = "Hồ Chí Minh"
# The first store (the pickup scenarios use only it) and, for deliveries, four more across
# the city: (name, street, district, latitude, longitude).
FIRST_STORE = ("Chi nhánh Quận 1", "1 Lê Lợi", "Quận 1", 10.7769, 106.7009)
MORE_STORES = (
    ("Chi nhánh Tân Bình", "12 Cộng Hòa", "Tân Bình", 10.8015, 106.6526),
    ("Chi nhánh Thủ Đức", "5 Võ Văn Ngân", "Thủ Đức", 10.8497, 106.7717),
    ("Chi nhánh Quận 7", "8 Nguyễn Văn Linh", "Quận 7", 10.7296, 106.7190),
    ("Chi nhánh Bình Tân", "30 Kinh Dương Vương", "Bình Tân", 10.7652, 106.6039),
)
RADIUS_KM = 15
# The riders' settings as the merchant types them in the dashboard (the plugin's form):
# same day only, its cut-off at the last minute of the day (see the module docstring).
COURIER_FORM = {"tiers": "3: 15000\n7 km: 25.000", "per_km_beyond": 5000,
                "zone_radius_km": str(RADIUS_KM), "same_day": True,
                "same_day_cutoff": "23:59", "express": False, "cod": True,
                "cod_max_basket": 50_000_000, "inspect_before_accept": True, "attempts": 2,
                "redelivery_fee": 10000}
# Buyers' addresses: a sunflower spiral around the city centre, 1 to 9 km out, so they spread
# evenly over the city and every one lies within the radius of its nearest store.
CITY_CENTRE = (10.7850, 106.6950)
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


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
    store_ids: list[int] = field(default_factory=list)  # every store (deliveries: five)
    addresses: list[dict] = field(default_factory=list)  # deliveries: each buyer's address
    nearest: list[int] = field(default_factory=list)  # and the store nearest to it


def buyer_position(index: int, count: int) -> tuple[float, float]:
    """Buyer ``index`` of ``count`` on the spiral: evenly spread, 1 to 9 km from the centre."""
    from marketplace.search.geo import EARTH_RADIUS_M

    metres = 1000 * (1 + 8 * math.sqrt((index + 0.5) / count))
    angle = index * GOLDEN_ANGLE
    lat = CITY_CENTRE[0] + math.degrees(metres * math.cos(angle) / EARTH_RADIUS_M)
    lng = CITY_CENTRE[1] + math.degrees(
        metres * math.sin(angle) / (EARTH_RADIUS_M * math.cos(math.radians(CITY_CENTRE[0]))))
    return round(lat, 6), round(lng, 6)


def nearest_store(stores: list[tuple[int, float, float]],
                  position: tuple[float, float]) -> tuple[int, float]:
    """(store id, metres) of the nearest store, ties to the lower id as the planner breaks
    them (``marketplace.delivery.planning.parcels``)."""
    from marketplace.search.geo import haversine_m

    return min(((store_id, haversine_m(lat, lng, *position)) for store_id, lat, lng in stores),
               key=lambda found: (found[1], found[0]))


def fill(env: dict[str, str], buyers: int, stock: int, *, delivery: bool = False) -> Shop:
    """One shop and ``buyers`` consumers, through the services (as the CLI would); with
    ``delivery``, four more stores, the merchant's riders and cash on delivery too."""
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
        stores = []
        for number, (name, street, _district, lat, lng) in enumerate(
                (FIRST_STORE, *MORE_STORES) if delivery else (FIRST_STORE,)):
            store = create_store(merchant, {
                "name": name, "address_line": street, "city": CITY, "latitude": lat,
                "longitude": lng, "pickup_enabled": number == 0, "pickup_lead_minutes": 0,
                "pickup_slot_minutes": 30, "pickup_orders_per_slot": 10_000},
                default_timezone="Asia/Ho_Chi_Minh")
            set_opening_hours(store, [{"weekday": d, "opens": "00:00", "closes": "00:00",
                                       "overnight": True} for d in range(7)])
            stores.append(store)
        store = stores[0]
        listing = create_listing(merchant, {"title": "Giày chạy bộ", "variants": [
            {"sku": f"RUN-{n:02d}", "price": 900_000 + n * 10_000,
             "options": {"size": str(36 + n)}} for n in range(VARIANTS)]})
        change_status(listing, "publish")
        for each in stores:
            for variant in listing.variants:
                adjust_stock(store=each, variant=variant, delta=stock, reason="receipt",
                             actor_id=None)
        if delivery:
            plugin_services.update_merchant_settings(merchant, COURIER, COURIER_FORM)
            plugin_services.set_enabled(merchant, COURIER, True)
            plugin_services.set_enabled(merchant, CASH_ON_DELIVERY, True)
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
                    [s.start.isoformat() for s in found], tokens, [s.id for s in stores])
        if delivery:
            places = [(s.id, s.latitude, s.longitude) for s in stores]
            districts = {s.id: district for s, (_n, _s, district, _la, _lo)
                         in zip(stores, (FIRST_STORE, *MORE_STORES), strict=True)}
            for n in range(buyers):
                lat, lng = buyer_position(n, buyers)
                store_id, metres = nearest_store(places, (lat, lng))
                if metres > RADIUS_KM * 1000:
                    sys.exit(f"buyer {n} at {lat}, {lng} is {metres:.0f} m from the nearest "
                             f"store, beyond the riders' {RADIUS_KM} km")
                shop.nearest.append(store_id)
                shop.addresses.append({
                    "label": "Nhà", "recipient_name": f"Khách {n}", "phone": f"09{n:08d}",
                    "line": f"{n + 1} Đường Số {n % 30 + 1}", "district": districts[store_id],
                    "city": CITY, "latitude": lat, "longitude": lng})
        db.session.remove()
        db.engine.dispose()
    return shop


@dataclass
class Tally:
    orders: int  # all orders
    held: int  # units held at the shop's stores
    deliveries: int = 0  # delivery orders
    shipments: int = 0
    not_one_shipment: int = 0  # delivery orders with no shipment or several
    not_nearest: int = 0  # shipments not from the store nearest the buyer's address
    by_store: dict[str, int] = field(default_factory=dict)  # shipments per store


def tally(env: dict[str, str], shop: Shop) -> Tally:
    """What the database holds, to compare with the answers."""
    import sqlalchemy as sa

    from marketplace import create_app
    from marketplace.delivery.models import Shipment
    from marketplace.extensions import db
    from marketplace.inventory.models import StockLevel
    from marketplace.orders.models import Order
    from marketplace.stores.models import Store

    app = create_app()
    with app.app_context():
        orders = db.session.scalar(sa.select(sa.func.count()).select_from(Order))
        held = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(StockLevel.reserved), 0))
                                 .where(StockLevel.store_id.in_(shop.store_ids)))
        found = Tally(orders, held)
        if shop.addresses:
            delivered = sa.select(Order.id).where(Order.fulfilment == "delivery")
            found.deliveries = db.session.scalar(
                sa.select(sa.func.count()).select_from(delivered.subquery()))
            found.shipments = db.session.scalar(sa.select(sa.func.count()).select_from(Shipment))
            per_order = (sa.select(Order.id, sa.func.count(Shipment.id).label("n"))
                         .outerjoin(Shipment, Shipment.order_id == Order.id)
                         .where(Order.fulfilment == "delivery").group_by(Order.id).subquery())
            found.not_one_shipment = db.session.scalar(
                sa.select(sa.func.count()).select_from(per_order).where(per_order.c.n != 1))
            expected = {a["recipient_name"]: (shop.nearest[n], a["latitude"], a["longitude"])
                        for n, a in enumerate(shop.addresses)}
            rows = db.session.execute(
                sa.select(Shipment.recipient_name, Shipment.latitude, Shipment.longitude,
                          Shipment.store_id, Order.store_id)
                .join(Order, Order.id == Shipment.order_id))
            for recipient, lat, lng, store_id, order_store_id in rows:
                nearest, want_lat, want_lng = expected.get(recipient, (None, None, None))
                if (store_id != nearest or order_store_id != store_id
                        or (lat, lng) != (want_lat, want_lng)):
                    found.not_nearest += 1
            found.by_store = dict(db.session.execute(
                sa.select(Store.name, sa.func.count(Shipment.id))
                .join(Shipment, Shipment.store_id == Store.id)
                .group_by(Store.id, Store.name).order_by(Store.id)).all())
        db.session.remove()
        db.engine.dispose()
    return found


# --- load ------------------------------------------------------------------------------------

@dataclass
class Outcome:
    name: str
    checkout: list[float] = field(default_factory=list)  # seconds, placed orders only
    rounds: list[float] = field(default_factory=list)    # add to cart (+ options) + checkout
    options: list[float] = field(default_factory=list)   # delivery options answered with offers
    statuses: dict[str, int] = field(default_factory=dict)
    offers: dict[str, int] = field(default_factory=dict)  # the first offer: carrier/service
    elapsed: float = 0.0

    @property
    def placed(self) -> int:
        return len(self.checkout)

    def percentile(self, values: list[float], q: float) -> float:
        probe = Result(self.name, "")
        probe.latencies = values
        return probe.percentile(q)


def post(conn: http.client.HTTPConnection, path: str, body: dict,
         headers: dict[str, str], *, method: str = "POST") -> tuple[int, dict]:
    conn.request(method, path, body=json.dumps(body),
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


def delivery_round(port: int, shop: Shop, *, total: int, time_limit: float) -> Outcome:
    """Each buyer: one item in the cart, the delivery options for its own address (cash at
    the door), then checkout with the first offer and cash on delivery."""
    outcome = Outcome("delivery")
    lock = threading.Lock()
    budget = Budget(total, time_limit)

    def count(counts: dict[str, int], key: str) -> None:
        with lock:
            counts[key] = counts.get(key, 0) + 1

    def empty(conn, cart: dict, auth: dict[str, str]) -> None:
        # A round that failed leaves its item in the cart: take it out, or the next round
        # would check out two units and the count of units held would no longer be orders.
        for line in cart.get("lines", ()):
            post(conn, f"/api/v1/consumer/cart/lines/{line['id']}", {}, auth, method="DELETE")

    def buyer(index: int, token: str) -> None:
        chooser = random.Random(index)
        address = shop.addresses[index]
        auth = {"Authorization": f"Bearer {token}", "Accept-Language": "vi"}
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        try:
            while budget.take():
                started = time.perf_counter()
                status, cart = post(conn, "/api/v1/consumer/cart/lines",
                                    {"variant_id": chooser.choice(shop.variants),
                                     "quantity": 1}, auth)
                if status != 201:
                    count(outcome.statuses, f"cart {status} {cart.get('code', '')}".strip())
                    continue
                asked = time.perf_counter()
                status, plan = post(conn, "/api/v1/consumer/delivery-options", {
                    "merchant_id": shop.merchant_id, "address": address,
                    "cash_on_delivery": True}, auth)
                answered = time.perf_counter()
                offers = plan.get("offers") or []
                count(outcome.statuses, f"options {status} "
                      f"{plan.get('code', '') or ('' if offers else 'no offer')}".strip())
                if status != 200 or not offers:
                    empty(conn, cart, auth)
                    continue
                with lock:
                    outcome.options.append(answered - asked)
                offer = offers[0]
                count(outcome.offers, f"{offer['carrier']}/{offer['service']}"
                      + (" split" if plan.get("split") else ""))
                checkout_started = time.perf_counter()
                status, body = post(conn, "/api/v1/consumer/checkout", {
                    "cart_version": cart["version"],
                    "orders": [{"merchant_id": shop.merchant_id, "fulfilment": "delivery",
                                "address": address, "carrier": offer["carrier"],
                                "service": offer["service"],
                                "accept_split": bool(plan.get("split")),
                                "payment_provider": "cash_on_delivery"}]},
                    {**auth, "Idempotency-Key": str(uuid.uuid4())})
                finished = time.perf_counter()
                count(outcome.statuses, f"checkout {status} {body.get('code', '')}".strip())
                if status == 201:
                    with lock:
                        outcome.checkout.append(finished - checkout_started)
                        outcome.rounds.append(finished - started)
                else:
                    empty(conn, cart, auth)
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
        if o.options:
            options_p50 = o.percentile(o.options, 50)
            print(f"{'  options':<10} {len(o.options):>6} {'':>9} {options_p50:>13.2f} "
                  f"{o.percentile(o.options, 95):>8.2f} {o.percentile(o.options, 99):>8.2f} "
                  f"{'':>10} {'':>8} {'':>8} {options_p50 / base_p50:>9.2f}"
                  f"{'':>15}   (POST delivery-options)")
        print(f"{'':<10} responses: {dict(sorted(o.statuses.items()))}")
        if o.offers:
            print(f"{'':<10} first offer: {dict(sorted(o.offers.items()))}")
    print("latencies in ms; 'round' = add to cart (+ delivery options) + check out; the "
          "options row counts the answers with offers")


def scenario_list(text: str) -> list[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(SCENARIOS)}, "
                                         "separated by commas")
    return [name for name in SCENARIOS if name in chosen]  # each once, in the usual order


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000, help="per scenario (max 20000)")
    parser.add_argument("--scenarios", type=scenario_list, default=list(SCENARIOS),
                        help=f"comma-separated, among {','.join(SCENARIOS)} (default: all)")
    server_arguments(parser, concurrency=16, clients="one consumer each", run="per scenario")
    args = parser.parse_args()
    total = max(1, min(args.orders, 20_000))
    concurrency = max(1, min(args.concurrency, 64))
    time_limit = max(1.0, min(args.time_limit, 600.0))
    stock = 2 * total + 10  # never runs out: this measures placing, not refusing

    print(f"gunicorn: {args.workers} workers × {args.threads} threads per server; client: "
          f"{concurrency} consumers, {total} checkouts per scenario "
          f"({', '.join(args.scenarios)}); {os.cpu_count()} CPU cores")
    with throwaway_postgres(args.admin_url) as (name, env, servers):
        started = time.perf_counter()
        migrate(env)
        shop = fill(env, concurrency, stock, delivery="delivery" in args.scenarios)
        print(f"PostgreSQL database {name} migrated and filled in "
              f"{time.perf_counter() - started:.1f} s")
        minimal, market = start_servers(env, servers, workers=args.workers,
                                        threads=args.threads)
        baseline = drive("minimal flask", minimal.port, "/ping", total=total,
                         concurrency=concurrency, time_limit=time_limit)
        outcomes = [delivery_round(market.port, shop, total=total, time_limit=time_limit)
                    if label == "delivery" else
                    shop_round(market.port, shop, total=total, hot=label == "hot", name=label,
                               time_limit=time_limit)
                    for label in args.scenarios]
        stop_all(servers)
        found = tally(env, shop)
    print()
    report(outcomes, baseline)
    placed = sum(o.placed for o in outcomes)
    agree = found.orders == placed == found.held
    print(f"database: {found.orders} orders, {found.held} units held, {placed} placed as "
          f"answered: {'consistent' if agree else 'INCONSISTENT'}")
    delivered = sum(o.placed for o in outcomes if o.name == "delivery")
    if "delivery" in args.scenarios:
        fine = (found.deliveries == delivered == found.shipments
                and not found.not_one_shipment and not found.not_nearest)
        print(f"deliveries: {found.deliveries} orders, {delivered} placed as answered, "
              f"{found.shipments} shipments, {found.not_one_shipment} orders without exactly "
              f"one, {found.not_nearest} not from the nearest store with stock: "
              f"{'consistent' if fine else 'INCONSISTENT'}")
        print(f"{'':<12}shipments by store: {found.by_store}")
        agree = agree and fine
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"baseline": {
            "throughput": baseline.throughput, "p50_ms": baseline.percentile(50)},
            "scenarios": [{"name": o.name, "placed": o.placed,
                           "orders_per_s": o.placed / o.elapsed if o.elapsed else 0.0,
                           "checkout_p50_ms": o.percentile(o.checkout, 50),
                           "checkout_p95_ms": o.percentile(o.checkout, 95),
                           "checkout_p99_ms": o.percentile(o.checkout, 99),
                           "round_p50_ms": o.percentile(o.rounds, 50),
                           "round_p95_ms": o.percentile(o.rounds, 95),
                           "round_p99_ms": o.percentile(o.rounds, 99),
                           **({"options_p50_ms": o.percentile(o.options, 50),
                               "options_p95_ms": o.percentile(o.options, 95),
                               "options_p99_ms": o.percentile(o.options, 99),
                               "first_offers": o.offers} if o.name == "delivery" else {}),
                           "statuses": o.statuses} for o in outcomes],
            "database": vars(found), "consistent": agree}, indent=2))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
