"""The plugin platform: discovery, statuses, merchant-scoped dispatch, isolation, CLI."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint

import pluggy
import pytest

from marketplace.errors import NotFound, ValidationError
from marketplace.outbox.models import OutboxMessage
from marketplace.outbox.services import drain
from marketplace.plugins import manager as manager_module
from marketplace.plugins import services
from marketplace.plugins.manager import PluginError, current_platform
from marketplace.plugins.states import PlatformStatus
from tests.support.plugin_apps import PLUGIN_DIRS, plugin_config

RECORDER = "tests.support.plugin_dirs.good.recorder"


@pytest.fixture
def papp(make_app, db):
    app = make_app(**plugin_config())
    with app.app_context():
        yield app


@pytest.fixture
def recorder_calls(papp):
    module = current_platform().plugins["recorder"].module
    module.CALLS.clear()
    yield module.CALLS
    module.CALLS.clear()


def test_discovery_order_sources_and_default_statuses(papp):
    platform = current_platform()
    # The core first, then the built-ins in folder order; pluggy calls the last one first.
    assert list(platform.plugins) == ["core", "faulty", "platform_tools", "recorder"]
    assert platform.plugins["recorder"].source == "builtin"
    assert platform.status("recorder") == PlatformStatus.INSTALLED
    assert "old_timer" in platform.not_loaded
    assert "needs core <0.1" in platform.not_loaded["old_timer"].problem
    assert platform.pm.get_plugin("old_timer") is None


def test_hooks_reach_only_the_plugins_a_merchant_enabled(papp, make_merchant, db):
    enabled, other = make_merchant(), make_merchant()
    services.set_enabled(enabled, "recorder", True)
    db.session.commit()
    platform = current_platform()
    names = lambda m: {i.plugin_name for i in  # noqa: E731
                       platform.hooks_for(m).marketplace_listing_changed.get_hookimpls()}
    assert names(enabled) == {"recorder"}
    assert names(other) == set()
    # Platform-level plugins run for everyone, with or without a merchant.
    assert "platform_tools" in platform.active_plugin_names(other)
    assert "platform_tools" in platform.active_plugin_names(None)
    assert "recorder" not in platform.active_plugin_names(None)


def test_switching_a_plugin_is_seen_at_once(papp, make_merchant, db):
    merchant = make_merchant()
    platform = current_platform()
    assert "recorder" not in platform.active_plugin_names(merchant)
    revision = merchant.plugins_revision
    services.set_enabled(merchant, "recorder", True)
    assert merchant.plugins_revision == revision + 1
    assert "recorder" in platform.active_plugin_names(merchant)
    services.set_enabled(merchant, "recorder", False)
    assert "recorder" not in platform.active_plugin_names(merchant)


def test_a_misspelt_hook_fails_start_up(make_app):
    with pytest.raises(pluggy.PluginValidationError, match="marketplace_listing_chnaged"):
        make_app(**plugin_config(PLUGIN_DIRS / "misspelt"))


def test_duplicate_provider_identifiers_fail_start_up(make_app):
    with pytest.raises(ValueError, match="'cash' is registered twice"):
        make_app(**plugin_config(PLUGIN_DIRS / "duplicate"))


def test_configured_blocks_keep_a_plugin_out(make_app, db):
    app = make_app(**plugin_config(PLUGINS_BLOCKED=["recorder"]))
    with app.app_context():
        platform = current_platform()
        assert "recorder" not in platform.plugins
        assert platform.pm.get_plugin("recorder") is None
        assert platform.status("recorder") == PlatformStatus.BLOCKED
        assert app.test_client().get("/recorder/ping").status_code == 404


def test_an_admin_block_stops_hooks_and_routes_at_once_and_loading_next_time(
        papp, make_merchant, make_app, db):
    merchant = make_merchant()
    services.set_enabled(merchant, "recorder", True)
    db.session.commit()
    assert papp.test_client().get("/recorder/ping").data == b"pong"
    with pytest.raises(ValidationError):
        services.change_platform_status("recorder", "block")  # a reason is required
    services.change_platform_status("recorder", "block", reason="leaks data")
    db.session.commit()
    platform = current_platform()
    assert "recorder" not in platform.active_plugin_names(merchant)
    assert papp.test_client().get("/recorder/ping").status_code == 404
    restarted = make_app(**plugin_config())
    with restarted.app_context():
        assert "recorder" not in current_platform().plugins
        assert current_platform().status("recorder") == PlatformStatus.BLOCKED


def test_uninstalled_plugins_cannot_be_enabled(papp, make_merchant, db):
    merchant = make_merchant()
    services.change_platform_status("recorder", "uninstall")
    with pytest.raises(NotFound):
        services.set_enabled(merchant, "recorder", True)
    with pytest.raises(NotFound):
        services.set_enabled(merchant, "platform_tools", True)  # platform-level: no switch
    with pytest.raises(NotFound):
        services.set_enabled(merchant, "core", True)


def test_an_event_hook_that_raises_is_logged_and_isolated(papp, make_merchant, make_listing,
                                                          recorder_calls, db, caplog):
    merchant = make_merchant(description="Giày chạy bộ chính hãng")
    services.set_enabled(merchant, "recorder", True)
    services.set_enabled(merchant, "faulty", True)
    db.session.commit()
    listing = make_listing(merchant, publish=False)
    db.session.commit()
    with caplog.at_level(logging.ERROR, logger="marketplace.plugins.manager"):
        assert drain() >= 1
    # The faulty plugin's write was rolled back; the recorder still got the event.
    db.session.refresh(merchant)
    assert merchant.description == "Giày chạy bộ chính hãng"
    assert ("listing_changed", {"merchant": merchant.id, "listing_id": listing.id,
                                "change": "created"}) in recorder_calls
    assert any("plugin faulty failed in marketplace_listing_changed" in r.getMessage()
               for r in caplog.records)
    # The outbox message is delivered, not retried: a broken plugin cannot stall the queue.
    messages = db.session.query(OutboxMessage).filter_by(topic="plugin.event").all()
    assert messages and all(m.status == "done" for m in messages)


def test_events_are_only_queued_when_a_plugin_listens(make_app, make_merchant, make_listing,
                                                      db):
    app = make_app(**plugin_config(PLUGINS_BLOCKED=["recorder", "faulty"]))
    with app.app_context():
        before = db.session.query(OutboxMessage).filter_by(topic="plugin.event").count()
        make_listing(make_merchant())
        after = db.session.query(OutboxMessage).filter_by(topic="plugin.event").count()
    assert after == before


def test_validation_hooks_block_with_a_clear_message(papp, make_merchant, db):
    merchant = make_merchant()
    services.set_enabled(merchant, "recorder", True)
    services.set_enabled(merchant, "faulty", True)
    platform = current_platform()
    platform.validate("marketplace_validate_cart", merchant, cart="fine", customer=None)
    with pytest.raises(ValidationError, match="At most 20 items"):
        platform.validate("marketplace_validate_cart", merchant, cart="too many",
                          customer=None)
    with pytest.raises(ValidationError) as caught:
        platform.validate("marketplace_validate_cart", merchant, cart="crash", customer=None)
    assert "faulty" in str(caught.value.message)


def test_a_raising_slot_leaves_the_slot_empty_and_the_page_up(papp, make_merchant, db):
    merchant = make_merchant()
    services.set_enabled(merchant, "faulty", True)
    db.session.commit()
    response = papp.test_client().get(f"/m/{merchant.slug}")
    assert response.status_code == 200
    assert 'data-plugin="faulty"' not in response.get_data(as_text=True)


def test_safe_mode_and_autoload_control_packages(make_app, db, monkeypatch):
    fake = EntryPoint(name="recorder", value=RECORDER, group="marketplace.plugins")
    monkeypatch.setattr(manager_module, "entry_points", lambda group: [fake])
    empty = PLUGIN_DIRS / "misspelt" / "nothing-here"
    app = make_app(**plugin_config(empty, PLUGINS_AUTOLOAD=True))
    with app.app_context():
        loaded = current_platform().plugins["recorder"]
        assert loaded.source == "package" and loaded.third_party
        # A package waits for the platform admin before it runs for anybody.
        assert current_platform().status("recorder") == PlatformStatus.AVAILABLE
    safe = make_app(**plugin_config(empty, PLUGINS_AUTOLOAD=True, PLUGINS_SAFE_MODE=True))
    with safe.app_context():
        assert "recorder" not in current_platform().plugins
    off = make_app(**plugin_config(empty, PLUGINS_AUTOLOAD=False))
    with off.app_context():
        assert "recorder" not in current_platform().plugins


def test_an_entry_point_must_use_the_plugins_own_name(make_app, monkeypatch):
    fake = EntryPoint(name="other_name", value=RECORDER, group="marketplace.plugins")
    monkeypatch.setattr(manager_module, "entry_points", lambda group: [fake])
    with pytest.raises(PluginError, match="own name"):
        make_app(**plugin_config(PLUGIN_DIRS / "none", PLUGINS_AUTOLOAD=True))


def test_a_package_that_fails_to_import_is_named(make_app, monkeypatch):
    fake = EntryPoint(name="ghost", value="no_such_module_anywhere", group="marketplace.plugins")
    monkeypatch.setattr(manager_module, "entry_points", lambda group: [fake])
    with pytest.raises(PluginError, match="'ghost'.*failed to import"):
        make_app(**plugin_config(PLUGIN_DIRS / "none", PLUGINS_AUTOLOAD=True))


def test_cli_lists_installs_enables_and_blocks(papp, make_merchant, db):
    merchant = make_merchant()
    db.session.commit()
    runner = papp.test_cli_runner()
    listed = runner.invoke(args=["plugins", "list"])
    assert listed.exit_code == 0, listed.output
    lines = {line.split()[0]: line for line in listed.output.splitlines()[1:]}
    assert "1.2.0" in lines["recorder"] and "installed" in lines["recorder"]
    assert "not loaded: needs core" in lines["old_timer"]
    enabled = runner.invoke(args=["plugins", "enable", "recorder", "--merchant",
                                  merchant.slug])
    assert enabled.exit_code == 0, enabled.output
    assert merchant.slug in runner.invoke(args=["plugins", "list"]).output
    unknown = runner.invoke(args=["plugins", "enable", "nope"])
    assert unknown.exit_code != 0
    blocked = runner.invoke(args=["plugins", "block", "recorder", "--reason", "abuse"])
    assert blocked.exit_code == 0, blocked.output
    current_platform().forget_statuses()
    assert current_platform().status("recorder") == PlatformStatus.BLOCKED
    again = runner.invoke(args=["plugins", "enable", "recorder"])  # blocked → install: refused
    assert again.exit_code != 0


def test_the_admins_safe_mode_stops_every_third_party_plugin_at_once(make_app, make_merchant,
                                                                      db, monkeypatch):
    fake = EntryPoint(name="recorder", value=RECORDER, group="marketplace.plugins")
    monkeypatch.setattr(manager_module, "entry_points", lambda group: [fake])
    app = make_app(**plugin_config(PLUGIN_DIRS / "none", PLUGINS_AUTOLOAD=True))
    with app.app_context():
        platform = current_platform()
        merchant = make_merchant()
        services.change_platform_status("recorder", "install")
        services.set_enabled(merchant, "recorder", True)
        db.session.commit()
        assert "recorder" in platform.active_plugin_names(merchant)
        assert app.test_client().get("/recorder/ping").status_code == 200
        result = app.test_cli_runner().invoke(args=["plugins", "safe-mode", "on"])
        assert result.exit_code == 0, result.output
        platform.forget_statuses()
        assert platform.in_safe_mode()
        assert "recorder" not in platform.active_plugin_names(merchant)
        assert app.test_client().get("/recorder/ping").status_code == 404
        services.set_safe_mode(False)
        db.session.commit()
        assert "recorder" in platform.active_plugin_names(merchant)
