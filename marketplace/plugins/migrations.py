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


def include_object(object_, name, type_, reflected, compare_to) -> bool:
    """Autogenerate writes core revisions: it never touches a plugin's tables (their own
    branch owns them) nor drops a table the models do not know (an uninstalled plugin's)."""
    if type_ == "table":
        if reflected and compare_to is None:
            return False
        if name.startswith(plugin_table_prefixes()):
            return False
    table = getattr(object_, "table", None)
    return not (table is not None and table.name.startswith(plugin_table_prefixes()))
