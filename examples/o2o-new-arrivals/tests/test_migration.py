"""The plugin's Alembic branch goes up and down on its own, leaving the core alone."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.extensions import db
from marketplace.plugins.testing_support import base_config, database_for_run


def test_the_branch_goes_up_and_down(request, tmp_path_factory, tmp_path):
    with database_for_run(request.config, tmp_path_factory, "arrivals") as url:
        app = create_app(base_config(url, tmp_path))
        with app.app_context():
            upgrade(revision="heads")
            tables = set(sa.inspect(db.engine).get_table_names())
            assert {"new_arrivals_entries", "merchants", "listings"} <= tables
            downgrade(revision="new_arrivals@base")
            tables = set(sa.inspect(db.engine).get_table_names())
            assert "new_arrivals_entries" not in tables and "listings" in tables
            upgrade(revision="heads")
            assert "new_arrivals_entries" in set(sa.inspect(db.engine).get_table_names())
            db.session.remove()
            db.engine.dispose()
