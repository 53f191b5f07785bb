"""Themes: discovery, per-theme Jinja environments, and rendering storefront pages with them.

A theme is a folder with ``theme.toml`` (name, version, extends, description, preview,
author), ``templates/`` and ``static/``. Bundled themes live in ``THEMES_DIR`` and are trusted;
themes from packages (entry point group ``marketplace.themes``) are third-party and render in
a sandbox (``sandbox.py``). ``docs/themes.md`` is the author's guide.
"""

from __future__ import annotations

from .catalog import Theme, ThemeError, discover_themes
from .engine import ThemeEngine, current_engine, init_app, render_storefront

__all__ = ["Theme", "ThemeEngine", "ThemeError", "current_engine", "discover_themes",
           "init_app", "render_storefront"]
