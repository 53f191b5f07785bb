"""The migrations are the schema: on a fresh database they build exactly what the models
describe (autogenerate finds nothing to do), seed the categories, and go back down to base."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade

from marketplace.extensions import db
from tests.support.apps import fresh_database_app

KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=KINDS)
def migrated(request, tmp_path):
    with fresh_database_app(request.param, tmp_path, "migr") as app, app.app_context():
        yield app
        db.session.remove()


def script_directory(app) -> ScriptDirectory:
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def test_models_and_migrated_schema_do_not_differ(migrated):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                "compare_server_default": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_the_core_revision_is_the_root_of_the_core_branch(migrated):
    script = script_directory(migrated)
    [root] = [r for r in script.walk_revisions() if r.down_revision is None
              and "core" in (r.branch_labels or ())]
    assert root.branch_labels == {"core"}
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    assert current == set(script.get_heads())  # upgrade reached every head
    assert script.get_revision("core@head") is not None


def test_categories_are_seeded_with_names_per_locale(migrated):
    rows = db.session.execute(sa.text("SELECT slug, names FROM categories ORDER BY position"))
    categories = rows.all()
    assert len(categories) >= 5
    for slug, names in categories:
        names = names if isinstance(names, dict) else json.loads(names)  # SQLite gives text
        assert slug and names.get("en") and names.get("vi")


def test_downgrade_to_base_removes_every_table(migrated):
    db.session.remove()
    downgrade(revision="base")
    tables = set(sa.inspect(db.engine).get_table_names())
    assert tables <= {"alembic_version"}
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == ()
