"""A TEST DOUBLE of Stripe.js, served for the browser tests of the card page.

The real Stripe.js (https://js.stripe.com/v3/) cannot load without the internet, so the card
page would only say its form could not be loaded. ``stripe.js`` next to this file stands in
for it (see its header for what it implements and what it is not); this module serves it from
a tiny HTTP server of its own on a free loopback port, to be set as the plugin's ``js_url``.

The same server is the double's "api.stripe.com": the card page's Content-Security-Policy
lets the page talk only to its own site and to the origin of ``js_url``, and localstripe
answers no CORS preflight for an ``Authorization`` header, so the double's two calls go to
this server, which forwards them to localstripe:

- ``POST /v1/payment_methods``: real Stripe takes it with the publishable key; localstripe
  wants a secret key there, so the forward adds the tests' secret key
  (``tests/support/localstripe_server.SECRET_KEY``, a throw-away key of a local fake). That
  is acceptable only because this is a test double: the key stays in this test process and
  never reaches the page;
- ``POST /v1/payment_intents/<pi>/_authenticate``: localstripe's stand-in for the 3-D Secure
  dialog, authorized by the intent's client secret and the publishable key, as is.

Every forwarded call is kept in ``StripeJsDouble.calls`` for the tests to look at.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.localstripe_server import SECRET_KEY

SCRIPT = Path(__file__).with_name("stripe.js")
SCRIPT_PATHS = ("/v3", "/v3/")
# What the double may ask localstripe for, and whether the forward adds the secret key.
FORWARDED = ((re.compile(r"^/v1/payment_methods$"), True),
             (re.compile(r"^/v1/payment_intents/pi_\w+/_authenticate$"), False))


@dataclass
class StripeJsDouble:
    origin: str
    localstripe: str
    calls: list[tuple[str, int]] = field(default_factory=list)  # (path, localstripe's status)

    @property
    def js_url(self) -> str:
        """The address of the double's script: the plugin's ``js_url`` in the tests."""
        return f"{self.origin}/v3/"


def _handler(double: StripeJsDouble):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            pass  # quiet: pytest shows failures, not every request

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            origin = self.headers.get("Origin")
            if origin:  # the card page is another origin (the live server's port)
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Vary", "Origin")
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, message: str) -> None:
            body = json.dumps({"error": {"type": "invalid_request_error",
                                         "message": message}}).encode()
            self._send(status, body, "application/json")

        def do_GET(self):  # noqa: N802 - http.server's naming
            if urllib.parse.urlsplit(self.path).path in SCRIPT_PATHS:
                self._send(200, SCRIPT.read_bytes(), "application/javascript; charset=utf-8")
            else:
                self._error(404, "Not found")

        def do_OPTIONS(self):  # noqa: N802 - a preflight; the double sends simple requests
            self.send_response(204)
            self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin", "*"))
            self.send_header("Access-Control-Allow-Methods", "GET, POST")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = urllib.parse.urlsplit(self.path).path
            rule = next((secret for pattern, secret in FORWARDED if pattern.match(path)), None)
            if rule is None:
                self._error(404, f"The Stripe.js double does not forward {path}")
                return
            fields = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
            if not fields.get("key", [""])[0].startswith("pk_"):
                self._error(401, "Stripe.js calls carry the publishable key (pk_…).")
                return
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            if rule:  # test double only: see the module's docstring
                headers["Authorization"] = f"Bearer {SECRET_KEY}"
            forward = urllib.request.Request(  # noqa: S310 - the session's local localstripe
                double.localstripe + self.path, data=body, method="POST", headers=headers)
            try:
                with urllib.request.urlopen(forward, timeout=10) as answer:  # noqa: S310
                    status, payload = answer.status, answer.read()
            except urllib.error.HTTPError as refused:
                status, payload = refused.code, refused.read()
            except OSError as exc:
                self._error(502, f"localstripe did not answer: {exc}")
                return
            double.calls.append((path, status))
            self._send(status, payload, "application/json")

    return Handler


@contextlib.contextmanager
def stripe_js_double(localstripe: str):
    """Serve the double on a free loopback port for as long as the block runs."""
    double = StripeJsDouble(origin="", localstripe=localstripe.rstrip("/"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(double))
    server.daemon_threads = True
    double.origin = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="stripe-js-double",
                              daemon=True)
    thread.start()
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
