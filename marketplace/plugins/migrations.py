"""Plugin migrations: each plugin's Alembic branch joins the core's version locations."""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

from .. import PROJECT_ROOT

CORE_VERSIONS = Path(PROJECT_ROOT) / "migrations" / "versions"


def add_plugin_locations(config):
    """Flask-Migrate configure callback: core versions plus every loaded plugin's."""
    platform = current_app.extensions.get("plugins")
    locations = [str(CORE_VERSIONS)] + (platform.migration_locations if platform else [])
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(locations))
    return config


def plugin_table_prefixes() -> tuple[str, ...]:
    platform = current_app.extensions.get("plugins")
    if platform is None:
        return ()
    names = set(platform.plugins) | set(platform.not_loaded)
    return tuple(f"{n}_" for n in names if n != "core")
