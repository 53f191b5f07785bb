"""Redemption benchmark: codes redeemed at the counter through the API, on PostgreSQL under
gunicorn.

    python bench/redeem.py [--codes 2000] [--concurrency 16] [--workers 2] [--threads 4]
                           [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A throw-away PostgreSQL database is created (and dropped at the end), migrated through the
CLI, and filled with one shop whose ``--codes`` pickup orders (paid at the store) are ready at
the counter (one item each, spread over 40 products), each with its signed QR code. Client
threads, each a staff member with a token
and a scanner device id, take the codes one by one and redeem them with
``POST /api/v1/redemptions`` (a fresh nonce, ``payment_taken``): the request verifies the
Ed25519 signature, locks the code's row, hands the order over (stock sold, payment taken,
ledger row, audit rows), logs the attempt and commits. Rate limits are on, as in production.

It prints redemptions per second and latency percentiles, with the ratio to the minimal Flask
endpoint (``bench/minimal_app.py``) served by the same gunicorn settings and driven by the
same client, then checks the database agrees (redeemed codes = successes = orders collected).
Only 127.0.0.1 is contacted. A benchmark, not a test: nothing is asserted about the numbers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import sys
import threading
import time
import uuid
from datetime import timedelta

from run_checkout import migrate, post, server_arguments, stop_all, throwaway_postgres
from run_http import HOST, Result, compare, drive, run_clients, start_servers

# Orders spread over this many products: a counter hands over different things, and one hot
# stock row would measure that row's lock, not redemption.
VARIANTS = 40


def fill(env: dict[str, str], codes: int, members: int) -> tuple[int, list[str], list[str]]:
    """One shop, ``codes`` ready pickup orders and ``members`` staff tokens, through the
    services. Returns the store id, the QR payloads and the tokens."""
    os.environ.update(env)
    from marketplace import create_app
    from marketplace.accounts.services import create_token, register_user
    from marketplace.cart import services as carts
    from marketplace.catalog.services import change_status, create_listing
    from marketplace.database import utcnow
    from marketplace.extensions import db
    from marketplace.fulfilment import slots as pickup_slots
    from marketplace.inventory.services import adjust_stock
    from marketplace.merchants.models import Membership
    from marketplace.merchants.services import change_status as merchant_status
    from marketplace.merchants.services import create_merchant
    from marketplace.orders import checkout, lifecycle
    from marketplace.orders.audit import Actor
    from marketplace.plugins import services as plugin_services
    from marketplace.redemption import services as redemption
    from marketplace.stores.services import create_store, set_opening_hours

    app = create_app()
    with app.app_context():
        password = secrets.token_urlsafe(16)  # nobody logs in: tokens only, database dropped
        owner = register_user(email="owner@bench.example.vn", password=password,
                              full_name="Chủ quán")
        admin = register_user(email="admin@bench.example.vn", password=password,
                              full_name="Quản trị")
        admin.is_platform_admin = True
        merchant = create_merchant(owner=owner, data={"name": "Cà phê Bench"}, commission_bp=0)
        merchant_status(merchant, "approve", actor=admin)
        plugin_services.set_enabled(merchant, "payment_pay_at_store", True)
        store = create_store(merchant, {
            "name": "Quầy Nguyễn Huệ", "address_line": "1 Nguyễn Huệ", "city": "Hồ Chí Minh",
            "latitude": 10.7743, "longitude": 106.7038, "pickup_enabled": True,
            "pickup_lead_minutes": 0, "pickup_slot_minutes": 30,
            "pickup_orders_per_slot": 10_000}, default_timezone="Asia/Ho_Chi_Minh")
        set_opening_hours(store, [{"weekday": d, "opens": "00:00", "closes": "00:00",
                                   "overnight": True} for d in range(7)])
        listing = create_listing(merchant, {"title": "Cà phê", "variants": [
            {"sku": f"CF-{n:02d}", "price": 29_000 + 1_000 * n, "options": {"size": str(n)}}
            for n in range(VARIANTS)]})
        change_status(listing, "publish")
        for variant in listing.variants:
            adjust_stock(store=store, variant=variant, delta=codes, reason="receipt",
                         actor_id=None)
        buyer = register_user(email="buyer@bench.example.vn", password=password,
                              full_name="Khách quen")
        tomorrow = pickup_slots.local_today(store, utcnow()) + timedelta(days=1)
        slot = pickup_slots.day_slots(store, tomorrow)[0]
        actor = Actor.staff(owner)
        payloads = []
        for n in range(codes):
            cart = carts.cart_of_user(buyer, create=True)
            carts.add_item(cart, listing.variants[n % VARIANTS].id, 1)
            order = checkout.place(cart, customer=buyer, cart_version=carts.version(cart),
                                   raw_choices=[{
                                       "merchant_id": merchant.id, "fulfilment": "pickup",
                                       "store_id": store.id, "slot_start": slot.start.isoformat(),
                                       "payment_provider": "pay_at_store"}]).orders[0]
            lifecycle.mark_ready(order, actor=actor)
            payloads.append(redemption.current("pickup", order.id).payload)
            if n % 200 == 199:
                db.session.commit()
        tokens = []
        for n in range(members):
            user = register_user(email=f"staff{n}@bench.example.vn", password=password,
                                 full_name=f"Nhân viên {n}")
            db.session.add(Membership(merchant_id=merchant.id, user_id=user.id, role="staff"))
            tokens.append(create_token(user=user, merchant_id=merchant.id, name="bench")[1])
        db.session.commit()
        store_id = store.id
        db.session.remove()
        db.engine.dispose()
    return store_id, payloads, tokens


def redeem_all(port: int, store_id: int, payloads: list[str], tokens: list[str], *,
               time_limit: float) -> Result:
    result = Result("redeem", "/api/v1/redemptions")
    lock = threading.Lock()
    queue = list(reversed(payloads))
    deadline = time.monotonic() + time_limit

    def take() -> str | None:
        with lock:
            return queue.pop() if queue and time.monotonic() < deadline else None

    def counter(index: int, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "vi",
                   "X-Scanner-Device": f"bench-counter-{index}"}
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        try:
            while (payload := take()) is not None:
                started = time.perf_counter()
                status, body = post(conn, "/api/v1/redemptions", {
                    "code": payload, "store_id": store_id, "nonce": str(uuid.uuid4()),
                    "details": {"payment_taken": True}}, headers)
                took = time.perf_counter() - started
                with lock:
                    key = f"{status} {body.get('outcome', '')}".strip()
                    result.statuses[key] = result.statuses.get(key, 0) + 1
                    if status == 200:
                        result.latencies.append(took)
                    else:
                        result.errors += 1
        finally:
            conn.close()

    result.elapsed = run_clients(counter, list(enumerate(tokens)), time_limit=time_limit)
    return result


def tally(env: dict[str, str]) -> tuple[int, int]:
    import sqlalchemy as sa

    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.orders.models import Order
    from marketplace.redemption.models import RedeemableCode

    app = create_app()
    with app.app_context():
        redeemed = db.session.scalar(sa.select(sa.func.count()).select_from(RedeemableCode)
                                     .where(RedeemableCode.state == "redeemed"))
        collected = db.session.scalar(sa.select(sa.func.count()).select_from(Order)
                                      .where(Order.state == "collected"))
        db.session.remove()
        db.engine.dispose()
    return redeemed, collected


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--codes", type=int, default=2000, help="codes to redeem (max 20000)")
    server_arguments(parser, concurrency=16, clients="one staff member each", run="for the run")
    args = parser.parse_args()
    codes = max(1, min(args.codes, 20_000))
    concurrency = max(1, min(args.concurrency, 64))
    time_limit = max(1.0, min(args.time_limit, 600.0))

    print(f"gunicorn: {args.workers} workers × {args.threads} threads per server; client: "
          f"{concurrency} staff members, {codes} codes; {os.cpu_count()} CPU cores")
    with throwaway_postgres(args.admin_url) as (name, env, servers):
        env["RATELIMIT_ENABLED"] = "1"  # as in production
        started = time.perf_counter()
        migrate(env)
        store_id, payloads, tokens = fill(env, codes, concurrency)
        print(f"PostgreSQL database {name} migrated, {codes} orders made ready in "
              f"{time.perf_counter() - started:.1f} s")
        minimal, market = start_servers(env, servers, workers=args.workers,
                                        threads=args.threads)
        baseline = drive("minimal flask", minimal.port, "/ping", total=codes,
                         concurrency=concurrency, time_limit=time_limit)
        outcome = redeem_all(market.port, store_id, payloads, tokens,
                             time_limit=time_limit)
        stop_all(servers)
        redeemed, collected = tally(env)
    ok = len(outcome.latencies)
    print()
    compare([("minimal /ping", baseline), ("POST redeem", outcome)], baseline)
    print(f"responses: {dict(sorted(outcome.statuses.items()))}")
    agree = redeemed == ok == collected
    print(f"database: {redeemed} codes redeemed, {collected} orders collected, {ok} redeemed "
          f"as answered: {'consistent' if agree else 'INCONSISTENT'}")
    print("targets: ≥ 200 redemptions/s, p95 ≤ 100 ms")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "baseline": {"throughput": baseline.throughput,
                         "p50_ms": baseline.percentile(50), "p95_ms": baseline.percentile(95)},
            "redeem": {"redeemed": ok, "per_s": outcome.throughput,
                       "p50_ms": outcome.percentile(50), "p95_ms": outcome.percentile(95),
                       "p99_ms": outcome.percentile(99), "statuses": outcome.statuses},
            "consistent": agree}, indent=2))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
