"""One plugin manager per app: discovery, start-up registration and merchant-scoped dispatch.

Order of start-up (DESIGN.md): hookspecs → blocked names (config ``PLUGINS_BLOCKED`` and the
platform admin's blocks) → core modules → built-ins from ``plugins/`` → entry points of group
``marketplace.plugins`` (unless ``PLUGINS_AUTOLOAD`` is off or ``PLUGINS_SAFE_MODE`` is on)
→ ``check_pending()`` → the registration hooks.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy
import sqlalchemy as sa
from flask import Flask, abort, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint as SmorestBlueprint
from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader

from .. import __version__ as CORE_VERSION
from ..errors import MarketplaceError, ValidationError
from . import PROJECT_NAME, hookspecs
from .metadata import Level, PluginInfo
from .providers import (
    Carrier,
    CodeFormat,
    CodeKind,
    PaymentProvider,
    PayoutMethod,
    ProviderRegistry,
    SlotSource,
)
from .states import PlatformStatus

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "marketplace.plugins"
BUILTIN_PACKAGE = "marketplace_builtins"
DEFAULT_BUILTIN_DIR = (Path(__file__).resolve().parent.parent.parent / "plugins").resolve()
# The core is the first plugin: it implements its own hooks where it has defaults.
CORE_MODULES = {"core": "marketplace.plugins.core_hooks"}
MERCHANT_CACHE_LIMIT = 10_000
SAFE_MODE_KEY = "plugins_safe_mode"


class PluginError(RuntimeError):
    """A plugin cannot be loaded as written; start-up stops and says which and why."""


@dataclass(frozen=True)
class PeriodicJob:
    """Background work a plugin registered (``marketplace_register_periodic_jobs``)."""

    name: str
    plugin: str
    function: Callable[[datetime], int]
    every_minutes: int = 1


@dataclass
class LoadedPlugin:
    name: str
    source: str  # "core", "builtin" or "package"
    info: PluginInfo | None = None
    module: Any = None
    distribution: str | None = None
    distribution_version: str | None = None
    templates: Path | None = None
    problem: str | None = None  # why it is not loaded (blocked, incompatible)

    @property
    def version(self) -> str:
        if self.info:
            return self.info.version
        return self.distribution_version or CORE_VERSION

    @property
    def level(self) -> Level:
        return self.info.level if self.info else Level.PLATFORM

    @property
    def third_party(self) -> bool:
        return self.source == "package"


class ScopedHooks:
    """A hook relay for one merchant: ``platform.hooks_for(merchant).marketplace_price_lines(
    lines=…, currency=…)`` calls only the plugins that merchant runs."""

    def __init__(self, platform: PluginPlatform, excluded: frozenset[str]):
        self._platform = platform
        self._excluded = excluded

    def __getattr__(self, name: str) -> pluggy.HookCaller:
        if not name.startswith(PROJECT_NAME + "_"):
            raise AttributeError(name)
        return self._platform._caller(name, self._excluded)


class PluginPlatform:
    """Everything the app knows about its plugins; ``app.extensions["plugins"]``."""

    def __init__(self, app: Flask):
        self.app = app
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, LoadedPlugin] = {}
        self.not_loaded: dict[str, LoadedPlugin] = {}
        self.payment_providers = ProviderRegistry("payment provider", PaymentProvider, self)
        self.carriers = ProviderRegistry("carrier", Carrier, self)
        self.slot_sources = ProviderRegistry("slot source", SlotSource, self)
        self.code_formats = ProviderRegistry("code format", CodeFormat, self)
        self.code_kinds = ProviderRegistry("code kind", CodeKind, self)
        self.payout_methods = ProviderRegistry("payout method", PayoutMethod, self)
        self.migration_locations: list[str] = []
        self.periodic_jobs: dict[str, PeriodicJob] = {}
        self.blueprint_owners: dict[str, str] = {}
        self.safe_mode = bool(app.config.get("PLUGINS_SAFE_MODE"))
        self._callers: dict[tuple[str, frozenset[str]], pluggy.HookCaller] = {}
        self._merchant_plugins: dict[tuple[int, datetime, int], frozenset[str]] = {}

    # -- discovery ---------------------------------------------------------------------------

    def load(self) -> None:
        blocked = set(self.app.config.get("PLUGINS_BLOCKED") or ()) | self._blocked_in_db()
        for name in sorted(blocked):
            self.pm.set_blocked(name)
        for name, module_name in CORE_MODULES.items():
            self._register(importlib.import_module(module_name),
                           LoadedPlugin(name=name, source="core"))
        for module in self._builtin_modules():
            self._register_declared(module, source="builtin")
        if self.app.config.get("PLUGINS_AUTOLOAD", True) and not self.safe_mode:
            self._load_entry_points()
        self.pm.check_pending()
        self._refuse_wrappers()

    def _builtin_modules(self) -> Iterable[Any]:
        folder = Path(self.app.config["PLUGINS_BUILTIN_DIR"])
        if not (folder / "__init__.py").exists():
            return []
        # Built-ins import as ``marketplace_builtins.<name>``: a private package name, so a
        # stray top-level ``plugins`` package elsewhere on sys.path cannot shadow them. Another
        # folder (tests, a distribution's own) gets a package name of its own.
        package_name = BUILTIN_PACKAGE
        if folder.resolve() != DEFAULT_BUILTIN_DIR:
            digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:10]
            package_name = f"{BUILTIN_PACKAGE}_{digest}"
        if package_name not in sys.modules:
            spec = importlib.util.spec_from_file_location(
                package_name, folder / "__init__.py",
                submodule_search_locations=[str(folder)])
            package = importlib.util.module_from_spec(spec)
            sys.modules[package_name] = package
            spec.loader.exec_module(package)
        modules = []
        for child in sorted(folder.iterdir()):
            if (child / "__init__.py").exists() and not child.name.startswith(("_", ".")):
                if self.pm.is_blocked(child.name):
                    self.not_loaded[child.name] = LoadedPlugin(child.name, "builtin",
                                                               problem="blocked")
                    continue
                modules.append(importlib.import_module(f"{package_name}.{child.name}"))
        return modules

    def _load_entry_points(self) -> None:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            if self.pm.is_blocked(ep.name):
                self.not_loaded[ep.name] = LoadedPlugin(
                    ep.name, "package", distribution=dist.name if dist else None,
                    problem="blocked")
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to import: "
                                  f"{type(exc).__name__}: {exc}") from exc
            self._register_declared(plugin, source="package", entry_name=ep.name,
                                    distribution=dist)

    def _register_declared(self, plugin: Any, *, source: str, entry_name: str | None = None,
                           distribution: Any = None) -> None:
        info = getattr(plugin, "PLUGIN", None)
        if not isinstance(info, PluginInfo):
            raise PluginError(f"{getattr(plugin, '__name__', plugin)!r} declares no "
                              f"PLUGIN = PluginInfo(...)")
        expected = entry_name or plugin.__name__.rsplit(".", 1)[-1]
        if info.name != expected:
            raise PluginError(f"plugin {info.name!r} must be registered under its own name, "
                              f"not {expected!r}")
        loaded = LoadedPlugin(
            name=info.name, source=source, info=info, module=plugin,
            distribution=distribution.name if distribution else None,
            distribution_version=distribution.version if distribution else None,
            templates=_templates_folder(plugin))
        if not info.supports_core(CORE_VERSION):
            loaded.problem = f"needs core {info.core_versions}, this is {CORE_VERSION}"
            log.error("plugin %s not loaded: %s", info.name, loaded.problem)
            self.not_loaded[info.name] = loaded
            return
        self._register(plugin, loaded)

    def _register(self, plugin: Any, loaded: LoadedPlugin) -> None:
        if loaded.name in self.plugins:
            raise PluginError(f"two plugins are named {loaded.name!r}")
        self.pm.register(plugin, name=loaded.name)
        loaded.module = plugin
        self.plugins[loaded.name] = loaded

    def add(self, plugin: Any, *, source: str = "package") -> LoadedPlugin:
        """Register a declared plugin after start-up (the test kit's ``register_plugin``).

        Start-up hooks are not run for it; merchant-scoped hooks and events reach it at once.
        """
        info = getattr(plugin, "PLUGIN", None)
        self._register_declared(plugin, source=source,
                                entry_name=info.name if isinstance(info, PluginInfo) else None)
        self.pm.check_pending()
        self._refuse_wrappers()
        self._callers.clear()
        return self.plugins[info.name]

    def remove(self, name: str) -> None:
        """Undo ``add``, and forget the providers the plugin registered meanwhile."""
        for registry in (self.payment_providers, self.carriers, self.slot_sources,
                         self.code_formats, self.code_kinds, self.payout_methods):
            registry.forget(name)
        self.pm.unregister(name=name)
        self.plugins.pop(name, None)
        self.not_loaded.pop(name, None)
        self._callers.clear()

    def _refuse_wrappers(self) -> None:
        # Merchant-scoped hooks are dispatched one implementation at a time (to name and
        # isolate a failing plugin), which a wrapper could not take part in.
        for name in self.hook_names():
            for impl in getattr(self.pm.hook, name).get_hookimpls():
                if impl.hookwrapper or impl.wrapper:
                    raise PluginError(f"plugin {impl.plugin_name!r}: wrappers are not "
                                      f"supported on {name}")

    def _blocked_in_db(self) -> set[str]:
        from ..extensions import db
        from .models import PlatformPlugin

        # Through the session: a separate connection would queue behind a write lock that the
        # caller (a test transaction, a running migration) may hold on SQLite.
        with self.app.app_context():
            try:
                return set(db.session.scalars(
                    sa.select(PlatformPlugin.name)
                    .where(PlatformPlugin.status == PlatformStatus.BLOCKED)))
            except sa.exc.DBAPIError:
                db.session.rollback()
                return set()  # before the first migration there is nothing to read
            finally:
                db.session.remove()

    @staticmethod
    def hook_names() -> list[str]:
        return sorted(n for n in vars(hookspecs) if n.startswith(PROJECT_NAME + "_"))

    # -- start-up registration ---------------------------------------------------------------

    def each_implementation(self, hook: str) -> Iterable[tuple[str, Any]]:
        """(plugin name, implementation function) in pluggy's call order."""
        for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
            yield impl.plugin_name, impl

    def run_registration(self) -> None:
        app = self.app
        for hook, registry in (
                ("marketplace_register_payment_providers", self.payment_providers),
                ("marketplace_register_carriers", self.carriers),
                ("marketplace_register_slot_sources", self.slot_sources),
                ("marketplace_register_code_formats", self.code_formats),
                ("marketplace_register_code_kinds", self.code_kinds),
                ("marketplace_register_payout_methods", self.payout_methods)):
            for plugin_name, impl in self.each_implementation(hook):
                _call(impl, register=_bound_register(registry, plugin_name))
        for plugin_name, impl in self.each_implementation("marketplace_register_periodic_jobs"):
            _call(impl, register=self._job_register(plugin_name))
        for plugin_name, impl in self.each_implementation("marketplace_migration_locations"):
            found = _call(impl)
            for location in [found] if isinstance(found, str | Path) else (found or []):
                if not Path(location).is_dir():
                    raise PluginError(f"plugin {plugin_name!r}: migration folder {location} "
                                      f"does not exist")
                self.migration_locations.append(str(location))
        for plugin_name, impl in self.each_implementation("marketplace_add_blueprints"):
            _call(impl, app=app, register=self._blueprint_register(plugin_name))
        for _plugin_name, impl in self.each_implementation("marketplace_add_cli_commands"):
            _call(impl, cli=app.cli)
        folders = self.template_folders()
        if folders:
            # Plugins' own templates, as "<plugin>/<file>", for render_template and themes.
            app.jinja_loader = ChoiceLoader([app.jinja_loader, PrefixLoader(
                {name: FileSystemLoader(folder) for name, folder in folders.items()})])
        self.prepare_jinja_env(app.jinja_env)
        app.before_request(self._gate_plugin_routes)

    def prepare_jinja_env(self, env) -> None:
        self.pm.hook.marketplace_prepare_jinja_env(env=env)

    def add_demo_data(self, shops: Mapping[str, Any]) -> None:
        """Let every loaded plugin add its demo rows (``marketplace_demo_data``), in the
        demo loader's transaction. Not isolated: a developer's command should fail loudly."""
        for _plugin_name, impl in self.each_implementation("marketplace_demo_data"):
            _call(impl, shops=shops)

    def _job_register(self, plugin_name: str):
        def register(name: str, job: Callable[[datetime], int], every_minutes: int = 1) -> None:
            if plugin_name != "core" and not name.startswith(plugin_name + "."):
                raise PluginError(f"plugin {plugin_name!r}: periodic job {name!r} must be "
                                  f"named '{plugin_name}.<what>'")
            if name in self.periodic_jobs:
                raise PluginError(f"plugin {plugin_name!r}: periodic job {name!r} exists "
                                  f"already")
            if not isinstance(every_minutes, int) or not 1 <= every_minutes <= 60:
                raise PluginError(f"plugin {plugin_name!r}: periodic job {name!r} must run "
                                  f"every 1 to 60 minutes")
            self.periodic_jobs[name] = PeriodicJob(name, plugin_name, job, every_minutes)
        return register

    def _blueprint_register(self, plugin_name: str):
        def register(blueprint, url_prefix: str | None = None, **options) -> None:
            if plugin_name != "core" and not (blueprint.name == plugin_name
                                              or blueprint.name.startswith(plugin_name + "_")):
                raise PluginError(f"plugin {plugin_name!r}: blueprint {blueprint.name!r} must "
                                  f"be named after the plugin")
            api = self.app.extensions.get("marketplace_api")
            if api is not None and isinstance(blueprint, SmorestBlueprint):
                # A plugin's REST endpoints join the OpenAPI document like the core's.
                api.register_blueprint(blueprint, url_prefix=url_prefix, **options)
            else:
                self.app.register_blueprint(blueprint, url_prefix=url_prefix, **options)
            self.blueprint_owners[blueprint.name] = plugin_name
        return register

    def _gate_plugin_routes(self):
        # A plugin's pages exist only while the platform has it installed.
        top = (request.blueprint or "").split(".", 1)[0]
        owner = self.blueprint_owners.get(top)
        if owner and owner != "core" and not self.is_runnable(owner):
            abort(404)

    # -- platform and merchant state ---------------------------------------------------------

    def default_status(self, name: str) -> PlatformStatus:
        loaded = self.plugins.get(name) or self.not_loaded.get(name)
        if loaded and loaded.source in ("core", "builtin"):
            return PlatformStatus.INSTALLED
        return PlatformStatus.AVAILABLE

    def statuses(self) -> dict[str, PlatformStatus]:
        """The platform status of every known plugin, read once per request (or app context)."""
        cached = g.get("_plugin_statuses")
        if cached is None:
            from ..extensions import db
            from .models import PlatformPlugin, PlatformSetting

            stored = dict(db.session.execute(
                sa.select(PlatformPlugin.name, PlatformPlugin.status)).all())
            g._plugins_safe_mode = bool(db.session.scalar(
                sa.select(PlatformSetting.value).where(PlatformSetting.key == SAFE_MODE_KEY)))
            cached = {}
            for name in list(self.plugins) + list(self.not_loaded):
                status = stored.get(name) or self.default_status(name)
                if self.pm.is_blocked(name):
                    status = PlatformStatus.BLOCKED
                cached[name] = PlatformStatus(status)
            cached["core"] = PlatformStatus.INSTALLED
            g._plugin_statuses = cached
        return cached

    def forget_statuses(self) -> None:
        g.pop("_plugin_statuses", None)
        g.pop("_plugins_safe_mode", None)

    def in_safe_mode(self) -> bool:
        """Third-party plugins are off: by configuration (never loaded) or by the admin's
        switch (loaded, but no hook, route or provider of theirs runs)."""
        if self.safe_mode:
            return True
        self.statuses()
        return g._plugins_safe_mode

    def status(self, name: str) -> PlatformStatus:
        return self.statuses().get(name, PlatformStatus.AVAILABLE)

    def is_runnable(self, name: str) -> bool:
        loaded = self.plugins.get(name)
        if loaded is None or self.status(name) != PlatformStatus.INSTALLED:
            return False
        return not (loaded.third_party and self.in_safe_mode())

    def merchant_enabled(self, merchant) -> frozenset[str]:
        # The creation time tells apart two merchants that got the same id (SQLite hands out
        # the id of a deleted last row again, and of every row a rolled-back test made).
        key = (merchant.id, merchant.created_at, merchant.plugins_revision)
        found = self._merchant_plugins.get(key)
        if found is None:
            from ..extensions import db
            from .models import MerchantPlugin

            found = frozenset(db.session.scalars(
                sa.select(MerchantPlugin.plugin_name)
                .where(MerchantPlugin.merchant_id == merchant.id, MerchantPlugin.enabled)))
            if len(self._merchant_plugins) > MERCHANT_CACHE_LIMIT:
                self._merchant_plugins.clear()
            self._merchant_plugins[key] = found
        return found

    def active_plugin_names(self, merchant) -> frozenset[str]:
        """Plugins whose merchant-scoped hooks run for ``merchant`` (``None``: no merchant)."""
        enabled = self.merchant_enabled(merchant) if merchant is not None else frozenset()
        active = set()
        for name, loaded in self.plugins.items():
            if not self.is_runnable(name):
                continue
            if loaded.source == "core" or loaded.level == Level.PLATFORM or name in enabled:
                active.add(name)
        return frozenset(active)

    def hooks_for(self, merchant) -> ScopedHooks:
        """A hook relay reaching only the plugins that run for ``merchant``."""
        active = self.active_plugin_names(merchant)
        return ScopedHooks(self, frozenset(n for n in self.plugins if n not in active))

    def _caller(self, hook: str, excluded: frozenset[str]) -> pluggy.HookCaller:
        key = (hook, excluded)
        caller = self._callers.get(key)
        if caller is None:
            if not excluded:
                caller = getattr(self.pm.hook, hook)
            else:
                caller = self.pm.subset_hook_caller(
                    hook, remove_plugins=[self.pm.get_plugin(n) for n in excluded])
            self._callers[key] = caller
        return caller

    # -- dispatch with isolation -------------------------------------------------------------

    def _implementations(self, hook: str, merchant, only: str | None = None):
        caller = getattr(self.hooks_for(merchant), hook)
        for impl in reversed(caller.get_hookimpls()):
            if only is None or impl.plugin_name == only:
                yield impl

    def fire(self, hook: str, merchant, *, only: str | None = None, **kwargs: Any) -> int:
        """Call an event hook; a raising plugin is logged and rolled back alone.

        Each implementation runs in a savepoint, so what a failing plugin wrote is undone
        while the others' work stays. Returns how many implementations failed.
        """
        from ..extensions import db

        failures = 0
        if only is not None:
            impls = [i for i in getattr(self.pm.hook, hook).get_hookimpls()
                     if i.plugin_name == only and self.is_runnable(only)]
        else:
            impls = list(self._implementations(hook, merchant))
        for impl in impls:
            savepoint = db.session.begin_nested()
            try:
                _call(impl, merchant=merchant, **kwargs)
                savepoint.commit()
            except Exception:
                savepoint.rollback()
                failures += 1
                log.exception("plugin %s failed in %s (merchant %s)", impl.plugin_name, hook,
                              getattr(merchant, "id", None))
        return failures

    def validate(self, hook: str, merchant, **kwargs: Any) -> None:
        """Call a validation hook; ``MarketplaceError`` blocks as raised, anything else blocks
        with a message naming the plugin (and is logged)."""
        for impl in self._implementations(hook, merchant):
            try:
                _call(impl, merchant=merchant, **kwargs)
            except MarketplaceError:
                raise
            except Exception:
                log.exception("plugin %s failed in %s", impl.plugin_name, hook)
                raise ValidationError(_l("The %(plugin)s plugin could not check this. "
                                         "Please try again later.",
                                         plugin=impl.plugin_name)) from None

    def collect(self, hook: str, merchant, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a hook and gather ``(plugin, result)``; a raising plugin is logged, skipped."""
        results = []
        for impl in self._implementations(hook, merchant):
            try:
                result = _call(impl, merchant=merchant, **kwargs)
            except Exception:
                log.exception("plugin %s failed in %s", impl.plugin_name, hook)
                continue
            if result is not None:
                results.append((impl.plugin_name, result))
        return results

    def template_folders(self) -> dict[str, str]:
        return {name: str(p.templates) for name, p in self.plugins.items() if p.templates}


def _call(impl, **kwargs: Any) -> Any:
    """Call one hook implementation with the arguments it names (pluggy's own convention)."""
    return impl.function(*[kwargs[name] for name in impl.argnames],
                         **{k: kwargs[k] for k in impl.kwargnames if k in kwargs})


def _bound_register(registry: ProviderRegistry, plugin_name: str):
    def register(provider):
        return registry.register(provider, plugin=plugin_name)
    return register


def _templates_folder(plugin: Any) -> Path | None:
    location = getattr(plugin, "__file__", None)
    if not location:
        return None
    folder = Path(location).parent / "templates"
    return folder if folder.is_dir() else None


def init_app(app: Flask) -> PluginPlatform:
    platform = PluginPlatform(app)
    app.extensions["plugins"] = platform
    platform.load()
    platform.run_registration()
    return platform


def current_platform() -> PluginPlatform:
    return current_app.extensions["plugins"]
