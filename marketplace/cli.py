"""The `marketplace` command: Flask's CLI (run, shell, routes), `db` (Flask-Migrate), ours."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate.cli import db as db_group

from .extensions import db

# Plugins add Alembic branches, so an upgrade must reach every head, not just one.
for _param in db_group.commands["upgrade"].params:
    if _param.name == "revision":
        _param.default = "heads"


def _create_app():
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=True)
def main() -> None:
    """O2O Marketplace administration."""


@main.command("create-admin")
@click.option("--email", prompt=True, help="The admin's e-mail (also the login).")
@click.option("--name", "full_name", default="Platform admin", show_default=True)
@click.option("--password", envvar="MARKETPLACE_ADMIN_PASSWORD", prompt=True,
              hide_input=True, confirmation_prompt=True,
              help="Read from $MARKETPLACE_ADMIN_PASSWORD or asked for (never echoed).")
@with_appcontext
def create_admin_command(email: str, full_name: str, password: str) -> None:
    """Create a platform admin (or make an existing account one)."""
    from .accounts.services import create_admin
    from .errors import MarketplaceError

    try:
        user = create_admin(email=email, password=password, full_name=full_name)
    except MarketplaceError as exc:
        db.session.rollback()
        fields = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.fields.items())
        raise click.ClickException(f"{exc.message} {fields}".strip()) from None
    db.session.commit()
    click.echo(f"Platform admin ready: {user.email}")


@main.command("demo-data")
@click.option("--quiet", is_flag=True, help="Do not print the demo credentials.")
@with_appcontext
def demo_data_command(quiet: bool) -> None:
    """Load a believable Vietnamese demo marketplace (idempotent)."""
    from .demo import load_demo_data

    summary = load_demo_data()
    db.session.commit()
    if not quiet:
        click.echo(summary.describe())


@main.group("outbox")
def outbox_group() -> None:
    """Deliver side effects waiting in the outbox."""


@outbox_group.command("drain")
@click.option("--loop", is_flag=True, help="Keep draining until interrupted.")
@with_appcontext
def outbox_drain(loop: bool) -> None:
    from .outbox.services import drain

    while True:
        delivered = drain()
        click.echo(f"delivered {delivered}")
        if not loop:
            return
        time.sleep(current_app.config["OUTBOX_POLL_SECONDS"])



@main.command("worker")
@click.option("--threads", default=2, show_default=True, help="Worker threads.")
@with_appcontext
def worker(threads: int) -> None:
    """Run the background jobs (expired holds, reminders) until interrupted.

    Use it when the web processes run with JOBS_INPROCESS=0 (several servers, one worker)."""
    from huey.consumer import Consumer

    Consumer(current_app.extensions["huey"], workers=threads, worker_type="thread").run()


@main.command("expire-holds")
@with_appcontext
def expire_holds() -> None:
    """Release expired holds and send due reminders once, now."""
    from .jobs import run_order_clock

    click.echo(run_order_clock(current_app._get_current_object()))
