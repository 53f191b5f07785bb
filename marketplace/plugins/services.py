"""Platform and merchant decisions about plugins, and the settings plugins read.

Like every service: explicit arguments, domain errors, flush but never commit. After the
caller commits, ``PluginPlatform.forget_statuses`` is not needed across requests (statuses
are read once per request) and merchant caches key on ``Merchant.plugins_revision``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from ..errors import Conflict, NotFound, ValidationError
from ..extensions import db
from ..states import next_state
from .events import emit
from .manager import LoadedPlugin, current_platform
from .metadata import Level
from .models import MerchantPlugin, PlatformPlugin, PlatformSetting
from .settings import clean_settings, decrypt_secrets, defaults, encrypt_secrets, masked
from .states import TRANSITIONS, PlatformEvent, PlatformStatus


def known_plugin(name: str) -> LoadedPlugin:
    platform = current_platform()
    loaded = platform.plugins.get(name) or platform.not_loaded.get(name)
    if loaded is None or loaded.source == "core":
        raise NotFound(f"plugin {name}")
    return loaded


def merchant_plugin(name: str) -> LoadedPlugin:
    """A plugin a merchant may switch: loaded, installed on the platform, merchant-level."""
    loaded = known_plugin(name)
    platform = current_platform()
    if not platform.is_runnable(name) or loaded.level != Level.MERCHANT:
        raise NotFound(f"plugin {name}")
    return loaded


# -- platform ------------------------------------------------------------------------------

def change_platform_status(name: str, event: PlatformEvent | str, *, actor=None,
                           reason: str | None = None) -> PlatformPlugin:
    loaded = known_plugin(name)
    platform = current_platform()
    event = PlatformEvent(event)
    row = db.session.get(PlatformPlugin, name, with_for_update=True)
    current = PlatformStatus(row.status) if row else platform.default_status(name)
    target = next_state(TRANSITIONS, current, event)
    if target == PlatformStatus.INSTALLED and loaded.problem:
        raise Conflict(_l("This plugin cannot be installed: %(problem)s",
                          problem=loaded.problem))
    if event == PlatformEvent.BLOCK and not (reason or "").strip():
        raise ValidationError.field("reason", _l("Say why the plugin is blocked."))
    if row is None:
        row = PlatformPlugin(name=name, settings={}, secret_keys=[])
        db.session.add(row)
    row.status = target
    row.reason = (reason or "").strip()[:500] or None
    row.changed_by_id = getattr(actor, "id", None)
    db.session.flush()
    platform.forget_statuses()
    return row


def global_settings_view(name: str) -> dict[str, Any]:
    loaded = known_plugin(name)
    row = db.session.get(PlatformPlugin, name)
    schema = loaded.info.global_settings if loaded.info else ()
    return masked(schema, row.settings if row else {},
                  frozenset(row.secret_keys) if row else frozenset())


def update_global_settings(name: str, data: dict, *, actor=None) -> PlatformPlugin:
    loaded = known_plugin(name)
    schema = loaded.info.global_settings if loaded.info else ()
    row = db.session.get(PlatformPlugin, name, with_for_update=True)
    stored = frozenset(row.secret_keys) if row else frozenset()
    plain, secrets = clean_settings(schema, data, stored_secrets=stored)
    if row is None:
        row = PlatformPlugin(name=name, status=current_platform().default_status(name),
                             settings={}, secret_keys=[])
        db.session.add(row)
    _store(row, plain, secrets)
    row.changed_by_id = getattr(actor, "id", None)
    db.session.flush()
    return row


def global_settings(name: str) -> dict[str, Any]:
    """The platform-wide settings of a plugin, secrets decrypted: for the plugin's own code."""
    loaded = known_plugin(name)
    row = db.session.get(PlatformPlugin, name)
    values = defaults(loaded.info.global_settings if loaded.info else ())
    if row is not None:
        values.update(row.settings)
        values.update(decrypt_secrets(current_app.config["SECRET_KEY"], row.secrets))
    return values


def set_safe_mode(on: bool, *, actor=None) -> PlatformSetting:
    """Switch every third-party plugin off (or back on) at once, without a restart."""
    from .manager import SAFE_MODE_KEY

    row = db.session.get(PlatformSetting, SAFE_MODE_KEY, with_for_update=True)
    if row is None:
        row = PlatformSetting(key=SAFE_MODE_KEY)
        db.session.add(row)
    row.value = bool(on)
    row.changed_by_id = getattr(actor, "id", None)
    db.session.flush()
    current_platform().forget_statuses()
    return row


# -- merchants -----------------------------------------------------------------------------

@dataclass
class MerchantPluginView:
    """What the dashboard shows about one plugin for one merchant (secrets masked)."""

    plugin: LoadedPlugin
    enabled: bool
    settings: dict[str, Any]

    @property
    def name(self) -> str:
        return self.plugin.name


def _row(merchant, name: str, *, lock: bool = False) -> MerchantPlugin | None:
    query = sa.select(MerchantPlugin).where(MerchantPlugin.merchant_id == merchant.id,
                                            MerchantPlugin.plugin_name == name)
    if lock:
        query = query.with_for_update()
    return db.session.scalars(query).first()


def _store(row, plain: dict, secrets: dict) -> None:
    key = current_app.config["SECRET_KEY"]
    kept = decrypt_secrets(key, row.secrets)
    kept.update(secrets)
    row.settings = plain
    row.secrets = encrypt_secrets(key, kept)
    row.secret_keys = sorted(kept)


def available_for_merchant(merchant) -> list[MerchantPluginView]:
    platform = current_platform()
    rows = {r.plugin_name: r for r in db.session.scalars(
        sa.select(MerchantPlugin).where(MerchantPlugin.merchant_id == merchant.id))}
    views = []
    for name, loaded in sorted(platform.plugins.items()):
        if loaded.level != Level.MERCHANT or not platform.is_runnable(name):
            continue
        row = rows.get(name)
        schema = loaded.info.merchant_settings
        views.append(MerchantPluginView(
            plugin=loaded, enabled=bool(row and row.enabled),
            settings=masked(schema, row.settings if row else {},
                            frozenset(row.secret_keys) if row else frozenset())))
    return views


def merchant_plugin_view(merchant, name: str) -> MerchantPluginView:
    loaded = merchant_plugin(name)
    row = _row(merchant, name)
    return MerchantPluginView(
        plugin=loaded, enabled=bool(row and row.enabled),
        settings=masked(loaded.info.merchant_settings, row.settings if row else {},
                        frozenset(row.secret_keys) if row else frozenset()))


def update_merchant_settings(merchant, name: str, data: dict) -> MerchantPlugin:
    """Validate and save a merchant's settings for a plugin (enabled or not)."""
    loaded = merchant_plugin(name)
    row = _row(merchant, name, lock=True)
    stored = frozenset(row.secret_keys) if row else frozenset()
    plain, secrets = clean_settings(loaded.info.merchant_settings, data, stored_secrets=stored)
    if loaded.info.check_merchant_settings is not None:
        loaded.info.check_merchant_settings(dict(plain))
    if row is None:
        row = MerchantPlugin(merchant_id=merchant.id, plugin_name=name, enabled=False,
                             settings={}, secret_keys=[])
        db.session.add(row)
    _store(row, plain, secrets)
    merchant.plugins_revision += 1
    db.session.flush()
    return row


def set_enabled(merchant, name: str, enabled: bool) -> MerchantPlugin:
    """Switch a plugin on or off for a merchant; on needs its required settings filled in."""
    loaded = merchant_plugin(name)
    row = _row(merchant, name, lock=True)
    if row is None:
        row = MerchantPlugin(merchant_id=merchant.id, plugin_name=name, enabled=False,
                             settings={}, secret_keys=[])
        db.session.add(row)
    if enabled:
        missing = [s.key for s in loaded.info.merchant_settings
                   if s.required and s.default is None
                   and s.key not in (row.secret_keys if s.is_secret else row.settings)]
        if missing:
            raise ValidationError(_l("Fill in the plugin's required settings first."),
                                  fields={k: [_l("This field is required.")] for k in missing})
    if row.enabled == enabled:
        return row
    row.enabled = enabled
    merchant.plugins_revision += 1
    db.session.flush()
    emit("marketplace_merchant_plugin_enabled", merchant, only=name, plugin_name=name,
         enabled=enabled)
    return row


def merchant_settings(merchant, name: str) -> dict[str, Any]:
    """A merchant's settings for a plugin with defaults and secrets decrypted.

    For the plugin's own code (a payment provider reading its API key); never for a page.
    """
    platform = current_platform()
    loaded = platform.plugins.get(name)
    if loaded is None or loaded.info is None:
        raise NotFound(f"plugin {name}")
    values = defaults(loaded.info.merchant_settings)
    row = _row(merchant, name)
    if row is not None:
        values.update(row.settings)
        values.update(decrypt_secrets(current_app.config["SECRET_KEY"], row.secrets))
    return values
