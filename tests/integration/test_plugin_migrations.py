"""Plugin migrations: a plugin's Alembic branch next to the core's, on SQLite and PostgreSQL.

Uses the example package ``o2o-new-arrivals`` as a real installed plugin (``make setup``
installs it; without it these tests skip, which CI's strict mode turns into failures).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from marketplace.extensions import db
from marketplace.plugins.migrations import include_object
from tests.support.apps import fresh_database_app

KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
TABLE = "new_arrivals_entries"


@pytest.fixture(params=KINDS)
def migrated(request, tmp_path):
    with fresh_database_app(request.param, tmp_path, "plugmig") as app, app.app_context():
        if "new_arrivals" not in app.extensions["plugins"].plugins:
            pytest.skip("the example plugin package is not installed (make setup installs it)")
        yield app
        db.session.remove()


def tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def core_autogenerate() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": include_object})
        return compare_metadata(context, db.metadata)


def mentions_plugin(diffs) -> bool:
    return any("new_arrivals" in repr(d) or "ghostplugin" in repr(d) for d in diffs)


def test_upgrade_heads_applies_the_plugins_branch(migrated):
    assert TABLE in tables()
    script = ScriptDirectory.from_config(migrated.extensions["migrate"].migrate.get_config())
    branch = script.get_revision("new_arrivals@head")
    assert branch.branch_labels == {"new_arrivals"}
    assert "769e7858aca9" in branch.dependencies
    with db.engine.connect() as connection:
        heads = set(MigrationContext.configure(connection).get_current_heads())
    assert heads == set(script.get_heads()) and branch.revision in heads


def test_the_branch_goes_down_alone_and_up_again(migrated):
    db.session.remove()
    downgrade(revision="new_arrivals@base")
    assert TABLE not in tables() and {"merchants", "listings", "merchant_plugins"} <= tables()
    upgrade(revision="heads")
    assert TABLE in tables()


def test_core_autogenerate_never_touches_plugin_tables(migrated):
    assert core_autogenerate() == []
    # The plugin's branch is down while its model is loaded: the core must not create it.
    db.session.remove()
    downgrade(revision="new_arrivals@base")
    assert not mentions_plugin(core_autogenerate())
    # A table of a plugin that is no longer installed: the core must not drop it.
    with db.engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE ghostplugin_things (id INTEGER PRIMARY KEY)"))
    diffs = core_autogenerate()
    assert not mentions_plugin(diffs) and diffs == []
