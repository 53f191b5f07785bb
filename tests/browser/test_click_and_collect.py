"""Click-and-collect through the real pages in Chromium.

A consumer puts items of two shops in one cart, checks out with pickup at one store of each
shop in a booked slot, paying at the store, and reads the pickup code of each order. Staff
of the first shop find the order in their store's pickup queue, prepare it, mark it ready,
hand it over after checking the code (taking the payment at the counter), and later take one
item back in the store: it goes back on the shelf and the refund is cash at the counter.
The shops are set up through the services (the merchant's own pages have their journey in
``test_merchant_journey.py``); everything the consumer and the staff do goes through forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from marketplace.accounts.services import register_user
from marketplace.catalog.services import change_status, create_listing
from marketplace.extensions import db
from marketplace.inventory.models import StockLevel
from marketplace.inventory.services import adjust_stock
from marketplace.merchants.services import change_status as merchant_status
from marketplace.merchants.services import create_merchant
from marketplace.orders.models import Order
from marketplace.payments.models import Refund
from marketplace.plugins import services as plugin_services
from marketplace.stores.services import create_store, set_opening_hours

pytestmark = pytest.mark.browser

PASSWORD = "mật khẩu thử nghiệm 2026"
CONSUMER = "lan.nguyen@khach.example.vn"
OPEN_ALL_WEEK = [{"weekday": d, "opens": "00:00", "closes": "00:00", "overnight": True}
                 for d in range(7)]


@dataclass
class Shop:
    owner_email: str
    name: str
    slug: str
    listing_slug: str
    store_id: int
    variant_id: int


def open_shop(*, owner_email: str, name: str, store_name: str, title: str,
              variants: list[dict], admin) -> Shop:
    owner = register_user(email=owner_email, password=PASSWORD, full_name=f"Chủ {name}")
    merchant = create_merchant(owner=owner, data={"name": name}, commission_bp=0)
    merchant_status(merchant, "approve", actor=admin)
    plugin_services.set_enabled(merchant, "payment_pay_at_store", True)
    store = create_store(merchant, {
        "name": store_name, "address_line": "12 Lê Lợi", "district": "Quận 1",
        "city": "Hồ Chí Minh", "latitude": 10.7769, "longitude": 106.7009,
        "pickup_enabled": True, "pickup_lead_minutes": 0, "pickup_slot_minutes": 30,
        "pickup_orders_per_slot": 5}, default_timezone="Asia/Ho_Chi_Minh")
    set_opening_hours(store, OPEN_ALL_WEEK)
    listing = create_listing(merchant, {"title": title, "variants": variants})
    change_status(listing, "publish")
    for variant in listing.variants:
        adjust_stock(store=store, variant=variant, delta=5, reason="receipt", actor_id=None)
    return Shop(owner_email, name, merchant.slug, listing.slug, store.id,
                listing.variants[-1].id)


def platform_admin(email: str):
    """A platform admin to approve the test's shops (each test its own address: the live
    server's database is shared by the browser tests)."""
    admin = register_user(email=email, password=PASSWORD, full_name="Quản trị")
    admin.is_platform_admin = True
    return admin


@pytest.fixture
def two_shops(live_server):
    with live_server.app.app_context():
        admin = platform_admin("qt@browser-shop.example.vn")
        shoes = open_shop(owner_email="chu@giaynhanh.example.vn", name="Giày Nhanh",
                          store_name="Giày Nhanh Lê Lợi", title="Giày chạy bộ Nhanh",
                          variants=[{"sku": "GN-40", "price": 850000, "options": {"size": "40"}},
                                    {"sku": "GN-41", "price": 850000,
                                     "options": {"size": "41"}}], admin=admin)
        coffee = open_shop(owner_email="chu@caphesang.example.vn", name="Cà Phê Sáng",
                           store_name="Cà Phê Sáng Nguyễn Huệ", title="Cà phê hạt rang xay",
                           variants=[{"sku": "CPS-500", "price": 180000}], admin=admin)
        register_user(email=CONSUMER, password=PASSWORD, full_name="Nguyễn Thị Lan")
        db.session.commit()
        db.session.remove()
    return shoes, coffee


def expect_ok(page: Page, live_server) -> None:
    errors = live_server.server_errors()
    assert not errors, f"server errors on {page.url}:\n{errors}"


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def add_to_cart(page: Page, shop: Shop, quantity: int, live_server) -> None:
    page.goto(f"/m/{shop.slug}/l/{shop.listing_slug}")
    form = page.locator("form.add-to-cart")
    option = form.get_by_label("Option")
    if option.count():
        option.select_option(str(shop.variant_id))
    form.get_by_label("Quantity").fill(str(quantity))
    form.get_by_role("button", name="Add to cart").click()
    expect_ok(page, live_server)


def check_out(page: Page, shops: tuple[Shop, ...], live_server, screenshot_dir) -> None:
    page.goto("/checkout")
    expect_ok(page, live_server)
    for shop in shops:
        part = page.locator("section.checkout-part").filter(has_text=shop.name)
        expect(part.get_by_label("Order these items now")).to_be_checked()
        part.get_by_label(re.compile("Pick up in a time slot")).check()
        expect(part.locator("select[name^=store_] option:checked")).to_contain_text(
            "Lê Lợi" if shop.name == "Giày Nhanh" else "Nguyễn Huệ")
        part.locator("fieldset.slots input[type=radio]").first.check()
        part.get_by_label(re.compile("Pay at the store")).check()
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "checkout-two-shops.png"), full_page=True)
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(r"/orders$"))
    expect_ok(page, live_server)


def pickup_code(page: Page, shop: Shop, live_server) -> tuple[str, str]:
    """Open the consumer's order of ``shop``; its number and pickup code as shown."""
    page.goto("/orders")
    page.get_by_role("row").filter(has_text=shop.name).get_by_role("link").first.click()
    expect_ok(page, live_server)
    heading = page.get_by_role("heading", level=1).inner_text()
    number = re.search(r"DH[0-9A-Z]+", heading).group(0)
    return number, page.locator("[data-pickup-code]").inner_text().strip()


def staff_hand_over(page: Page, shop: Shop, number: str, code: str, live_server,
                    screenshot_dir) -> None:
    page.goto(f"/dashboard/{shop.slug}/")
    page.get_by_role("navigation", name="Dashboard").get_by_role("link",
                                                                 name="Pickup queue").click()
    expect_ok(page, live_server)
    if "/pickup/" not in page.url:  # a merchant with several stores chooses one first
        page.get_by_role("link", name=re.compile("Lê Lợi")).first.click()
    expect(page.locator(f"[data-state=confirmed] [data-order={number}]")).to_be_visible()
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "staff-pickup-queue.png"), full_page=True)
    page.get_by_role("link", name=number).click()
    page.get_by_role("button", name="Start preparing").click()
    expect(page.locator("h1 .badge")).to_have_text("Being prepared")
    page.get_by_role("button", name="Ready for pickup").click()
    expect(page.locator("h1 .badge")).to_have_text("Ready for pickup")
    # A wrong code is refused and changes nothing.
    form = page.locator("form.collect-form")
    form.get_by_label("Pickup code").fill("AAAA-AAAA")
    form.get_by_label("Payment taken at the counter").check()
    form.get_by_role("button", name="Collected").click()
    expect(page.locator(".field-error")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Ready for pickup")
    form = page.locator("form.collect-form")
    form.get_by_label("Pickup code").fill(code.lower().replace("-", " "))
    form.get_by_label("Payment taken at the counter").check()
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "staff-order-ready.png"), full_page=True)
    form.get_by_role("button", name="Collected").click()
    expect(page.locator("h1 .badge")).to_have_text("Collected")
    expect_ok(page, live_server)


def staff_take_back_one(page: Page, live_server, screenshot_dir) -> None:
    page.get_by_text("Return in store").click()  # the form is folded away until needed
    form = page.locator("form").filter(has=page.get_by_role("button",
                                                            name="Record the return and refund"))
    form.get_by_label("Quantity returned").fill("1")
    form.get_by_label("Condition").select_option("resellable")
    form.get_by_label("Reason").fill("Khách đổi ý, hộp còn nguyên")
    form.get_by_role("button", name="Record the return and refund").click()
    expect_ok(page, live_server)
    returns = page.get_by_role("heading", name="Returns").locator("xpath=following-sibling::*[1]")
    expect(returns).to_contain_text("850")
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "staff-return.png"), full_page=True)


def test_two_shops_one_cart_pickup_pay_at_store_and_a_return(new_context, live_server,
                                                             two_shops, screenshot_dir):
    shoes, coffee = two_shops
    consumer = new_context(locale="en-US").new_page()
    log_in(consumer, CONSUMER)
    add_to_cart(consumer, shoes, 2, live_server)
    add_to_cart(consumer, coffee, 1, live_server)
    consumer.goto("/cart")
    expect(consumer.locator("main")).to_contain_text("Giày chạy bộ Nhanh")
    expect(consumer.locator("main")).to_contain_text("Cà phê hạt rang xay")
    check_out(consumer, (shoes, coffee), live_server, screenshot_dir)

    shoe_number, shoe_code = pickup_code(consumer, shoes, live_server)
    coffee_number, _coffee_code = pickup_code(consumer, coffee, live_server)
    assert shoe_number != coffee_number and re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", shoe_code)
    if screenshot_dir:
        consumer.screenshot(path=str(screenshot_dir / "order-pickup-code.png"), full_page=True)

    staff = new_context(locale="en-US").new_page()
    log_in(staff, shoes.owner_email)
    # The other shop's queue is not in this merchant's reach.
    refused = staff.request.get(f"/dashboard/{coffee.slug}/pickup/{coffee.store_id}")
    assert refused.status in (403, 404) and coffee_number not in refused.text()
    staff_hand_over(staff, shoes, shoe_number, shoe_code, live_server, screenshot_dir)
    staff_take_back_one(staff, live_server, screenshot_dir)

    # The consumer sees the order collected; the database agrees with the pages.
    consumer.goto("/orders")
    expect(consumer.get_by_role("row").filter(has_text=shoe_number)).to_contain_text(
        "Collected")
    with live_server.app.app_context():
        order = db.session.scalars(sa.select(Order).where(Order.number == shoe_number)).one()
        level = db.session.scalars(sa.select(StockLevel).where(
            StockLevel.store_id == shoes.store_id,
            StockLevel.variant_id == shoes.variant_id)).one()
        refund = db.session.scalars(sa.select(Refund).where(Refund.order_id == order.id)).one()
        assert (level.on_hand, level.reserved) == (5 - 2 + 1, 0)
        assert (refund.amount, refund.method, refund.state) == (850000, "cash", "succeeded")
        assert [line.returned_quantity for line in order.lines] == [1]
        db.session.remove()
