"""Plugins in the merchant dashboard, the platform admin and the REST API."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from marketplace.plugins import services
from marketplace.plugins.manager import current_platform
from marketplace.plugins.models import MerchantPlugin, PlatformPlugin
from marketplace.plugins.settings import MASK
from tests.support.plugin_apps import english_client, log_in, plugin_config

SECRET = "sk_live_do_not_show_0123456789"


@pytest.fixture
def papp(make_app, db):
    app = make_app(**plugin_config())
    with app.app_context():
        yield app


@pytest.fixture
def shop(papp, make_merchant, db):
    merchant = make_merchant()
    db.session.commit()
    return merchant


@pytest.fixture
def owner_client(papp, shop, owner_of):
    return log_in(english_client(papp), owner_of(shop).user)


def row_of(db, merchant, name="recorder"):
    return db.session.scalars(sa.select(MerchantPlugin).where(
        MerchantPlugin.merchant_id == merchant.id, MerchantPlugin.plugin_name == name)).first()


# -- dashboard -------------------------------------------------------------------------------

def test_the_plugins_page_lists_merchant_plugins_only(owner_client, shop):
    page = owner_client.get(f"/dashboard/{shop.slug}/plugins").get_data(as_text=True)
    assert 'data-plugin="recorder"' in page and 'data-plugin="faulty"' in page
    assert 'data-plugin="platform_tools"' not in page  # platform level: nothing to switch
    assert "old_timer" not in page


def test_enable_then_disable_from_the_dashboard(owner_client, shop, db):
    base = f"/dashboard/{shop.slug}/plugins/recorder/enabled"
    response = owner_client.post(base, data={"enabled": "1"})
    assert response.status_code == 303
    assert row_of(db, shop).enabled
    assert "recorder" in current_platform().active_plugin_names(shop)
    owner_client.post(base, data={"enabled": "0"})
    db.session.refresh(row_of(db, shop))
    assert not row_of(db, shop).enabled


def test_settings_form_is_generated_from_the_schema(owner_client, shop):
    page = owner_client.get(f"/dashboard/{shop.slug}/plugins/recorder").get_data(as_text=True)
    assert 'name="greeting"' in page and 'value="Xin chào"' in page
    assert 'name="max_items" type="number"' in page and 'min="1"' in page
    assert 'type="checkbox" role="switch" id="f-loud"' in page
    assert '<option value="b"' in page
    assert 'name="api_key" type="password"' in page


def test_bad_settings_are_refused_with_errors_and_nothing_changes(owner_client, shop, db):
    response = owner_client.post(f"/dashboard/{shop.slug}/plugins/recorder", data={
        "greeting": "Hi", "max_items": "99", "mode": "z", "api_key": SECRET})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Must be at most 10." in page and "Not one of the choices." in page
    assert SECRET not in page  # a typed secret is not echoed back
    assert row_of(db, shop) is None


def test_secrets_are_encrypted_masked_and_never_rendered_or_logged(owner_client, shop, db,
                                                                   caplog):
    with caplog.at_level(logging.DEBUG):
        response = owner_client.post(f"/dashboard/{shop.slug}/plugins/recorder", data={
            "greeting": "Chào", "max_items": "4", "mode": "a", "api_key": SECRET})
    assert response.status_code == 303
    row = row_of(db, shop)
    assert SECRET not in (row.secrets or "") and SECRET not in str(row.settings)
    assert row.secret_keys == ["api_key"]
    assert services.merchant_settings(shop, "recorder")["api_key"] == SECRET
    page = owner_client.get(f"/dashboard/{shop.slug}/plugins/recorder").get_data(as_text=True)
    assert SECRET not in page and "Stored — leave empty to keep it" in page
    assert SECRET not in caplog.text
    # Saving again without retyping the secret keeps it.
    owner_client.post(f"/dashboard/{shop.slug}/plugins/recorder", data={
        "greeting": "Chào lại", "max_items": "4", "mode": "a", "api_key": ""})
    assert services.merchant_settings(shop, "recorder") | {"greeting": None} == {
        "greeting": None, "api_key": SECRET, "max_items": 4, "loud": False, "mode": "a"}


def test_plugins_need_the_owner(papp, shop, make_member, db):
    manager = make_member(shop, role="manager")
    db.session.commit()
    client = log_in(english_client(papp), manager.user)
    assert client.get(f"/dashboard/{shop.slug}/plugins").status_code == 403
    assert client.post(f"/dashboard/{shop.slug}/plugins/recorder/enabled",
                       data={"enabled": "1"}).status_code == 403
    assert row_of(db, shop) is None


def test_another_merchants_dashboard_and_unknown_plugins_are_404(owner_client, make_merchant,
                                                                 shop, db):
    other = make_merchant()
    db.session.commit()
    assert owner_client.get(f"/dashboard/{other.slug}/plugins").status_code == 404
    assert owner_client.post(f"/dashboard/{other.slug}/plugins/recorder/enabled",
                             data={"enabled": "1"}).status_code == 404
    assert row_of(db, other) is None
    for name in ("nope", "platform_tools", "old_timer", "core"):
        assert owner_client.get(f"/dashboard/{shop.slug}/plugins/{name}").status_code == 404


# -- platform admin --------------------------------------------------------------------------

@pytest.fixture
def admin_client(papp, admin_user, db):
    db.session.commit()
    return log_in(english_client(papp), admin_user)


def test_admin_sees_every_plugin_with_its_source_and_problem(admin_client):
    page = admin_client.get("/admin/plugins").get_data(as_text=True)
    for name in ("recorder", "faulty", "platform_tools", "old_timer"):
        assert f'data-plugin="{name}"' in page
    assert "needs core &lt;0.1" in page
    assert 'data-plugin="core"' not in page


def test_admin_blocks_with_a_reason_then_unblocks(admin_client, db):
    refused = admin_client.post("/admin/plugins/recorder/status", data={"event": "block"})
    assert refused.status_code == 303 and db.session.get(PlatformPlugin, "recorder") is None
    admin_client.post("/admin/plugins/recorder/status",
                      data={"event": "block", "reason": "Sends data abroad"})
    row = db.session.get(PlatformPlugin, "recorder")
    assert row.status == "blocked" and row.reason == "Sends data abroad"
    admin_client.post("/admin/plugins/recorder/status", data={"event": "unblock"})
    db.session.refresh(row)
    assert row.status == "available"
    admin_client.post("/admin/plugins/recorder/status", data={"event": "install"})
    db.session.refresh(row)
    assert row.status == "installed"


def test_admin_cannot_install_an_incompatible_plugin(admin_client, db):
    admin_client.post("/admin/plugins/old_timer/status", data={"event": "install"})
    assert db.session.get(PlatformPlugin, "old_timer") is None


def test_admin_global_settings_keep_secrets_secret(admin_client, db):
    response = admin_client.post("/admin/plugins/recorder", data={"platform_token": SECRET})
    assert response.status_code == 303
    assert services.global_settings("recorder")["platform_token"] == SECRET
    page = admin_client.get("/admin/plugins/recorder").get_data(as_text=True)
    assert SECRET not in page and SECRET not in (db.session.get(PlatformPlugin,
                                                                "recorder").secrets)


def test_plugin_admin_is_for_platform_admins_only(owner_client):
    assert owner_client.get("/admin/plugins").status_code == 404
    assert owner_client.post("/admin/plugins/recorder/status",
                             data={"event": "uninstall"}).status_code == 404


# -- REST API --------------------------------------------------------------------------------

@pytest.fixture
def headers(shop, owner_of, api_token, db):
    token = api_token(owner_of(shop))
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_api_lists_plugins_with_their_schema(papp, headers):
    body = english_client(papp).get("/api/v1/plugins", headers=headers).get_json()
    names = {p["name"] for p in body}
    assert names == {"recorder", "faulty"}
    recorder = next(p for p in body if p["name"] == "recorder")
    assert recorder["enabled"] is False and recorder["version"] == "1.2.0"
    assert {s["key"] for s in recorder["settings_schema"]} == {
        "greeting", "api_key", "max_items", "loud", "mode"}


def test_api_saves_settings_and_enables_in_one_request(papp, headers, shop, db):
    client = english_client(papp)
    response = client.patch("/api/v1/plugins/recorder", headers=headers, json={
        "enabled": True, "settings": {"greeting": "Xin chào", "api_key": SECRET}})
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["enabled"] is True and body["settings"]["api_key"] == MASK
    assert SECRET not in response.get_data(as_text=True)
    assert row_of(db, shop).enabled


def test_api_refuses_bad_settings_and_changes_nothing(papp, headers, shop, db):
    response = english_client(papp).patch("/api/v1/plugins/recorder", headers=headers, json={
        "enabled": True, "settings": {"greeting": "Hi", "max_itemz": 3}})
    assert response.status_code == 422
    assert response.get_json()["errors"]["max_itemz"] == ["Unknown setting."]
    assert row_of(db, shop) is None


def test_api_404s_for_plugins_a_merchant_cannot_switch(papp, headers):
    client = english_client(papp)
    for name in ("nope", "platform_tools", "old_timer"):
        assert client.get(f"/api/v1/plugins/{name}", headers=headers).status_code == 404


def test_api_needs_the_owner(papp, shop, make_member, api_token, db):
    manager = make_member(shop, role="manager")
    token = api_token(manager)
    db.session.commit()
    response = english_client(papp).get("/api/v1/plugins",
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_admin_switches_safe_mode(admin_client, db):
    page = admin_client.get("/admin/plugins").get_data(as_text=True)
    assert "Safe mode: stop every third-party plugin now" in page
    admin_client.post("/admin/plugins/safe-mode", data={"on": "1"})
    page = admin_client.get("/admin/plugins").get_data(as_text=True)
    assert "Turn safe mode off" in page
    assert current_platform().in_safe_mode() is True
    admin_client.post("/admin/plugins/safe-mode", data={"on": "0"})
    current_platform().forget_statuses()
    assert current_platform().in_safe_mode() is False
