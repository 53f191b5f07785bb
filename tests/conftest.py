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


from tests.support.shopping import buyer, selling_shop  # noqa: E402,F401
