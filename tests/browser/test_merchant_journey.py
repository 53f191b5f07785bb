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

from marketplace.outbox.services import drain

pytestmark = pytest.mark.browser

OWNER = {"full_name": "Trần Thị Bích", "email": "bich@thoitrangbich.example.vn",
         "password": "mật khẩu của Bích 2026"}
BUSINESS = "Thời Trang Bích"
STORE = {"name": "Bích Lê Lợi", "address_line": "12 Lê Lợi", "district": "Quận 1",
         "city": "Hồ Chí Minh", "latitude": "10.7769", "longitude": "106.7009"}
# Weekday → (opens, closes, closes next day). Sunday (6) stays closed.
HOURS = {0: ("08:00", "21:00", False), 2: ("08:00", "21:00", False),
         4: ("09:00", "22:00", False), 5: ("18:00", "02:00", True)}
LISTING_TITLE = "Áo dài lụa Bích"
SIZES = [("BICH-AODAI-S", "S", "150000", "8"), ("BICH-AODAI-M", "M", "175000", "5")]


def expect_ok(page: Page, live_server) -> None:
    """The page rendered without a server error (and show the traceback if it did not)."""
    errors = live_server.server_errors()
    assert not errors, f"server errors on {page.url}:\n{errors}"


def sign_up_as_merchant(page: Page, live_server) -> None:
    # The live server checks CSRF like production: a form post without the token is refused.
    forged = page.request.post("/sell", form={"email": "x@example.vn", "name": "X"})
    assert forged.status == 400
    page.goto("/sell")
    page.get_by_label("Full name").fill(OWNER["full_name"])
    page.get_by_label("E-mail", exact=True).fill(OWNER["email"])
    page.get_by_label("Password").fill(OWNER["password"])
    page.get_by_label("Business name").fill(BUSINESS)
    page.get_by_role("button", name="Create merchant account").click()
    expect(page).to_have_url(re.compile(r"/dashboard/"))
    expect_ok(page, live_server)
    expect(page.locator("aside.sidebar .badge")).to_have_text("Pending approval")


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


def dashboard_area(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name=name).click()


def add_store_with_hours(page: Page, live_server) -> None:
    dashboard_area(page, "Stores")
    page.get_by_role("button", name="New store").click()
    form = page.locator("form.store-form")
    form.get_by_label("Store name").fill(STORE["name"])
    form.get_by_label("Street address").fill(STORE["address_line"])
    form.get_by_label("District").fill(STORE["district"])
    form.get_by_label("City or province").fill(STORE["city"])
    form.get_by_label("Latitude").fill(STORE["latitude"])
    form.get_by_label("Longitude").fill(STORE["longitude"])
    form.get_by_role("button", name="Create store").click()
    expect_ok(page, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text(STORE["name"])

    editor = page.locator("form.hours-editor")
    for weekday, (opens, closes, overnight) in HOURS.items():
        row = editor.locator(f'[data-hours-day="{weekday}"] [data-hours-row]').first
        row.get_by_label("Opens", exact=True).fill(opens)
        row.get_by_label("Closes", exact=True).fill(closes)
        if overnight:
            row.get_by_label("Closes next day").check()
    editor.get_by_role("button", name="Save opening hours").click()
    expect_ok(page, live_server)
    # What was saved comes back in the form: the overnight interval kept its tick.
    saturday = page.locator('form.hours-editor [data-hours-day="5"] [data-hours-row]').first
    expect(saturday.get_by_label("Opens", exact=True)).to_have_value("18:00")
    expect(saturday.get_by_label("Closes", exact=True)).to_have_value("02:00")
    expect(saturday.get_by_label("Closes next day")).to_be_checked()
    sunday = page.locator('form.hours-editor [data-hours-day="6"] [data-hours-row]').first
    expect(sunday.get_by_label("Opens", exact=True)).to_have_value("")


def add_product_with_two_sizes(page: Page, live_server) -> None:
    dashboard_area(page, "Listings")
    page.get_by_role("button", name="New product").click()
    form = page.locator("form.listing-form")
    form.get_by_label("Title").fill(LISTING_TITLE)
    form.get_by_label("Description").fill("Áo dài lụa tơ tằm, may tại Sài Gòn.")
    for index, (sku, size, price, _stock) in enumerate(SIZES):
        row = form.locator("fieldset.variant-row").nth(index)
        row.get_by_label("SKU", exact=True).fill(sku)
        row.get_by_label("Price", exact=True).fill(price)
        row.get_by_label("Option 1 name").fill("Cỡ")
        row.get_by_label("Option 1 value").fill(size)
    form.get_by_role("button", name="Create draft").click()
    expect_ok(page, live_server)
    head = page.locator("header.listing-head")
    expect(head.get_by_role("heading", level=1)).to_have_text(LISTING_TITLE)
    expect(head).to_contain_text("Draft")


def set_stock_at_the_store(page: Page, live_server) -> None:
    dashboard_area(page, "Stores")
    page.get_by_role("link", name=STORE["name"]).click()
    page.get_by_role("link", name="Stock at this store").click()
    expect_ok(page, live_server)
    for sku, _size, _price, quantity in SIZES:
        form = page.locator("form").filter(has=page.get_by_role("button", name="Record count"))
        product = form.get_by_label("Product")
        value = product.locator("option", has_text=sku).get_attribute("value")
        product.select_option(value)
        form.get_by_label("Counted on hand").fill(quantity)
        form.get_by_role("button", name="Record count").click()
        expect_ok(page, live_server)
        row = page.locator("table.stock-table tr").filter(has_text=sku)
        expect(row.locator('[data-stock="on_hand"]')).to_have_text(quantity)
        expect(row.locator('[data-stock="available"]')).to_have_text(quantity)


def publish_the_listing(page: Page, live_server) -> None:
    dashboard_area(page, "Listings")
    page.get_by_role("link", name=LISTING_TITLE).click()
    page.locator(".listing-status").get_by_role("button", name="Publish").click()
    expect_ok(page, live_server)
    head = page.locator("header.listing-head")
    expect(head).to_contain_text("Published")
    # Vietnamese formats come later; the merchant's English page shows đồng the English way.
    expect(head).to_contain_text("₫150,000")
    expect(head.get_by_role("link", name="View the public page")).to_be_visible()


def set_up_store_and_listing(page: Page, live_server) -> None:
    page.reload()  # the sidebar now shows the approval
    expect(page.locator("aside.sidebar .badge")).to_have_text("Approved")
    add_store_with_hours(page, live_server)
    add_product_with_two_sizes(page, live_server)
    set_stock_at_the_store(page, live_server)
    publish_the_listing(page, live_server)


def visitor_finds_the_listing(page: Page, live_server, screenshot_dir) -> None:
    with live_server.app.app_context():
        drain()  # what the outbox worker (off on the test server) does: index the listing
    page.goto("/")
    expect_ok(page, live_server)
    search = page.get_by_role("searchbox")
    search.fill("ao dai lua")  # without accents
    search.press("Enter")
    expect_ok(page, live_server)
    hit = page.locator(".search-hit").filter(has_text=LISTING_TITLE)
    expect(hit).to_have_count(1)
    # Vietnamese number format: "." groups thousands, the đồng sign follows the amount.
    expect(hit.locator(".price")).to_contain_text("150.000 ₫")
    hit.get_by_role("link", name=LISTING_TITLE).click()

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
