"""Appointment benchmark: availability and booking through the API, on PostgreSQL under
gunicorn.

    python bench/slots.py [--bookings 2000] [--staff 20] [--rooms 10] [--requests 1000]
                          [--holds 600] [--concurrency 8] [--workers 2] [--threads 4]
                          [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A throw-away PostgreSQL database is created (and dropped at the end), migrated through the
CLI, and filled through the services with one spa: a store open 08:00–22:00 every day, a
60-minute massage that needs a therapist and a room at once (15 minutes to tidy after, a
15-minute grid, a 30-day horizon), ``--staff`` therapists, ``--rooms`` rooms, and
``--bookings`` confirmed bookings spread over the horizon.

Two measurements, each with the ratio to the minimal Flask endpoint (``bench/minimal_app.py``)
served by the same gunicorn settings and driven by the same client:

* **availability**: ``GET /api/v1/consumer/booking/services/<id>/availability?store=&date=``
  for the busiest days of the horizon, round robin (public, no token): the engine reads every
  occupancy of the day's staff and rooms and computes each start's free people and rooms;
* **holds**: consumers (each with a consumer token) hold a slot
  (``POST /api/v1/consumer/bookings``) and confirm it, at random starts of the horizon, so
  some collide: holds per second, latency, and how many were refused as taken (409).

Then the database is checked: no staff member or room in two overlapping occupancies, and
one booking per successful hold. Only 127.0.0.1 is contacted. A benchmark, not a test:
nothing is asserted about the numbers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import sys
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from run_checkout import migrate, post, server_arguments, stop_all, throwaway_postgres
from run_http import HOST, Budget, Result, compare, drive, run_clients, start_servers

PLUGIN = "booking_appointments"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OPEN, CLOSE = 8, 22


def _plugin(name: str):
    import importlib

    return importlib.import_module(f"marketplace_builtins.{PLUGIN}.{name}")


def fill(env: dict[str, str], *, bookings: int, staff: int, rooms: int,
         customers: int) -> dict:
    """The spa, its calendar and ``customers`` consumer tokens, through the services."""
    os.environ.update(env)
    import sqlalchemy as sa

    from marketplace import create_app
    from marketplace.accounts.services import create_token, register_user
    from marketplace.catalog.services import change_status, create_listing
    from marketplace.database import utcnow
    from marketplace.errors import MarketplaceError
    from marketplace.extensions import db
    from marketplace.merchants.services import change_status as merchant_status
    from marketplace.merchants.services import create_merchant
    from marketplace.plugins import services as plugin_services
    from marketplace.stores.services import create_store, set_opening_hours

    app = create_app()
    with app.app_context():
        setup, booking = _plugin("setup"), _plugin("booking")
        password = secrets.token_urlsafe(16)  # nobody logs in: tokens only, database dropped
        owner = register_user(email="owner@bench.example.vn", password=password,
                              full_name="Chủ spa")
        admin = register_user(email="admin@bench.example.vn", password=password,
                              full_name="Quản trị")
        admin.is_platform_admin = True
        merchant = create_merchant(owner=owner, data={"name": "Spa Bench"}, commission_bp=0)
        merchant_status(merchant, "approve", actor=admin)
        plugin_services.set_enabled(merchant, PLUGIN, True)
        store = create_store(merchant, {
            "name": "Spa Nguyễn Huệ", "address_line": "1 Nguyễn Huệ", "city": "Hồ Chí Minh",
            "latitude": 10.7743, "longitude": 106.7038}, default_timezone="Asia/Ho_Chi_Minh")
        set_opening_hours(store, [{"weekday": d, "opens": f"{OPEN:02d}:00",
                                   "closes": f"{CLOSE:02d}:00"} for d in range(7)])
        listing = create_listing(merchant, {"title": "Massage 60 phút", "kind": "service",
                                            "duration_minutes": 60, "price": 300_000})
        change_status(listing, "publish")
        service = setup.configure_service(listing, {
            "needs_staff": True, "needs_resource": True, "buffer_after_minutes": 15,
            "step_minutes": 15, "lead_minutes": 60, "horizon_days": 30,
            "store_ids": [store.id]})
        for n in range(staff):
            setup.create_resource(merchant.id, {"store_id": store.id, "kind": "staff",
                                                "name": f"KTV {n + 1}",
                                                "service_ids": [service.id]})
        for n in range(rooms):
            setup.create_resource(merchant.id, {"store_id": store.id, "kind": "room",
                                                "name": f"Phòng {n + 1}",
                                                "service_ids": [service.id]})
        guest = register_user(email="guest@bench.example.vn", password=password,
                              full_name="Khách quen")
        db.session.commit()
        rng = random.Random(7)
        today = utcnow().astimezone(TZ).date()
        made = tries = 0
        while made < bookings and tries < bookings * 5:
            tries += 1
            day = today + timedelta(days=rng.randint(1, 30))
            start = datetime(day.year, day.month, day.day, OPEN, tzinfo=TZ) + timedelta(
                minutes=15 * rng.randrange((CLOSE - OPEN - 1) * 4 + 1))
            try:
                with db.session.begin_nested():  # a refused try takes back only itself
                    held = booking.hold(service, store, start, customer=guest)
                    booking.confirm(held, customer=guest)
            except MarketplaceError:
                continue
            made += 1
            if made % 200 == 0:
                db.session.commit()
        db.session.commit()
        tokens = []
        for n in range(customers):
            user = register_user(email=f"khach{n}@bench.example.vn", password=password,
                                 full_name=f"Khách {n}")
            tokens.append(create_token(user=user, merchant_id=None, name="bench")[1])
        db.session.commit()
        busiest = [day.isoformat() for day, _count in db.session.execute(sa.text(
                "SELECT (starts_at + interval '7 hours')::date AS day, count(*) "
                "FROM booking_appointments_bookings GROUP BY 1 ORDER BY 2 DESC LIMIT 5"))]
        info = {"listing": listing.id, "store": store.id, "made": made, "tokens": tokens,
                "busiest": busiest, "today": today.isoformat()}
        db.session.remove()
        db.engine.dispose()
    return info


def availability(port: int, info: dict, *, total: int, concurrency: int,
                 time_limit: float) -> Result:
    # Round robin over the busiest days: one path per run of ``drive``, summed.
    per_day = max(total // len(info["busiest"]), 1)
    merged = Result("availability", "/api/v1/consumer/booking/services/…/availability")
    for day in info["busiest"]:
        path = (f"/api/v1/consumer/booking/services/{info['listing']}/availability"
                f"?store={info['store']}&date={day}")
        run = drive("availability", port, path, total=per_day, concurrency=concurrency,
                    time_limit=time_limit)
        merged.latencies += run.latencies
        merged.errors += run.errors
        merged.elapsed += run.elapsed
        for status, count in run.statuses.items():
            merged.statuses[status] = merged.statuses.get(status, 0) + count
    return merged


def holds(port: int, info: dict, *, total: int, concurrency: int,
          time_limit: float) -> Result:
    """Each client: hold a random start, confirm it; ``total`` attempts in all."""
    result = Result("hold + confirm", "/api/v1/consumer/bookings")
    lock = threading.Lock()
    budget = Budget(total, time_limit)
    today = datetime.fromisoformat(info["today"]).date()

    def client(index: int) -> None:
        rng = random.Random(index)
        headers = {"Authorization": f"Bearer {info['tokens'][index]}", "Accept-Language": "vi"}
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        try:
            while budget.take():
                day = today + timedelta(days=rng.randint(1, 30))
                start = datetime(day.year, day.month, day.day, OPEN, tzinfo=TZ) + timedelta(
                    minutes=15 * rng.randrange((CLOSE - OPEN - 1) * 4 + 1))
                began = time.perf_counter()
                status, body = post(conn, "/api/v1/consumer/bookings", {
                    "listing_id": info["listing"], "store_id": info["store"],
                    "start": start.isoformat()}, headers)
                if status == 201:
                    status, body = post(
                        conn, f"/api/v1/consumer/bookings/{body['reference']}/confirm", {},
                        headers)
                took = time.perf_counter() - began
                with lock:
                    key = f"{status} {body.get('code', '')}".strip()
                    result.statuses[key] = result.statuses.get(key, 0) + 1
                    if status == 200:
                        result.latencies.append(took)
                    else:
                        result.errors += 1
        finally:
            conn.close()

    result.elapsed = run_clients(client, [(i,) for i in range(concurrency)],
                                 time_limit=time_limit)
    return result


def tally(env: dict[str, str]) -> tuple[int, int]:
    """Overlapping occupancy pairs (must be 0) and confirmed bookings."""
    import sqlalchemy as sa

    from marketplace import create_app
    from marketplace.extensions import db

    app = create_app()
    with app.app_context():
        overlaps = db.session.scalar(sa.text(
            "SELECT count(*) FROM booking_appointments_occupancies a "
            "JOIN booking_appointments_occupancies b ON a.resource_id = b.resource_id "
            "AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at"))
        confirmed = db.session.scalar(sa.text(
            "SELECT count(*) FROM booking_appointments_bookings WHERE state = 'confirmed'"))
        db.session.remove()
        db.engine.dispose()
    return overlaps, confirmed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=2000)
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--requests", type=int, default=1000,
                        help="availability requests (spread over the 5 busiest days)")
    parser.add_argument("--holds", type=int, default=600, help="hold-and-confirm attempts")
    server_arguments(parser, concurrency=8, clients="one consumer each", run="per measurement")
    args = parser.parse_args()
    concurrency = max(1, min(args.concurrency, 64))
    time_limit = max(1.0, min(args.time_limit, 600.0))

    print(f"gunicorn: {args.workers} workers × {args.threads} threads per server; client: "
          f"{concurrency} threads; {os.cpu_count()} CPU cores")
    with throwaway_postgres(args.admin_url) as (name, env, servers):
        started = time.perf_counter()
        migrate(env)
        info = fill(env, bookings=args.bookings, staff=args.staff, rooms=args.rooms,
                    customers=concurrency)
        print(f"PostgreSQL database {name}: {args.staff} therapists, {args.rooms} rooms, "
              f"{info['made']} confirmed bookings in the 30-day horizon, made in "
              f"{time.perf_counter() - started:.1f} s")
        minimal, market = start_servers(env, servers, workers=args.workers,
                                        threads=args.threads)
        baseline = drive("minimal flask", minimal.port, "/ping", total=args.requests,
                         concurrency=concurrency, time_limit=time_limit)
        slots = availability(market.port, info, total=args.requests,
                             concurrency=concurrency, time_limit=time_limit)
        booked = holds(market.port, info, total=args.holds, concurrency=concurrency,
                       time_limit=time_limit)
        stop_all(servers)
        overlaps, confirmed = tally(env)
    print()
    compare([("minimal /ping", baseline), ("availability", slots), ("hold + confirm", booked)],
            baseline)
    print(f"availability answers: {dict(sorted(slots.statuses.items()))}")
    print(f"hold answers: {dict(sorted(booked.statuses.items()))}")
    expected = info["made"] + len(booked.latencies)
    agree = overlaps == 0 and confirmed == expected
    print(f"database: {overlaps} overlapping occupancies, {confirmed} confirmed bookings "
          f"({info['made']} made before + {len(booked.latencies)} by the clients): "
          f"{'consistent' if agree else 'INCONSISTENT'}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "baseline": {"throughput": baseline.throughput, "p50_ms": baseline.percentile(50),
                         "p95_ms": baseline.percentile(95)},
            "availability": {"per_s": slots.throughput, "p50_ms": slots.percentile(50),
                             "p95_ms": slots.percentile(95), "p99_ms": slots.percentile(99)},
            "holds": {"confirmed": len(booked.latencies), "per_s": booked.throughput,
                      "p50_ms": booked.percentile(50), "p95_ms": booked.percentile(95),
                      "statuses": booked.statuses},
            "consistent": agree}, indent=2))
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
