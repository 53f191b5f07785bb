"""localstripe (a stateful fake of Stripe's API, from PyPI), one process per test session on
a free port, driven with the real ``stripe`` SDK over HTTP.

localstripe saves its state to a fixed ``/tmp/localstripe.pickle`` after every change, so two
test runs at once would share (and corrupt) one store: the launcher below keeps the state in
memory only, for this process, and lets PaymentIntents take two parameters of Stripe's API
that localstripe lacks."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from tests.support.meilisearch_server import free_port

LAUNCHER = """
import sys
from localstripe import resources
resources.Store.dump_to_disk = lambda self: None       # this run's state stays its own
resources.Store.try_load_from_disk = lambda self: None
# Stripe's PaymentIntent takes use_stripe_sdk and return_url (how next actions such as
# 3-D Secure are run and where a redirect comes back); localstripe does not know them and
# would refuse the request, so they are accepted here and change nothing in the fake.
_create = resources.PaymentIntent._api_create.__func__
def _api_create(cls, use_stripe_sdk=None, return_url=None, **data):
    return _create(cls, **data)
resources.PaymentIntent._api_create = classmethod(_api_create)
from localstripe.server import start
sys.argv = ["localstripe", "--port", sys.argv[1], "--from-scratch"]
start()
"""
SECRET_KEY = "sk_test_o2o_marketplace_tests"


def _answers(url: str) -> bool:
    request = urllib.request.Request(f"{url}/v1/payment_intents",  # noqa: S310 - localhost
                                     headers={"Authorization": f"Bearer {SECRET_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=1) as answer:  # noqa: S310 - localhost
            return answer.status == 200
    except (TimeoutError, OSError):
        return False


@contextlib.contextmanager
def localstripe_server():
    """Yield the base URL of a fresh localstripe; raise if it cannot start."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not _answers(url):
            if process.poll() is not None:
                raise RuntimeError(f"localstripe exited: {process.stderr.read()[-2000:]!r}")
            if time.monotonic() > deadline:
                raise TimeoutError("localstripe did not answer in 30 s")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        process.stderr.close()


def post_form(url: str, fields: list[tuple[str, str]]) -> None:
    """POST a form to localstripe's own test endpoints (webhook set-up, the 3-D Secure
    stand-in) as the secret key's holder."""
    request = urllib.request.Request(  # noqa: S310 - the local test server
        url, method="POST", data=urllib.parse.urlencode(fields).encode(),
        headers={"Authorization": f"Bearer {SECRET_KEY}"})
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - the local test server
        pass
