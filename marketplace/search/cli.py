"""``marketplace search setup|reindex|status``."""

from __future__ import annotations

import json
import time

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("search")
def search_group() -> None:
    """Search indexes: create them, rebuild them, see how they are."""


@search_group.command("setup")
@with_appcontext
def search_setup() -> None:
    """Create the indexes and apply their settings (safe to run again)."""
    backend = current_app.extensions["search"]
    backend.setup()
    click.echo(f"{backend.name}: indexes ready")


@search_group.command("reindex")
@with_appcontext
def search_reindex() -> None:
    """Rebuild every document from the database while search keeps answering."""
    from .indexing import reindex

    backend = current_app.extensions["search"]
    backend.setup()
    started = time.perf_counter()
    written = reindex()
    click.echo(f"{backend.name}: {written} documents in {time.perf_counter() - started:.1f} s")


@search_group.command("status")
@with_appcontext
def search_status() -> None:
    """The backend's health and the search work waiting in the outbox."""
    from .health import search_health

    click.echo(json.dumps(search_health(), indent=2))
