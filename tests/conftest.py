"""The core's tests use the same fixtures as plugin authors: ``marketplace.plugins.testing``,
a pytest plugin installed with the package (``app``, ``db``, ``client``, ``make_app``, the
factories, ``register_plugin``, ``--db=postgres``, strict mode). Only what is particular to
the core's own test modules is here."""

from __future__ import annotations

import pytest

# Kept importable under their old names for the test modules that use them.
from marketplace.plugins.testing_support import base_config  # noqa: F401


@pytest.fixture
def owner(shop, owner_of):
    """The owner membership of the module's ``shop`` (each test module defines its shop)."""
    return owner_of(shop)


@pytest.fixture
def as_owner(client, login, owner):
    """The test client, logged in as the shop's owner."""
    login(owner.user)
    return client


from tests.support.cards import card_shop, stripe_platform  # noqa: E402,F401
from tests.support.search_town import coffee_town, search_backend  # noqa: E402,F401
from tests.support.shopping import buyer, selling_shop  # noqa: E402,F401


@pytest.fixture
def english(db):
    """Messages the services make outside a request (the default language is Vietnamese) are
    read in English: ``pytestmark = pytest.mark.usefixtures("english")``."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.fixture(scope="session")
def meilisearch():
    """``(url, master_key)`` of a real Meilisearch server for the session (npm package);
    without it the test skips, which strict mode (CI) turns into a failure."""
    from tests.support.meilisearch_server import meilisearch_server

    try:
        server = meilisearch_server()
        url_and_key = server.__enter__()
    except (OSError, RuntimeError, TimeoutError) as exc:
        pytest.skip(f"no Meilisearch server: {exc}")
    yield url_and_key
    server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def localstripe():
    """Base URL of a localstripe server for the session (a fake Stripe API, real SDK); without
    it the test skips, which strict mode (CI) turns into a failure."""
    from tests.support.localstripe_server import localstripe_server

    try:
        server = localstripe_server()
        url = server.__enter__()
    except (OSError, RuntimeError, TimeoutError) as exc:
        pytest.skip(f"no localstripe server: {exc}")
    yield url
    server.__exit__(None, None, None)
