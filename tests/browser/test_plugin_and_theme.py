"""A plugin and a theme from a pip-installed package, switched on through the real pages.

The platform admin installs the ``new_arrivals`` plugin of the example package
(examples/o2o-new-arrivals, installed by ``make setup``) on /admin/plugins; a shop owner
enables it and sets its heading in the dashboard, picks the package's Lotus theme, and the
shop's public page then shows the plugin's strip inside the Lotus theme.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from marketplace.accounts.services import register_user
from marketplace.catalog import services as catalog
from marketplace.extensions import db
from marketplace.merchants import services as merchants
from marketplace.outbox.services import drain

pytestmark = pytest.mark.browser

OWNER = {"email": "lan@giaybuocnhanh.example.vn", "password": "mật khẩu của Lan 2026"}
SHOP = "Giày Bước Nhanh"


@pytest.fixture
def shop(live_server):
    app = live_server.app
    if "new_arrivals" not in app.extensions["plugins"].plugins:
        pytest.skip("the example plugin package is not installed (make setup installs it)")
    with app.app_context():
        owner = register_user(email=OWNER["email"], password=OWNER["password"],
                              full_name="Phạm Thị Lan")
        merchant = merchants.create_merchant(owner=owner, data={"name": SHOP,
                                                                "slug": "giay-buoc-nhanh"},
                                             commission_bp=1000)
        admin = db.session.scalars(db.select(type(owner)).where(
            type(owner).email == live_server.admin_email)).one()
        merchants.change_status(merchant, "approve", actor=admin)
        listing = catalog.create_listing(merchant, {
            "title": "Giày chạy bộ Sài Gòn", "kind": "product", "description": "Nhẹ, êm",
            "variants": [{"sku": "GBN-RUN-42", "price": 890000, "options": {"size": "42"}}]})
        catalog.change_status(listing, "publish")
        db.session.commit()
        slug = merchant.slug
        db.session.remove()
    return slug


def drain_outbox(live_server) -> None:
    """The live server runs no background worker: deliver the plugin events now."""
    with live_server.app.app_context():
        drain()
        db.session.remove()


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_owner_enables_a_package_plugin_and_switches_to_its_theme(new_context, live_server,
                                                                   shop):
    admin = new_context(locale="en-US").new_page()
    log_in(admin, live_server.admin_email, live_server.admin_password)
    admin.goto("/admin/plugins")
    row = admin.locator("tr[data-plugin=new_arrivals]")
    expect(row).to_contain_text("Available")
    row.get_by_role("button", name="Install").click()
    expect(admin.locator("tr[data-plugin=new_arrivals]")).to_contain_text("Installed")
    assert not live_server.server_errors()

    page = new_context(locale="en-US").new_page()
    log_in(page, OWNER["email"], OWNER["password"])
    page.goto(f"/dashboard/{shop}/plugins")
    page.locator("tr[data-plugin=new_arrivals]").get_by_role("button", name="Enable").click()
    expect(page.locator("tr[data-plugin=new_arrivals]")).to_contain_text("Enabled")
    page.locator("tr[data-plugin=new_arrivals]").get_by_role("link", name="Settings").click()
    page.get_by_label("Heading").fill("Hàng mới về")
    page.get_by_label("Days a listing counts as new").fill("99")
    page.get_by_role("button", name="Save settings").click()
    # The form generated from the schema carries its bounds: the browser refuses 99 first.
    expect(page.locator("#f-days:invalid")).to_have_count(1)
    page.get_by_label("Days a listing counts as new").fill("14")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash-success")).to_contain_text("The settings were saved.")
    drain_outbox(live_server)  # enabling back-fills what the shop published recently

    page.goto(f"/dashboard/{shop}/theme")
    page.locator("input[name=theme][value=lotus]").check()
    page.get_by_role("button", name="Use this theme").click()
    expect(page.locator(".flash-success")).to_contain_text("lotus")
    assert not live_server.server_errors()

    visitor = new_context(locale="vi-VN").new_page()
    visitor.goto(f"/m/{shop}")
    expect(visitor.locator(".lotus-ribbon")).to_have_text(SHOP)  # the package theme
    strip = visitor.locator('[data-plugin="new_arrivals"] .new-arrivals')
    expect(strip.get_by_role("heading")).to_have_text("Hàng mới về")  # the plugin's slot
    expect(strip.get_by_role("link", name="Giày chạy bộ Sài Gòn")).to_be_visible()
    stylesheet = visitor.locator('link[href*="/themes/lotus/static/lotus.css"]')
    expect(stylesheet).to_have_count(1)
    assert not live_server.server_errors()
