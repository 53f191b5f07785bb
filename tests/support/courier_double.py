"""TEST DOUBLE of an outside courier company's REST API — not a real service.

``CourierApiTestDouble`` is a small threaded HTTP server on 127.0.0.1 that plays the courier
the built-in ``delivery_rest_carrier`` plugin talks to, so the plugin's real HTTP code runs
in the tests. It answers the API documented in docs/plugins.md ("Carrier"):

* ``POST /quotes`` — one quote per configured service, computed only from the request (the
  same request gives the same answer): its fee, a window from ``asked_at``, cash on delivery
  up to ``cod_limit``;
* ``POST /shipments`` — books once per ``Idempotency-Key`` (a repeat answers the same
  tracking reference, ``RC-0001``, ``RC-0002``…);
* ``POST /shipments/<tracking>/cancel`` — cancels (repeatable), 409 once picked up;
* ``GET /shipments/<tracking>/events`` — the events a test added.

Every call needs ``Authorization: Bearer <api_key>`` (401 otherwise). It records every
request it got (``requests``) so tests can check the key and the idempotency key. A test can
make it fail: ``down`` (503 for everything), ``slow`` (sleeps before answering),
``quote_answer`` (answer this body to ``/quotes``), ``booking_answer`` (answer this body to
a booking it made), ``refuse`` (422 on booking). It signs
status notifications the way the courier would (``signed``); the test posts them to the app.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "test-api-key-0123456789"
WEBHOOK_SECRET = "test-webhook-secret-abcdef"
SIGNATURE_HEADER = "X-Courier-Signature"

SERVICES = (
    {"service": "standard", "label": "Standard", "fee": 22000, "hours": 6, "cod": True,
     "inspect_before_accept": True, "attempts": 2, "redelivery_fee": 10000},
    {"service": "express", "label": "Express", "fee": 40000, "hours": 2, "cod": False},
)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Booking:
    tracking_reference: str
    reference: str
    payload: dict
    cancelled: bool = False
    picked_up: bool = False
    events: list[dict] = field(default_factory=list)


class CourierApiTestDouble:
    """TEST DOUBLE of an outside courier's REST API (see the module docstring)."""

    def __init__(self, *, api_key: str = API_KEY, services=SERVICES,
                 cod_limit: int = 2_000_000) -> None:
        self.api_key = api_key
        self.services = [dict(s) for s in services]
        self.cod_limit = cod_limit
        self.requests: list[Recorded] = []
        self.bookings: dict[str, Booking] = {}  # by Idempotency-Key (our shipment reference)
        self.down = False
        self.slow = 0.0
        self.refuse: str | None = None          # a reason: booking answers 422 with it
        self.quote_answer: Any = None           # answer this to /quotes instead
        self.booking_answer: Any = None         # answer this to a booking (after booking)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- running -----------------------------------------------------------------------------

    def __enter__(self) -> CourierApiTestDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                double._handle(self)

            def do_POST(self):  # noqa: N802
                double._handle(self)

            def log_message(self, *args):  # quiet test output
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    # --- what tests read and set -------------------------------------------------------------

    def calls(self, method: str, path_start: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method
                and r.path.startswith("/v1" + path_start)]

    def booking(self, tracking_reference: str) -> Booking:
        return next(b for b in self.bookings.values()
                    if b.tracking_reference == tracking_reference)

    def add_event(self, tracking_reference: str, event_id: str, status: str,
                  occurred_at: datetime, **extra) -> dict:
        event = {"tracking_reference": tracking_reference, "event_id": event_id,
                 "status": status, "occurred_at": occurred_at.isoformat()} | extra
        booking = self.booking(tracking_reference)
        booking.events.append(event)
        if status == "picked_up":
            booking.picked_up = True
        return event

    @staticmethod
    def signed(updates: Any, *, secret: str = WEBHOOK_SECRET,
               timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """A status notification as the courier sends it: the body and its headers."""
        # Computed here, not with the plugin's code: the double is the other side.
        body = json.dumps(updates).encode()
        stamp = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
        return body, {"Content-Type": "application/json",
                      SIGNATURE_HEADER: f"t={stamp},v1={digest.hexdigest()}"}

    # --- the API -----------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(Recorded(handler.command, handler.path,
                                          dict(handler.headers.items()), body))
        if self.slow:
            time.sleep(self.slow)
        status, answer = self._answer(handler, body)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, handler, body) -> tuple[int, Any]:
        if self.down:
            return 503, {"error": "maintenance"}
        if handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            return 401, {"error": "unknown API key"}
        parts = handler.path.split("/")[2:]  # after "/v1"
        with self._lock:
            if handler.command == "POST" and parts == ["quotes"]:
                return 200, self.quote_answer if self.quote_answer is not None \
                    else self._quotes(body)
            if handler.command == "POST" and parts == ["shipments"]:
                return self._book(handler.headers.get("Idempotency-Key"), body)
            if len(parts) == 3 and parts[0] == "shipments":
                found = [b for b in self.bookings.values() if b.tracking_reference == parts[1]]
                if not found:
                    return 404, {"error": "no such shipment"}
                if handler.command == "POST" and parts[2] == "cancel":
                    if found[0].picked_up:
                        return 409, {"error": "already picked up"}
                    found[0].cancelled = True
                    return 200, {"cancelled": True}
                if handler.command == "GET" and parts[2] == "events":
                    return 200, {"events": found[0].events}
        return 404, {"error": "no such endpoint"}

    def _quotes(self, body: dict) -> dict:
        asked = datetime.fromisoformat(body["asked_at"])
        cod_possible = body["basket_total"] <= self.cod_limit
        quotes = []
        for offer in self.services:
            quote = {"service": offer["service"], "label": offer["label"],
                     "fee": offer["fee"], "currency": body["currency"],
                     "window_start": (asked + timedelta(hours=1)).isoformat(),
                     "window_end": (asked + timedelta(hours=offer["hours"])).isoformat(),
                     "cod": offer["cod"] and cod_possible}
            quote |= {key: offer[key] for key in ("inspect_before_accept", "attempts",
                                                  "redelivery_fee") if key in offer}
            quotes.append(quote)
        return {"quotes": quotes}

    def _book(self, key: str | None, body: dict) -> tuple[int, Any]:
        if not key:
            return 400, {"error": "Idempotency-Key is required"}
        if self.refuse:
            return 422, {"error": self.refuse}
        booking = self.bookings.get(key)
        if booking is None:
            booking = Booking(f"RC-{len(self.bookings) + 1:04d}", key, body)
            self.bookings[key] = booking
        if self.booking_answer is not None:
            return 200, self.booking_answer
        return 200, {"tracking_reference": booking.tracking_reference}
