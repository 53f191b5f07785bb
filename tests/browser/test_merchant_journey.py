"""A merchant's first day, through the real pages in Chromium.

A visitor signs up as a merchant on /sell; the platform admin approves it on /admin; the
merchant adds a store with weekly opening hours (one interval closes the next day), a product
with two sizes, stock at the store, and publishes it; a Vietnamese-speaking visitor then finds
the listing, sees the price in Vietnamese format and the store that has it, and opens the
store page. Merchant and admin use English pages (their browsers ask for English); the
visitor's pages are checked by structure and number formats, not by translated words.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

OWNER = {"full_name": "Trần Thị Bích", "email": "bich@thoitrangbich.example.vn",
         "password": "mật khẩu của Bích 2026"}
BUSINESS = "Thời Trang Bích"
STORE = {"name": "Bích Lê Lợi", "address_line": "12 Lê Lợi", "district": "Quận 1",
         "city": "Hồ Chí Minh", "latitude": "10.7769", "longitude": "106.7009"}
LISTING_TITLE = "Áo dài lụa Bích"
SIZES = [("BICH-AODAI-S", "S", "150000", "8"), ("BICH-AODAI-M", "M", "175000", "5")]


def expect_ok(page: Page, live_server) -> None:
    """The page rendered without a server error (and show the traceback if it did not)."""
    errors = live_server.server_errors()
    assert not errors, f"server errors on {page.url}:\n{errors}"


def sign_up_as_merchant(page: Page, live_server) -> None:
    page.goto("/sell")
    page.get_by_label("Full name").fill(OWNER["full_name"])
    page.get_by_label("E-mail", exact=True).fill(OWNER["email"])
    page.get_by_label("Password").fill(OWNER["password"])
    page.get_by_label("Business name").fill(BUSINESS)
    page.get_by_role("button", name="Create merchant account").click()
    expect(page).to_have_url(re.compile(r"/dashboard/"))
    expect_ok(page, live_server)
    expect(page.get_by_text("waiting for approval")).to_be_visible()


def approve_as_admin(page: Page, live_server) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(live_server.admin_email)
    page.get_by_label("Password").fill(live_server.admin_password)
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/")
    expect_ok(page, live_server)
    pending = page.locator("#status-pending")
    pending.get_by_role("link", name=BUSINESS).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(BUSINESS)
    page.get_by_role("button", name="Approve").click()
    expect_ok(page, live_server)
    expect(page.locator("h1 .badge")).to_have_text("Approved")


def visitor_finds_the_listing(page: Page, live_server, screenshot_dir) -> None:
    page.goto("/")
    expect_ok(page, live_server)
    search = page.get_by_role("searchbox")
    search.fill("áo dài lụa")
    search.press("Enter")
    expect_ok(page, live_server)
    card = page.locator("article.listing-card").filter(has_text=LISTING_TITLE)
    expect(card).to_have_count(1)
    # Vietnamese number format: "." groups thousands, the đồng sign follows the amount.
    expect(card.locator(".price")).to_contain_text("150.000 ₫")
    card.get_by_role("link", name=LISTING_TITLE).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(LISTING_TITLE)
    expect_ok(page, live_server)
    expect(page.locator(".listing-price")).to_contain_text("150.000 ₫")
    expect(page.locator(".listing-price")).to_contain_text("175.000 ₫")
    # The first size's availability is open: our store has 8 of it.
    first_size = page.locator("details.variant-availability").first
    store_row = first_size.locator("tr[data-store]").filter(has_text=STORE["name"])
    expect(store_row.locator(".stock-in")).to_be_visible()
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "listing-vi.png"), full_page=True)

    store_row.get_by_role("link", name=STORE["name"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(STORE["name"])
    expect_ok(page, live_server)
    expect(page.locator("address")).to_contain_text(STORE["address_line"])
    # Saturday's interval closes the next day: shown as such in the weekly table.
    expect(page.locator("table.opening-hours")).to_contain_text("18:00 – 02:00")
    expect(page.locator("article.listing-card").filter(has_text=LISTING_TITLE)).to_have_count(1)
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "store-vi.png"), full_page=True)


def test_merchant_journey(new_context, live_server, screenshot_dir):
    merchant = new_context(locale="en-US").new_page()
    sign_up_as_merchant(merchant, live_server)

    admin = new_context(locale="en-US").new_page()
    approve_as_admin(admin, live_server)

    set_up_store_and_listing(merchant, live_server)

    visitor = new_context(locale="vi-VN", extra_http_headers={"Accept-Language": "vi-VN,vi"})
    visitor_finds_the_listing(visitor.new_page(), live_server, screenshot_dir)
