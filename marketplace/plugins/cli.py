"""``marketplace plugins …``: see what is installed and switch plugins on or off."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from ..errors import MarketplaceError
from ..extensions import db
from .manager import current_platform


@click.group("plugins")
def plugins_group() -> None:
    """List, install, enable and block plugins."""


def _fail(exc: MarketplaceError) -> None:
    db.session.rollback()
    fields = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.fields.items())
    raise click.ClickException(f"{exc.message} {fields}".strip())


@plugins_group.command("list")
@with_appcontext
def list_command() -> None:
    """Name, version, source, platform status and the merchants that enabled each plugin."""
    from ..merchants.models import Merchant
    from .models import MerchantPlugin

    platform = current_platform()
    enabled: dict[str, list[str]] = {}
    for plugin_name, slug in db.session.execute(
            sa.select(MerchantPlugin.plugin_name, Merchant.slug)
            .join(Merchant, Merchant.id == MerchantPlugin.merchant_id)
            .where(MerchantPlugin.enabled).order_by(Merchant.slug)):
        enabled.setdefault(plugin_name, []).append(slug)
    rows = [("NAME", "VERSION", "SOURCE", "LEVEL", "STATUS", "ENABLED FOR")]
    everything = {**platform.not_loaded, **platform.plugins}
    for name in sorted(everything):
        loaded = everything[name]
        source = loaded.source if not loaded.distribution else \
            f"package {loaded.distribution}"
        status = str(platform.status(name))
        if loaded.problem and loaded.problem != "blocked":
            status = f"not loaded: {loaded.problem}"
        where = "every merchant" if loaded.level == "platform" else \
            ", ".join(enabled.get(name, [])) or "-"
        rows.append((name, loaded.version, source, str(loaded.level), status, where))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                   .rstrip())
    if platform.safe_mode:
        click.echo("safe mode: third-party plugins are not loaded (PLUGINS_SAFE_MODE)")
    elif platform.in_safe_mode():
        click.echo("safe mode: third-party plugins are stopped (marketplace plugins safe-mode off)")


def _switch(name: str, merchant_slug: str | None, on: bool) -> str:
    from ..merchants.models import Merchant
    from . import services
    from .states import PlatformEvent

    if merchant_slug is None:
        event = PlatformEvent.INSTALL if on else PlatformEvent.UNINSTALL
        row = services.change_platform_status(name, event)
        return f"{name}: {row.status}"
    merchant = db.session.scalars(sa.select(Merchant).where(Merchant.slug == merchant_slug)
                                  ).first()
    if merchant is None:
        raise click.ClickException(f"no merchant {merchant_slug!r}")
    services.set_enabled(merchant, name, on)
    return f"{name}: {'enabled' if on else 'disabled'} for {merchant_slug}"


def _switch_command(on: bool):
    verb, platform_verb, preposition = ("enable", "install", "on") if on else \
        ("disable", "uninstall", "from")

    @click.argument("name")
    @click.option("--merchant", "merchant_slug", help=f"{verb.capitalize()} for this merchant "
                  f"(by slug); without it, {platform_verb} the plugin {preposition} the "
                  f"platform.")
    @with_appcontext
    def command(name: str, merchant_slug: str | None) -> None:
        try:
            message = _switch(name, merchant_slug, on)
        except MarketplaceError as exc:
            _fail(exc)
        db.session.commit()
        click.echo(message)

    command.__doc__ = (f"{platform_verb.capitalize()} NAME {preposition} the platform, or "
                       f"{verb} it for one merchant.")
    return plugins_group.command(verb)(command)


enable_command = _switch_command(True)
disable_command = _switch_command(False)


@plugins_group.command("block")
@click.argument("name")
@click.option("--reason", required=True, help="Why (kept with the decision).")
@with_appcontext
def block_command(name: str, reason: str) -> None:
    """Block NAME: it stops at once and is not loaded at the next start."""
    from . import services

    try:
        services.change_platform_status(name, "block", reason=reason)
    except MarketplaceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"{name}: blocked")


@plugins_group.command("unblock")
@click.argument("name")
@with_appcontext
def unblock_command(name: str) -> None:
    """Unblock NAME (it is loaded again at the next start, as available)."""
    from . import services

    try:
        services.change_platform_status(name, "unblock")
    except MarketplaceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"{name}: available (restart to load it)")


@plugins_group.command("safe-mode")
@click.argument("state", type=click.Choice(["on", "off"]))
@with_appcontext
def safe_mode_command(state: str) -> None:
    """Stop every third-party plugin at once (on), or let them run again (off)."""
    from . import services

    services.set_safe_mode(state == "on")
    db.session.commit()
    click.echo(f"safe mode {state}")
