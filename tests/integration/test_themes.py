"""Themes: resolution order, per-theme caches, the sandbox, static files, choosing a theme."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound, TemplateSyntaxError
from jinja2.exceptions import SecurityError, UndefinedError

from marketplace import PROJECT_ROOT
from marketplace.plugins import services as plugins
from marketplace.theming import catalog as theme_catalog
from marketplace.theming import current_engine, render_storefront
from marketplace.theming.catalog import ThemeError, discover_themes
from marketplace.theming.engine import IMPORT_WITH_CONTEXT
from tests.support.plugin_apps import GOOD, english_client, log_in

THEMES = Path(PROJECT_ROOT) / "themes"
TEST_THEMES = Path(__file__).parent.parent / "support" / "themes"
SECRET_KEY = "test-secret-key-not-for-production"


@pytest.fixture
def themes_dir(tmp_path):
    folder = tmp_path / "themes"
    folder.mkdir()
    for name, source in (("default", THEMES), ("hoian", THEMES), ("alpha", TEST_THEMES),
                         ("beta", TEST_THEMES)):
        (folder / name).symlink_to(source / name)
    return folder


@pytest.fixture
def tapp(make_app, db, themes_dir, monkeypatch):
    hostile = EntryPoint(name="hostile", value="tests.support.themes.hostile",
                         group="marketplace.themes")
    monkeypatch.setattr(theme_catalog, "entry_points", lambda group: [hostile])
    app = make_app(THEMES_DIR=str(themes_dir), PLUGINS_BUILTIN_DIR=str(GOOD),
                   PLUGINS_AUTOLOAD=True)
    with app.app_context():
        yield app


@pytest.fixture
def shop(tapp, make_merchant, make_listing, db):
    merchant = make_merchant(description="Áo dài may đo")
    make_listing(merchant, title="Áo dài lụa")
    db.session.commit()
    return merchant


def page(app, merchant, **query) -> str:
    response = english_client(app).get(f"/m/{merchant.slug}", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_discovery_reads_bundled_and_package_themes(tapp):
    themes = current_engine().themes
    assert set(themes) == {"default", "hoian", "alpha", "beta", "hostile"}
    assert themes["hoian"].trusted and themes["hoian"].extends == "default"
    assert not themes["hostile"].trusted
    assert themes["default"].preview == "preview.png"


def test_resolution_follows_the_extends_chain(tapp, shop, db):
    default = page(tapp, shop)
    assert "ALPHA-HEADER" not in default and "BETA-FOOTER" not in default
    shop.theme = "alpha"
    db.session.commit()
    alpha = page(tapp, shop)
    assert "ALPHA-HEADER" in alpha and "BETA-FOOTER" not in alpha
    shop.theme = "beta"
    db.session.commit()
    beta = page(tapp, shop)
    # beta's own layout, alpha's header (inherited), default's listings (through core:),
    # and a plugin's Jinja filter in a theme environment.
    assert "BETA-FOOTER HI!" in beta and "ALPHA-HEADER" in beta
    assert "Áo dài lụa" in beta and "Áo dài may đo" in beta


def test_the_theme_name_is_part_of_the_template_cache_key(tapp, shop, make_merchant, db):
    other = make_merchant(theme="hoian")
    other.theme = "hoian"
    db.session.commit()
    first, second, again = page(tapp, shop), page(tapp, other), page(tapp, shop)
    assert "hoian-banner" in second and "hoian-banner" not in first
    assert "hoian-banner" not in again and "merchant-header" in again
    engine = current_engine()
    assert engine.env("hoian") is not engine.env("default")


def test_a_removed_theme_falls_back_to_the_default(tapp, shop, db):
    shop.theme = "uninstalled"
    db.session.commit()
    assert "merchant-header" in page(tapp, shop)


def test_core_prefix_and_plugin_templates(tapp):
    env = current_engine().env("hoian")
    original = env.get_template("core:storefront/merchant.html")
    assert "hoian-banner" not in original.filename and "themes/default" in original.filename
    assert env.get_template("recorder/badge.html").render(label="Mới") == \
        '<span class="recorder-badge">Mới</span>'
    with pytest.raises(TemplateNotFound):
        env.get_template("nope/badge.html")


def test_a_plugin_slot_shows_in_another_theme(tapp, shop, db):
    plugins.set_enabled(shop, "recorder", True)
    shop.theme = "hoian"
    db.session.commit()
    html = page(tapp, shop)
    assert "hoian-banner" in html and 'class="recorder-greeting">Xin chào<' in html


# -- the sandbox -----------------------------------------------------------------------------

def render_attack(app, merchant, name: str, user=None) -> str:
    with app.test_request_context(f"/m/{merchant.slug}"):
        if user is not None:
            from flask_login import login_user

            login_user(user)
        return render_storefront(f"attack/{name}.html", merchant=merchant)


@pytest.fixture
def hostile_shop(shop, db):
    shop.theme = "hostile"
    db.session.commit()
    return shop


def test_a_package_theme_renders_sandboxed(tapp, hostile_shop):
    assert "HOSTILE-HEADER" in page(tapp, hostile_shop)
    assert render_attack(tapp, hostile_shop, "allowed") == \
        f"[{hostile_shop.name}][/m/{hostile_shop.slug}][False]"


@pytest.mark.parametrize("attack", ["config", "request", "user", "session", "memberships",
                                    "query", "dunder"])
def test_a_sandboxed_theme_reads_nothing_it_must_not(tapp, hostile_shop, owner_of, attack):
    """Config, request internals, sessions, accounts, other rows, Python internals: each
    attempt either fails to render or renders as nothing."""
    owner = owner_of(hostile_shop).user
    try:
        out = render_attack(tapp, hostile_shop, attack, user=owner)
    except (SecurityError, UndefinedError):
        return
    assert SECRET_KEY not in out and owner.password_hash not in out
    assert "wsgi" not in out.lower() and "subclasses" not in out
    assert out.replace("[]", "").strip() == ""


@pytest.mark.parametrize("attack", ["include_dashboard", "include_admin", "include_auth"])
def test_a_sandboxed_theme_cannot_include_staff_templates(tapp, hostile_shop, attack):
    with pytest.raises(TemplateNotFound):
        render_attack(tapp, hostile_shop, attack)


def test_a_theme_cannot_point_outside_its_static_folder(tapp, hostile_shop):
    with pytest.raises(TemplateNotFound):
        render_attack(tapp, hostile_shop, "static_escape")


def test_trusted_themes_keep_the_full_context(tapp):
    env = current_engine().env("hoian")
    assert "config" in env.globals and "config" not in current_engine().env("hostile").globals


# -- discovery errors ------------------------------------------------------------------------

def write_theme(folder: Path, name: str, extends: str = "default", **extra) -> None:
    (folder / name).mkdir(parents=True)
    lines = [f'name = "{name}"', 'version = "1.0"', f'extends = "{extends}"']
    lines += [f'{k} = "{v}"' for k, v in extra.items()]
    (folder / name / "theme.toml").write_text("\n".join(lines))


def test_cycles_unknown_parents_duplicates_and_bad_manifests_fail_loudly(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "default").symlink_to(THEMES / "default")
    write_theme(tmp_path / "a", "one", extends="two")
    write_theme(tmp_path / "a", "two", extends="one")
    with pytest.raises(ThemeError, match="circle"):
        discover_themes(tmp_path / "a", packages=False)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "default").symlink_to(THEMES / "default")
    write_theme(tmp_path / "b", "orphan", extends="ghost")
    with pytest.raises(ThemeError, match="unknown theme 'ghost'"):
        discover_themes(tmp_path / "b", packages=False)
    write_theme(tmp_path / "c", "x", extends="default", colour="red")
    with pytest.raises(ThemeError, match="unknown keys"):
        discover_themes(tmp_path / "c", packages=False)
    write_theme(tmp_path / "d", "peek", preview="../../theme.toml")
    with pytest.raises(ThemeError, match="preview"):
        discover_themes(tmp_path / "d", packages=False)
    with pytest.raises(ThemeError, match="no 'default' theme"):
        discover_themes(tmp_path / "empty", packages=False)


# -- static files, dashboard, API ------------------------------------------------------------

def test_theme_static_files_and_traversal(tapp):
    client = english_client(tapp)
    css = client.get("/themes/hoian/static/hoian.css")
    assert css.status_code == 200 and b"--hoian-lantern" in css.data
    assert client.get("/themes/hoian/static/../theme.toml").status_code == 404
    assert client.get("/themes/hoian/static/%2e%2e/theme.toml").status_code == 404
    assert client.get("/themes/ghost/static/x.css").status_code == 404


def test_the_owner_previews_and_picks_a_theme(tapp, shop, owner_of, db):
    client = log_in(english_client(tapp), owner_of(shop).user)
    listing = client.get(f"/dashboard/{shop.slug}/theme").get_data(as_text=True)
    assert 'value="hoian"' in listing and "Preview of the hoian theme" in listing
    assert f"/m/{shop.slug}?theme=hoian" in listing
    preview = client.get(f"/m/{shop.slug}?theme=hoian").get_data(as_text=True)
    assert "hoian-banner" in preview
    assert shop.theme is None  # previewing changes nothing
    response = client.post(f"/dashboard/{shop.slug}/theme", data={"theme": "hoian"})
    assert response.status_code == 303
    db.session.refresh(shop)
    assert shop.theme == "hoian"
    bad = client.post(f"/dashboard/{shop.slug}/theme", data={"theme": "ghost"})
    assert bad.status_code == 422 and "Choose one of the installed themes." in bad.get_data(
        as_text=True)
    db.session.refresh(shop)
    assert shop.theme == "hoian"


def test_strangers_cannot_preview_and_staff_cannot_pick(tapp, shop, make_member, db):
    assert "hoian-banner" not in page(tapp, shop, theme="hoian")
    staff = make_member(shop, role="staff")
    db.session.commit()
    client = log_in(english_client(tapp), staff.user)
    assert "hoian-banner" not in client.get(f"/m/{shop.slug}?theme=hoian").get_data(
        as_text=True)
    assert client.post(f"/dashboard/{shop.slug}/theme",
                       data={"theme": "hoian"}).status_code == 403
    db.session.refresh(shop)
    assert shop.theme is None


def test_theme_api(tapp, shop, owner_of, make_member, api_token, db):
    client = english_client(tapp)
    listed = client.get("/api/v1/catalog/themes").get_json()
    assert {t["name"]: t["source"] for t in listed}["hostile"] == "package"
    owner = {"Authorization": f"Bearer {api_token(owner_of(shop))}"}
    staff = {"Authorization": f"Bearer {api_token(make_member(shop, role='staff'))}"}
    db.session.commit()
    assert client.get("/api/v1/theme", headers=owner).get_json()["theme"]["name"] == "default"
    assert client.put("/api/v1/theme", headers=staff, json={"theme": "hoian"}).status_code == 403
    bad = client.put("/api/v1/theme", headers=owner, json={"theme": "ghost"})
    assert bad.status_code == 422 and "theme" in bad.get_json()["errors"]
    ok = client.put("/api/v1/theme", headers=owner, json={"theme": "hoian"})
    assert ok.status_code == 200 and ok.get_json()["theme"]["name"] == "hoian"
    back = client.put("/api/v1/theme", headers=owner, json={"theme": None})
    assert back.get_json()["theme"]["name"] == "default"
    db.session.refresh(shop)
    assert shop.theme is None


def test_macro_imports_with_context_are_refused(make_app, tmp_path, db):
    """`import … with context` crashed threaded workers on CPython 3.11 (docs/themes.md):
    every theme, bundled or not, is refused it with a clear error, and no shipped template
    uses it."""
    folder = tmp_path / "themes"
    folder.mkdir()
    (folder / "default").symlink_to(THEMES / "default")
    write_theme(folder, "ctx")
    pages = folder / "ctx" / "templates" / "storefront"
    pages.mkdir(parents=True)
    (pages / "merchant.html").write_text(
        '{% extends "core:storefront/merchant.html" %}\n'
        '{% block merchant_header %}\n'
        '{%- from "storefront/_macros.html" import price with context -%}\n'
        '{% endblock %}\n')
    app = make_app(THEMES_DIR=str(folder))
    with app.app_context():
        env = current_engine().env("ctx")
        with pytest.raises(TemplateSyntaxError, match="without 'with context'") as refused:
            env.get_template("storefront/merchant.html")
        assert refused.value.lineno == 3
    shipped = [p for root in (THEMES, Path(PROJECT_ROOT) / "marketplace" / "templates",
                              Path(PROJECT_ROOT) / "plugins")
               for p in root.rglob("*.html")]
    assert len(shipped) > 50
    offenders = [str(p) for p in shipped if IMPORT_WITH_CONTEXT.search(p.read_text())]
    assert offenders == []
