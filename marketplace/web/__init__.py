"""Server-rendered pages: storefront, auth, merchant dashboard, platform admin."""

from __future__ import annotations

from flask import Flask


def init_web(app: Flask) -> None:
    from . import (
        account_addresses,
        admin,
        auth,
        carrier_webhooks,
        dashboard,
        find,
        health,
        media,
        posters,
        shop,
        storefront,
        themes,
        tracking,
        vouchers,
    )

    # Storefront pages render through the theme engine (marketplace.theming), each theme in
    # an environment of its own; the app's environment renders the core's own pages.
    for module in (health, auth, storefront, find, shop, media, themes, posters, vouchers,
                   dashboard, admin, carrier_webhooks, account_addresses, tracking):
        app.register_blueprint(module.bp)
