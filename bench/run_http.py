"""HTTP benchmark: the marketplace under gunicorn against a minimal Flask app under gunicorn.

    python bench/run_http.py [--requests 400] [--concurrency 8] [--workers 2] [--threads 4]

Both servers run with the same gunicorn settings (``gunicorn.conf.py``, same worker and thread
count) on loopback ports. The marketplace gets a throw-away instance folder with a SQLite
database migrated and filled with the demo data through the CLI, exactly as ``make run`` does.
A bounded number of client threads (each with one keep-alive connection) then sends a bounded
number of requests, with a time limit, to each endpoint, and the script prints throughput and
latency percentiles and their ratio to the minimal app. Only 127.0.0.1 is ever contacted.

This is a benchmark, not a test: nothing is asserted about the numbers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


# --- servers ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def marketplace_command() -> list[str]:
    script = Path(sys.executable).parent / "marketplace"
    if script.exists():
        return [str(script)]
    found = shutil.which("marketplace")
    if not found:
        sys.exit("the `marketplace` command is not installed: run `make bench` (or `make setup`)")
    return [found]


def app_environment(instance: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}",
        "MARKETPLACE_INSTANCE_PATH": str(instance),
        "OUTBOX_INPROCESS": "0",
        "RATELIMIT_ENABLED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.pop("REDIS_URL", None)
    env.pop("MEILISEARCH_URL", None)
    return env


def prepare_database(env: dict[str, str]) -> None:
    cli = marketplace_command()
    for args in (["db", "upgrade"], ["demo-data", "--quiet"]):
        done = subprocess.run(cli + args, env=env, cwd=ROOT, timeout=300,
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"`marketplace {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")


# Two shop pages of the demo data: one in the default theme without plugins, one in the
# Hội An theme with the example plugin (examples/o2o-new-arrivals) enabled when installed —
# the cost of a second theme environment, plugin dispatch and a plugin's slot query.
PLAIN_SHOP, THEMED_SHOP = "/m/moc-lan", "/m/suong-som"


def enable_example_plugin(env: dict[str, str]) -> bool:
    cli = marketplace_command()
    listed = subprocess.run(cli + ["plugins", "list"], env=env, cwd=ROOT, timeout=120,
                            capture_output=True, text=True)
    if "new_arrivals" not in listed.stdout:
        return False
    for args in (["plugins", "enable", "new_arrivals"],
                 ["plugins", "enable", "new_arrivals", "--merchant", THEMED_SHOP[3:]],
                 ["outbox", "drain"]):
        done = subprocess.run(cli + args, env=env, cwd=ROOT, timeout=120,
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"`marketplace {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    return True


class Server:
    """One gunicorn master, started with ``gunicorn.conf.py`` and stopped on exit."""

    def __init__(self, name: str, target: str, env: dict[str, str], *, workers: int,
                 threads: int, pythonpath: str | None = None) -> None:
        self.name = name
        self.port = free_port()
        env = dict(env)
        env.update({"GUNICORN_BIND": f"{HOST}:{self.port}", "GUNICORN_WORKERS": str(workers),
                    "GUNICORN_THREADS": str(threads), "GUNICORN_ACCESS_LOG": os.devnull,
                    "GUNICORN_LOG_LEVEL": "warning", "GUNICORN_MAX_REQUESTS": "0"})
        command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
        if pythonpath:
            command += ["--pythonpath", pythonpath]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command + [target], env=env, cwd=ROOT,
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", path)
                if conn.getresponse().status < 500:
                    conn.close()
                    return
            except OSError:
                time.sleep(0.2)
        self.log.seek(0)
        output = self.log.read().decode(errors="replace")[-3000:]
        self.stop()
        sys.exit(f"{self.name} did not start on port {self.port}:\n{output}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def start_servers(env: dict[str, str], servers: list[Server], *, workers: int,
                  threads: int) -> tuple[Server, Server]:
    """The minimal app and the marketplace under the same gunicorn settings, both answering.

    They are appended to ``servers`` as soon as they start, so the caller's cleanup stops
    them even when one of them never becomes ready."""
    minimal = Server("minimal", "minimal_app:app", env, workers=workers, threads=threads,
                     pythonpath=str(ROOT / "bench"))
    servers.append(minimal)
    market = Server("marketplace", "wsgi:app", env, workers=workers, threads=threads)
    servers.append(market)
    minimal.wait_ready("/ping")
    market.wait_ready("/healthz")
    return minimal, market


# --- load ------------------------------------------------------------------------------------

@dataclass
class Result:
    name: str
    path: str
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    reconnects: int = 0  # retried once on a new connection after the server closed keep-alive
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return cuts[int(q) - 1] * 1000


class Budget:
    """What client threads take their requests from: at most ``total``, and none once
    ``time_limit`` seconds have passed."""

    def __init__(self, total: int, time_limit: float) -> None:
        self._lock = threading.Lock()
        self._left = total
        self._deadline = time.monotonic() + time_limit

    def take(self) -> bool:
        with self._lock:
            if self._left <= 0 or time.monotonic() > self._deadline:
                return False
            self._left -= 1
            return True


def run_clients(client, arguments: list[tuple], *, time_limit: float) -> float:
    """One thread per tuple of ``arguments`` running ``client(*args)``, started together;
    returns the seconds until the last one finished (a stuck one is given up on after the
    time limit and two minutes more)."""
    threads = [threading.Thread(target=client, args=args, daemon=True) for args in arguments]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(time_limit + 120)
    return time.perf_counter() - started


def drive(name: str, port: int, path: str, *, total: int, concurrency: int,
          time_limit: float, warmup: int = 20) -> Result:
    """Send ``total`` GETs with ``concurrency`` threads, stopping early after ``time_limit``."""
    result = Result(name, path)
    lock = threading.Lock()
    remaining = [total]
    deadline = [0.0]

    def take() -> bool:
        with lock:
            if remaining[0] <= 0 or time.monotonic() > deadline[0]:
                return False
            remaining[0] -= 1
            return True

    def worker(record: bool) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            while take():
                started = time.perf_counter()
                status = 0
                # A server may close an idle keep-alive connection just as a request is sent on
                # it; HTTP clients (browsers, urllib3) then retry once on a new connection, and
                # so do we. Only a failure on a fresh connection is an error.
                for attempt in range(2):
                    try:
                        conn.request("GET", path, headers={"Accept-Language": "vi"})
                        response = conn.getresponse()
                        response.read()
                        status = response.status
                        break
                    except (OSError, http.client.HTTPException):
                        conn.close()
                        conn = http.client.HTTPConnection(HOST, port, timeout=30)
                        if record and attempt == 0:
                            with lock:
                                result.reconnects += 1
                took = time.perf_counter() - started
                if record:
                    with lock:
                        result.statuses[status] = result.statuses.get(status, 0) + 1
                        if 200 <= status < 400:
                            result.latencies.append(took)
                        else:
                            result.errors += 1
        finally:
            conn.close()

    def run(count: int, record: bool) -> float:
        remaining[0] = count
        deadline[0] = time.monotonic() + time_limit
        threads = [threading.Thread(target=worker, args=(record,), daemon=True)
                   for _ in range(concurrency)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(time_limit + 60)
        return time.perf_counter() - started

    run(warmup, record=False)
    result.elapsed = run(total, record=True)
    return result


# --- finding concrete pages --------------------------------------------------------------------

HREF = re.compile(r'href="([^"#]+)"')


def fetch(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers={"Accept-Language": "vi"})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", errors="replace")
    finally:
        conn.close()


def discover_pages(port: int, env: dict[str, str]) -> dict[str, str]:
    """Crawl the storefront from "/" and name a listing page and a store page.

    Links are classified with the app's own URL map (views of the storefront blueprint whose
    names contain "listing" or "store"), so the benchmark follows the routes as they are."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "MARKETPLACE_INSTANCE_PATH",
                                           "OUTBOX_INPROCESS", "RATELIMIT_ENABLED")})
    from werkzeug.exceptions import HTTPException

    from marketplace import create_app

    adapter = create_app().url_map.bind("localhost")
    found: dict[str, str] = {}
    queue, seen = ["/"], {"/"}
    while queue and len(seen) <= 40 and len(found) < 2:
        status, body = fetch(port, queue.pop(0))
        if status != 200:
            continue
        for href in HREF.findall(body):
            parts = urlsplit(urljoin("/", href.replace("&amp;", "&")))
            if parts.netloc or not parts.path.startswith("/") or parts.path in seen:
                continue
            try:
                endpoint, _args = adapter.match(parts.path, method="GET")
            except HTTPException:
                continue
            blueprint, _, view = endpoint.partition(".")
            if blueprint != "storefront":
                continue
            seen.add(parts.path)
            kind = "listing" if "listing" in view else "store" if "store" in view else None
            if kind and kind not in found:
                found[kind] = parts.path
            queue.append(parts.path)
    return found


# --- report ----------------------------------------------------------------------------------

def compare(rows: list[tuple[str, Result]], baseline: Result) -> None:
    """A table of measurements beside the minimal endpoint's: successful requests,
    throughput, latency percentiles and the ratios of p50 and throughput to the minimal."""
    head = (f"{'measurement':<16} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'p99 ms':>8} {'p50 ×min':>9} {'req/s ×min':>11}")
    print(head)
    print("-" * len(head))
    for label, res in rows:
        print(f"{label:<16} {len(res.latencies):>8} {res.throughput:>8.1f} "
              f"{res.percentile(50):>8.2f} {res.percentile(95):>8.2f} "
              f"{res.percentile(99):>8.2f} "
              f"{res.percentile(50) / baseline.percentile(50):>9.2f} "
              f"{res.throughput / baseline.throughput:>11.3f}")


def report(results: list[Result], baseline: Result) -> None:
    head = (f"{'endpoint':<22} {'path':<38} {'reqs':>5} {'err':>4} {'req/s':>8} "
            f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'p50 ×min':>9} {'req/s ×min':>10}")
    print(head)
    print("-" * len(head))
    for r in results:
        p50 = r.percentile(50)
        ratio_p50 = p50 / baseline.percentile(50) if baseline.latencies else float("nan")
        ratio_tp = r.throughput / baseline.throughput if baseline.throughput else float("nan")
        path = r.path if len(r.path) <= 38 else r.path[:35] + "..."
        print(f"{r.name:<22} {path:<38} {r.requests:>5} {r.errors:>4} {r.throughput:>8.1f} "
              f"{p50:>8.2f} {r.percentile(95):>8.2f} {r.percentile(99):>8.2f} "
              f"{ratio_p50:>9.2f} {ratio_tp:>10.2f}")
        if r.errors:
            print(f"{'':<22} statuses: {dict(sorted(r.statuses.items()))}")
        if r.reconnects:
            print(f"{'':<22} {r.reconnects} requests retried on a new connection")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="per endpoint (max 20000)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (max 64)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--time-limit", type=float, default=20.0,
                        help="seconds per endpoint (max 120)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    total = max(1, min(args.requests, 20_000))
    concurrency = max(1, min(args.concurrency, 64))
    time_limit = max(1.0, min(args.time_limit, 120.0))

    print(f"gunicorn: {args.workers} workers × {args.threads} threads per server; client: "
          f"{concurrency} threads, up to {total} requests or {time_limit:.0f} s per endpoint; "
          f"{os.cpu_count()} CPU cores")
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="marketplace-bench-") as tmp:
        env = app_environment(Path(tmp))
        try:
            started = time.perf_counter()
            prepare_database(env)
            plugin_on = enable_example_plugin(env)
            took = time.perf_counter() - started
            print(f"database migrated and demo data loaded in {took:.1f} s")
            minimal, market = start_servers(env, servers, workers=args.workers,
                                            threads=args.threads)

            pages = discover_pages(market.port, env)
            targets = [("minimal flask", minimal.port, "/ping"),
                       ("healthz", market.port, "/healthz"),
                       ("storefront home", market.port, "/")]
            targets.append(("shop, default theme", market.port, PLAIN_SHOP))
            targets.append(("shop, hoian + plugin" if plugin_on else "shop, hoian theme",
                            market.port, THEMED_SHOP))
            for kind in ("listing", "store"):
                if kind in pages:
                    targets.append((f"{kind} page", market.port, pages[kind]))
                else:
                    print(f"note: no {kind} page linked from the storefront; skipped")
            api_path = "/api/v1/catalog/listings"
            if fetch(market.port, api_path)[0] == 200:
                targets.append(("catalog API list", market.port, api_path))
            else:
                print(f"note: {api_path} does not answer 200; skipped")

            results = [drive(name, port, path, total=total, concurrency=concurrency,
                             time_limit=time_limit) for name, port, path in targets]
        finally:
            for server in servers:
                server.stop()
    print()
    report(results, results[0])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([
            {"name": r.name, "path": r.path, "requests": r.requests, "errors": r.errors,
             "throughput": r.throughput, "p50_ms": r.percentile(50),
             "p95_ms": r.percentile(95), "p99_ms": r.percentile(99)} for r in results],
            indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
