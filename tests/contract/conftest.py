"""Every search backend behind one fixture: each contract test runs on the embedded SQLite
backend and on the real Meilisearch server."""

from __future__ import annotations

import uuid

import pytest

from marketplace.search.meili_backend import MeiliBackend
from marketplace.search.sqlite_backend import SqliteBackend


@pytest.fixture(params=["sqlite", "meilisearch"])
def backend(request, tmp_path):
    if request.param == "sqlite":
        engine = SqliteBackend(str(tmp_path / "search.sqlite3"))
        engine.setup()
        yield engine
        return
    url, key = request.getfixturevalue("meilisearch")
    engine = MeiliBackend(url, key, prefix=f"t{uuid.uuid4().hex[:10]}_")
    engine.setup()
    yield engine
    engine.drop()
