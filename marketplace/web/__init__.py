"""Server-rendered pages: storefront, auth, merchant dashboard, platform admin."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from .. import PROJECT_ROOT


def init_web(app: Flask) -> None:
    from . import admin, auth, dashboard, health, media, storefront

    # The default theme's templates come before the core's (the theme engine of the plugin
    # platform extends this chain with per-merchant themes).
    theme_templates = Path(PROJECT_ROOT) / "themes" / "default" / "templates"
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(theme_templates)), app.jinja_loader])

    for module in (health, auth, storefront, media, dashboard, admin):
        app.register_blueprint(module.bp)
