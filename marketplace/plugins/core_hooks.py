"""The core's own hook implementations: the core is the first plugin."""

from __future__ import annotations

from . import hookimpl


@hookimpl
def marketplace_add_cli_commands(cli) -> None:
    from .cli import plugins_group

    cli.add_command(plugins_group)


@hookimpl
def marketplace_prepare_jinja_env(env) -> None:
    from .storefront import slot

    # Every environment (the app's and each theme's) can place plugin slots.
    env.globals["slot"] = slot
    # A plugin with pages of the customer's own (their bookings …) adds an
    # ``(endpoint, label)`` here; the header links to each for a logged-in customer.
    env.globals.setdefault("account_links", [])
    # A merchant-level plugin's dashboard pages: ``(plugin, endpoint, label, permission)``,
    # linked in the dashboard's menu for members who may use them, where the merchant runs
    # the plugin (the endpoint takes ``merchant_slug``).
    env.globals.setdefault("dashboard_links", [])


@hookimpl
def marketplace_register_code_kinds(register) -> None:
    from ..orders.redeeming import PickupKind
    from ..vouchers.kind import VoucherKind

    register(PickupKind())
    register(VoucherKind())


@hookimpl
def marketplace_price_lines(merchant, lines, currency, customer, codes=()):
    from ..vouchers.usage import price_adjustments

    # ``codes`` has a default: a caller of the hook from before it existed still prices.
    return price_adjustments(merchant, lines, currency=currency, customer=customer,
                             codes=codes)
