"""One Jinja environment per theme, and rendering a storefront page with the right one.

Resolution for a theme T that extends P: T's templates → P's → … → ``default`` → the core
templates (``marketplace/templates``) → plugin templates (``<plugin>/…``). ``core:X`` skips
the active theme chain and loads X from ``default`` then the core (for ``default`` itself,
from the core), so an override can extend the original. Each theme has its own environment,
so the theme's name is part of every template's cache key.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from flask.signals import before_render_template, template_rendered
from flask_login import current_user
from jinja2 import (
    BaseLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
)

from .. import PROJECT_ROOT
from .catalog import DEFAULT_THEME, Theme, ThemeError, chain, discover_themes
from .sandbox import FORBIDDEN_TEMPLATES, UNSAFE_GLOBALS, ThemeSandbox, restrict_context

CORE_TEMPLATES = Path(PROJECT_ROOT) / "marketplace" / "templates"
CORE_PREFIX = "core:"
# `{% from "x" import m with context %}` / `{% import "x" as x with context %}`.
IMPORT_WITH_CONTEXT = re.compile(r"{%[-+]?\s*(?:from|import)\b(?:(?!%}).)*\bwith\s+context\b",
                                 re.DOTALL)


def refuse_import_with_context(source: str, name: str, filename: str | None) -> None:
    """Macro imports "with context" are refused in every storefront template.

    Jinja then builds the macro module anew on each render, from the page's context; under
    threaded gunicorn workers on CPython 3.11 that crashed the worker with a segmentation
    fault in the garbage collector (CPython 3.12 does not). The helpers macros need are
    environment globals, so a plain import works."""
    found = IMPORT_WITH_CONTEXT.search(source)
    if found:
        line = source.count("\n", 0, found.start()) + 1
        raise TemplateSyntaxError(
            "import macros without 'with context': the storefront helpers are globals "
            "(docs/themes.md)", line, name, filename)


class ThemeLoader(BaseLoader):
    def __init__(self, theme_dirs: list[Path], base_dirs: list[Path],
                 plugin_dirs: dict[str, str], *, forbidden: tuple[str, ...] = ()):
        self.full = FileSystemLoader([str(d) for d in theme_dirs + base_dirs])
        self.base = FileSystemLoader([str(d) for d in base_dirs])
        self.plugins = PrefixLoader({n: FileSystemLoader(d) for n, d in plugin_dirs.items()})
        self.forbidden = forbidden

    def get_source(self, environment, template: str):
        name = template.removeprefix(CORE_PREFIX).lstrip("/")
        if self.forbidden and name.startswith(self.forbidden):
            raise TemplateNotFound(template)
        if template.startswith(CORE_PREFIX):
            found = self.base.get_source(environment, name)
        else:
            try:
                found = self.full.get_source(environment, name)
            except TemplateNotFound:
                found = self.plugins.get_source(environment, name)
        refuse_import_with_context(found[0], template, found[1])
        return found


@pass_context
def theme_static(context, filename: str) -> str:
    """URL of a file in the current theme's ``static/`` folder (or its parents')."""
    from flask import url_for

    theme = context.get("theme")
    engine = current_engine()
    for candidate in chain(engine.themes, theme.name if theme else engine.default_name):
        path = (candidate.static / filename).resolve()
        if path.is_relative_to(candidate.static.resolve()) and path.is_file():
            return url_for("themes.static_file", theme_name=candidate.name, filename=filename)
    raise TemplateNotFound(f"static/{filename}")


class ThemeEngine:
    def __init__(self, app: Flask):
        self.app = app
        packages = app.config.get("PLUGINS_AUTOLOAD", True) and \
            not app.config.get("PLUGINS_SAFE_MODE")
        self.themes: dict[str, Theme] = discover_themes(app.config["THEMES_DIR"],
                                                        packages=packages)
        self.default_name = app.config.get("DEFAULT_THEME") or DEFAULT_THEME
        if self.default_name not in self.themes:
            raise ThemeError(f"DEFAULT_THEME {self.default_name!r} is not an installed theme")
        self._envs: dict[str, Environment] = {}
        self._lock = threading.Lock()

    def theme_for(self, merchant=None, *, preview: str | None = None) -> Theme:
        """The merchant's theme; one that is no longer installed falls back to the default."""
        if preview and preview in self.themes:
            return self.themes[preview]
        name = getattr(merchant, "theme", None)
        return self.themes.get(name) or self.themes[self.default_name]

    def env(self, name: str) -> Environment:
        env = self._envs.get(name)
        if env is None:
            with self._lock:
                env = self._envs.get(name) or self._build(self.themes[name])
                self._envs[name] = env
        return env

    def forget_environments(self) -> None:
        """Rebuild every theme's environment on next use (plugins came or went)."""
        with self._lock:
            self._envs.clear()

    def _build(self, theme: Theme) -> Environment:
        themes = chain(self.themes, theme.name)
        if themes[0].name == DEFAULT_THEME:
            theme_dirs, base_dirs = [themes[0].templates], [CORE_TEMPLATES]
        else:
            theme_dirs = [t.templates for t in themes if t.name != DEFAULT_THEME]
            base_dirs = [self.themes[DEFAULT_THEME].templates, CORE_TEMPLATES]
        from ..plugins.manager import current_platform

        app_env = self.app.jinja_env
        trusted = all(t.trusted for t in themes)
        loader = ThemeLoader(theme_dirs, base_dirs, current_platform().template_folders(),
                             forbidden=() if trusted else FORBIDDEN_TEMPLATES)
        cls = Environment if trusted else ThemeSandbox
        env = cls(loader=loader, autoescape=True, extensions=list(app_env.extensions),
                  auto_reload=app_env.auto_reload)
        env.filters.update(app_env.filters)
        env.tests.update(app_env.tests)
        env.policies.update(app_env.policies)
        env.globals.update({k: v for k, v in app_env.globals.items()
                            if trusted or k not in UNSAFE_GLOBALS})
        env.newstyle_gettext = getattr(app_env, "newstyle_gettext", False)
        env.globals["theme_static"] = theme_static
        current_platform().prepare_jinja_env(env)
        return env


def _may_preview(merchant) -> bool:
    if merchant is None or not current_user.is_authenticated:
        return False
    from ..merchants.roles import Permission, allowed
    from ..merchants.services import membership_for

    membership = membership_for(current_user, merchant.id)
    return membership is not None and allowed(membership.role, Permission.MANAGE_PROFILE)


def render_storefront(template: str, *, merchant=None, **context: Any) -> str:
    """Render a storefront page with the merchant's theme (the default one without merchant).

    Members who may change the theme can preview another with ``?theme=<name>``.
    """
    from ..plugins.storefront import page_context

    engine = current_engine()
    wanted = request.args.get("theme")
    theme = engine.theme_for(merchant, preview=wanted if wanted and _may_preview(merchant)
                             else None)
    env = engine.env(theme.name)
    app = current_app._get_current_object()
    context = dict(context, merchant=merchant, theme=theme)
    app.update_template_context(context)
    context.update(page_context(merchant, template, context))
    if not all(t.trusted for t in chain(engine.themes, theme.name)):
        context = restrict_context(context)
    page = env.get_template(template)
    before_render_template.send(app, _async_wrapper=app.ensure_sync, template=page,
                                context=context)
    rendered = page.render(context)
    template_rendered.send(app, _async_wrapper=app.ensure_sync, template=page,
                           context=context)
    return rendered


def current_engine() -> ThemeEngine:
    return current_app.extensions["themes"]


def init_app(app: Flask) -> ThemeEngine:
    engine = ThemeEngine(app)
    app.extensions["themes"] = engine
    return engine
