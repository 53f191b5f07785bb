"""Home delivery with cash on delivery, through the real pages in Chromium (issue 9).

An electronics shop with two stores, set up through the services, lets its own riders
deliver (``delivery_local_courier``) and takes cash at the door (``payment_cash_on_delivery``).
A consumer checks out one item for delivery to an address typed at checkout (with its
coordinates), paying cash: the parcel ships from the store nearer to her, not from the
other one that has the item too. The owner gives the parcel to a rider (a staff member) on
"Local deliveries"; the rider, on their own phone page, picks it up, sets out, records a
failed attempt ("Nobody was at home"), sets out again and delivers, typing the cash taken
(a delivery without the cash is refused and changes nothing). The consumer's tracking page
shows every step in order, the reason included, and the order delivered; the owner counts
the rider's cash on "Cash on delivery" (a count that is short with no note is refused) and
the order then reads as paid.

The live server uses the real clock: its stores are open around the clock and the same-day
offer always exists (today before the cut-off, else the next day). Its outbox has no worker:
the test drains it, which books the parcel and writes the customer's mail as .eml files.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from marketplace.accounts.services import register_user
from marketplace.catalog.services import change_status, create_listing
from marketplace.delivery.models import Shipment
from marketplace.extensions import db
from marketplace.inventory.services import adjust_stock
from marketplace.merchants.models import Membership
from marketplace.merchants.services import change_status as merchant_status
from marketplace.merchants.services import create_merchant
from marketplace.orders.models import Order
from marketplace.outbox.services import drain
from marketplace.payments.models import Payment
from marketplace.plugins import services as plugin_services
from marketplace.stores.services import create_store, set_opening_hours
from tests.browser.test_click_and_collect import (
    OPEN_ALL_WEEK,
    PASSWORD,
    Shop,
    add_to_cart,
    expect_ok,
    log_in,
    platform_admin,
)

pytestmark = pytest.mark.browser

# The live server's database is shared by the browser tests: accounts of this test only.
OWNER = "chu@dienmaysang-giaohang.example.vn"
RIDER = "tai.pham@dienmaysang-giaohang.example.vn"
RIDER_NAME = "Phạm Văn Tài"
CONSUMER = "hoa.vo@khach-giaohang.example.vn"
SHOP_NAME = "Điện Máy Sáng"
NEAR_STORE = "Điện Máy Sáng Nguyễn Huệ"
FAR_STORE = "Điện Máy Sáng Thủ Đức"
PRICE = 450_000
FEE = 15_000  # the first tier: the address is well within 3 km of the near store
TOTAL = PRICE + FEE
# The merchant's form (Plugins → delivery_local_courier), as saved: the two stores are 12 km
# apart and the zone reaches both, so only the distance decides where the parcel leaves.
COURIER_FORM = {"tiers": "3: 15000\n10: 25000", "per_km_beyond": 5000,
                "zone_radius_km": "20", "same_day": True, "same_day_cutoff": "23:00",
                "express": False, "cod": True, "inspect_before_accept": True, "attempts": 2,
                "redelivery_fee": 0}
ADDRESS = {"recipient": "Võ Thị Hoa", "phone": "0903 456 789", "line": "45 Đồng Khởi",
           "ward": "Bến Nghé", "district": "Quận 1", "city": "Hồ Chí Minh",
           "latitude": "10.7745", "longitude": "106.7040"}
REASON = "Nobody was at home"
DETAIL = "Bấm chuông hai lần"


@dataclass
class DeliveryShop:
    shop: Shop
    near_store_id: int
    far_store_id: int


def vnd(amount: int) -> str:
    """An amount as the English pages write it: ₫465,000."""
    return f"₫{amount:,}"


def typed_vnd(amount: int) -> str:
    """An amount as a Vietnamese cashier types it: 465.000."""
    return f"{amount:,}".replace(",", ".")


@pytest.fixture
def delivery_shop(live_server):
    with live_server.app.app_context():
        owner = register_user(email=OWNER, password=PASSWORD, full_name="Chủ Điện Máy Sáng")
        merchant = create_merchant(owner=owner, data={"name": SHOP_NAME}, commission_bp=0)
        merchant_status(merchant, "approve",
                        actor=platform_admin("qt@browser-delivery.example.vn"))
        plugin_services.update_merchant_settings(merchant, "delivery_local_courier",
                                                 COURIER_FORM)
        for plugin in ("delivery_local_courier", "payment_cash_on_delivery",
                       "payment_pay_at_store"):
            plugin_services.set_enabled(merchant, plugin, True)
        stores = {}
        # The far store first: a plan that took the first store with stock would pick it.
        for name, street, district, position in (
                (FAR_STORE, "2 Võ Văn Ngân", "Thủ Đức", (10.8505, 106.7719)),
                (NEAR_STORE, "8 Nguyễn Huệ", "Quận 1", (10.7740, 106.7030))):
            store = create_store(merchant, {
                "name": name, "address_line": street, "district": district,
                "city": "Hồ Chí Minh", "latitude": position[0], "longitude": position[1],
                "pickup_enabled": True, "pickup_lead_minutes": 0},
                default_timezone="Asia/Ho_Chi_Minh")
            set_opening_hours(store, OPEN_ALL_WEEK)
            stores[name] = store
        listing = create_listing(merchant, {"title": "Nồi chiên không dầu 5 lít",
                                            "variants": [{"sku": "NC-5L", "price": PRICE}]})
        change_status(listing, "publish")
        variant = listing.variants[0]
        for store in stores.values():
            adjust_stock(store=store, variant=variant, delta=3, reason="receipt", actor_id=None)
        rider = register_user(email=RIDER, password=PASSWORD, full_name=RIDER_NAME)
        db.session.add(Membership(merchant_id=merchant.id, user_id=rider.id, role="staff"))
        register_user(email=CONSUMER, password=PASSWORD, full_name="Võ Thị Hoa", locale="en")
        db.session.commit()
        made = DeliveryShop(Shop(OWNER, SHOP_NAME, merchant.slug, listing.slug,
                                 stores[NEAR_STORE].id, variant.id),
                            stores[NEAR_STORE].id, stores[FAR_STORE].id)
        db.session.remove()
    return made


def run_outbox(live_server) -> None:
    """Deliver what the pages wrote to the outbox (the live server runs no worker)."""
    with live_server.app.app_context():
        drain()
        db.session.remove()


def mails_to(live_server, to: str) -> list[tuple[str, str]]:
    """(subject, plain text) of the mails written to ``to``."""
    found = []
    for path in sorted(Path(live_server.app.config["MAIL_FILE_DIR"]).glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            found.append((str(message["Subject"]),
                          message.get_body(preferencelist=("plain",)).get_content()))
    return found


def check_out_for_delivery(page: Page, made: DeliveryShop, live_server,
                           screenshot_dir) -> str:
    """Deliver to a new address, typed with its coordinates, paying cash; the order number."""
    page.goto("/checkout")
    expect_ok(page, live_server)
    part = page.locator("section.checkout-part").filter(has_text=SHOP_NAME)
    with page.expect_navigation():  # the page is drawn again with the address fields
        part.get_by_label("Deliver to my address").check()
    part = page.locator("section.checkout-part").filter(has_text=SHOP_NAME)
    expect(part.get_by_label("Delivery address")).to_have_value("new")
    fields = part.locator("[data-delivery-address]")
    fields.get_by_label("Recipient").fill(ADDRESS["recipient"])
    fields.get_by_label("Phone").fill(ADDRESS["phone"])
    fields.get_by_label("Street and number").fill(ADDRESS["line"])
    fields.get_by_label("Ward").fill(ADDRESS["ward"])
    fields.get_by_label("District").fill(ADDRESS["district"])
    fields.get_by_label("City").fill(ADDRESS["city"])
    fields.get_by_label("Latitude").fill(ADDRESS["latitude"])
    fields.get_by_label("Longitude").fill(ADDRESS["longitude"])
    with page.expect_navigation():
        page.get_by_role("button", name="Update").click()
    expect_ok(page, live_server)
    part = page.locator("section.checkout-part").filter(has_text=SHOP_NAME)
    # Paying cash asks the riders again whether they take it: the page is drawn again.
    with page.expect_navigation():
        part.get_by_role("radio", name=re.compile("^Cash on delivery")).click()
    part = page.locator("section.checkout-part").filter(has_text=SHOP_NAME)
    expect(part.get_by_role("radio", name=re.compile("^Cash on delivery"))).to_be_checked()
    expect(part.locator("[data-delivery-problem]")).to_have_count(0)
    expect(part.locator("[data-delivery-split]")).to_have_count(0)
    ships_from = part.locator("[data-ships-from]")
    expect(ships_from).to_contain_text(f"Ships from {NEAR_STORE}, 0.")
    expect(ships_from).not_to_contain_text(FAR_STORE)
    # The typed address survived the redraws.
    expect(part.locator("[data-delivery-address]").get_by_label("Latitude")).to_have_value(
        ADDRESS["latitude"])
    offer = part.locator("[data-offer='local_courier:same_day']")
    expect(offer).to_contain_text("Same day")
    expect(offer).to_contain_text(vnd(FEE))
    expect(offer).to_contain_text("cash on delivery")
    expect(offer).to_contain_text("2 delivery attempts")
    offer.get_by_role("radio").check()
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "delivery-checkout.png"), full_page=True)
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(r"/orders/DH"))
    expect_ok(page, live_server)
    return re.search(r"DH[0-9A-Z]+", page.get_by_role("heading", level=1).inner_text()).group(0)


def owner_assigns_the_rider(page: Page, made: DeliveryShop, number: str, reference: str,
                            live_server) -> None:
    page.goto(f"/dashboard/{made.shop.slug}/")
    nav = page.get_by_role("navigation", name="Dashboard")
    # The parcel waits in its store's queue like any order: packed before the rider comes.
    nav.get_by_role("link", name="Pickup queue").click()
    expect(page).to_have_url(re.compile(r"/pickup/\d+$"))  # one store's queue first
    if not page.url.endswith(f"/pickup/{made.near_store_id}"):
        page.locator("nav.store-tabs").get_by_role("link", name=NEAR_STORE).click()
    expect(page).to_have_url(re.compile(f"/pickup/{made.near_store_id}$"))
    expect(page.locator(f"[data-state=confirmed] [data-order={number}]")).to_be_visible()
    page.get_by_role("link", name=number).click()
    expect_ok(page, live_server)
    shipments = page.locator("section.order-shipments")
    expect(shipments).to_contain_text(reference)
    expect(shipments).to_contain_text(f"Cash on delivery {vnd(TOTAL)}")
    page.get_by_role("button", name="Start preparing").click()
    expect(page.locator("h1 .badge")).to_have_text("Being prepared")
    page.get_by_role("button", name="Packed for the courier").click()
    expect(page.locator("h1 .badge")).to_have_text("Ready for pickup")
    expect_ok(page, live_server)

    nav.get_by_role("link", name="Local deliveries").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Local deliveries")
    row = page.locator("tr[data-shipment]").filter(has_text=reference)
    expect(row).to_contain_text(NEAR_STORE)
    expect(row).to_contain_text(f"cash {vnd(TOTAL)}")
    row.get_by_label("Rider").select_option(label=RIDER_NAME)
    row.get_by_role("button", name="Assign").click()
    expect(page.locator(".flash")).to_contain_text("Rider assigned.")
    row = page.locator("tr[data-shipment]").filter(has_text=reference)
    expect(row.get_by_role("button", name=f"Unassign {RIDER_NAME}")).to_be_visible()
    expect_ok(page, live_server)


def rider_parcel(page: Page, reference: str):
    return page.locator("article.rider-parcel").filter(has_text=reference)


def rider_rides(page: Page, reference: str, live_server, screenshot_dir) -> None:
    """Picked up, on my way, nobody at home, on my way again (the delivery is recorded by
    ``rider_delivers``)."""
    page.goto("/rider/")
    parcel = rider_parcel(page, reference)
    expect(parcel.locator(".rider-state")).to_have_text("Waiting at the store")
    expect(parcel.locator("[data-cod]")).to_have_text(f"Collect {vnd(TOTAL)} in cash")
    expect(parcel.locator("[data-address]")).to_contain_text(ADDRESS["line"])
    expect(parcel.locator("[data-phone]")).to_have_attribute("href", "tel:0903456789")
    expect(parcel.locator("[data-inspect]")).to_be_visible()
    parcel.get_by_role("button", name="Picked up").click()
    expect(page.locator(".flash")).to_contain_text("Picked up.")
    parcel = rider_parcel(page, reference)
    expect(parcel.locator(".rider-state")).to_have_text("Picked up")
    parcel.get_by_role("button", name="On my way").click()
    expect(page.locator(".flash")).to_contain_text("On your way")
    parcel = rider_parcel(page, reference)
    expect(parcel.locator(".rider-state")).to_have_text("Out for delivery")
    expect(parcel.locator("[data-attempts]")).to_have_text("Delivery attempts: 1 of 2")
    expect_ok(page, live_server)

    failed = parcel.locator("details[data-action=fail_attempt]")
    failed.locator("summary").click()
    failed.get_by_label(REASON).check()
    failed.get_by_label(re.compile("What happened")).fill(DETAIL)
    failed.get_by_role("button", name="Failed attempt").click()
    expect(page.locator(".flash")).to_contain_text("The failed attempt is recorded")
    parcel = rider_parcel(page, reference)
    expect(parcel.locator(".rider-state")).to_have_text("Delivery attempt failed")
    parcel.get_by_role("button", name="On my way again").click()
    parcel = rider_parcel(page, reference)
    expect(parcel.locator(".rider-state")).to_have_text("Out for delivery")
    expect(parcel.locator("[data-attempts]")).to_have_text("Delivery attempts: 2 of 2")
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "delivery-rider.png"), full_page=True)
    expect_ok(page, live_server)


def rider_delivers(page: Page, reference: str, live_server) -> None:
    parcel = rider_parcel(page, reference)
    form = parcel.locator("details[data-action=deliver] form")
    cash = form.get_by_label("Cash collected")
    expect(cash).to_have_value(str(TOTAL))  # filled in with what is due
    # Without the cash: the browser keeps the form, and a browser that sends it anyway (the
    # check removed) is refused by the server, which changes nothing.
    cash.fill("")
    page.evaluate("window.notSent = true")  # gone if the page is left
    form.get_by_role("button", name="Delivered").click()
    assert cash.evaluate("input => input.validity.valueMissing")
    page.wait_for_timeout(300)
    assert page.evaluate("window.notSent === true")
    cash.evaluate("input => input.removeAttribute('required')")
    form.get_by_role("button", name="Delivered").click()
    parcel = rider_parcel(page, reference)
    expect(parcel.locator("[data-error]")).to_contain_text("Enter the cash collected.")
    expect(parcel.locator(".rider-state")).to_have_text("Out for delivery")
    expect(parcel.locator("[data-attempts]")).to_have_text("Delivery attempts: 2 of 2")
    assert live_server.server_errors() == ""  # a refusal, not a crash

    form = parcel.locator("details[data-action=deliver] form")
    form.get_by_label("Cash collected").fill(typed_vnd(TOTAL))
    form.get_by_role("button", name="Delivered").click()
    expect(page.locator(".flash")).to_contain_text("Delivered. Thank you!")
    expect(rider_parcel(page, reference)).to_have_count(0)
    done = page.locator(".rider-finished li").filter(has_text=reference)
    expect(done).to_contain_text("Delivered")
    expect(done).to_contain_text(f"collected {vnd(TOTAL)}")
    expect_ok(page, live_server)


def consumer_follows_the_parcel(page: Page, number: str, reference: str, live_server,
                                screenshot_dir) -> None:
    page.goto(f"/orders/{number}")
    expect(page.locator("h1 .badge")).to_have_text("Delivered")
    parcel = page.locator("#delivery article.parcel")
    expect(parcel.locator("[data-shipment-state]")).to_have_text("Delivered")
    parcel.get_by_role("link", name="Follow this parcel").click()
    expect(page).to_have_url(re.compile(f"/track/{reference}$"))
    expect_ok(page, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Parcel {reference}")
    expect(page.locator("main")).to_contain_text(f"From {NEAR_STORE}")
    timeline = page.locator("[data-parcel-timeline] li")
    expect(timeline).to_have_count(7)
    assert [row.get_attribute("data-event") for row in timeline.all()] == [
        "create", "pick_up", "forward", "send_out", "fail_attempt", "redeliver", "deliver"]
    expect(timeline).to_contain_text([
        "Delivery booked", "Picked up by the courier", "In transit", "Out for delivery",
        f"Delivery attempt failed: {REASON}: {DETAIL}", "Out for delivery again",
        "Delivered"])
    expect(page.locator("[data-progress] [aria-current=step]")).to_have_text("Delivered")
    expect(page.locator("[data-attempts]")).to_have_text("2 of 2")
    expect(page.locator("[data-cod]")).to_have_text(vnd(TOTAL))
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "delivery-tracking.png"), full_page=True)


def owner_reconciles_the_cash(page: Page, made: DeliveryShop, reference: str,
                              live_server, screenshot_dir) -> None:
    page.goto(f"/dashboard/{made.shop.slug}/")
    page.get_by_role("navigation", name="Dashboard").get_by_role(
        "link", name="Cash on delivery").click()
    expect_ok(page, live_server)
    group = page.locator("section.cod-group").filter(has_text=reference)
    expect(group).to_have_count(1)
    expect(group.get_by_role("heading")).to_contain_text(RIDER_NAME)
    expect(group.locator("[data-expected]")).to_have_text(vnd(TOTAL))
    # Counted short with no word why: refused, nothing confirmed.
    group.get_by_label("Cash counted", exact=True).fill(typed_vnd(TOTAL - 65_000))
    group.get_by_role("button", name="Confirm the cash").click()
    group = page.locator("section.cod-group").filter(has_text=reference)
    expect(group.locator(".field-error")).to_contain_text(f"{vnd(65_000)} short")
    expect(page.locator("[data-remittance]")).to_have_count(0)
    assert live_server.server_errors() == ""

    group.get_by_label("Cash counted", exact=True).fill(typed_vnd(TOTAL))
    group.get_by_label(re.compile("^Note")).fill("")
    group.get_by_role("button", name="Confirm the cash").click()
    expect(page.locator(".flash")).to_contain_text("Cash of 1 delivery confirmed.")
    expect(page.locator("section.cod-group").filter(has_text=reference)).to_have_count(0)
    confirmed = page.locator("[data-remittance]").filter(has_text=reference)
    expect(confirmed).to_contain_text(RIDER_NAME)
    expect(confirmed.locator("[data-difference]")).to_have_text("—")
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "delivery-cod.png"), full_page=True)
    expect_ok(page, live_server)


def test_delivery_cash_on_delivery_from_the_nearest_store_a_failed_attempt_and_the_cash(
        new_context, live_server, delivery_shop, screenshot_dir):
    made = delivery_shop
    consumer = new_context(locale="en-US").new_page()
    log_in(consumer, CONSUMER)
    add_to_cart(consumer, made.shop, 1, live_server)
    number = check_out_for_delivery(consumer, made, live_server, screenshot_dir)
    expect(consumer.locator(".flash")).to_contain_text("Thank you! Your order is placed.")
    expect(consumer.locator("h1 .badge")).to_have_text("Confirmed")
    expect(consumer.locator("main")).to_contain_text("Delivery to your address")
    expect(consumer.locator("[data-pickup-code]")).to_have_count(0)  # no counter to show
    delivery = consumer.locator("#delivery")
    expect(delivery.get_by_role("heading", name="Delivery")).to_be_visible()
    parcel = delivery.locator("article.parcel")
    expect(parcel).to_have_count(1)
    expect(parcel.locator("[data-shipment-state]")).to_have_text("Waiting at the store")
    expect(parcel.locator("[data-cod]")).to_have_text(vnd(TOTAL))
    expect(parcel).to_contain_text(f"{ADDRESS['recipient']} · {ADDRESS['line']}")
    expect(consumer.locator("main")).to_contain_text(f"Cash on delivery: {vnd(TOTAL)} — To pay")
    reference = parcel.get_attribute("data-shipment")
    assert re.fullmatch(r"GH-[0-9A-Z]{8}", reference)
    run_outbox(live_server)  # books the parcel with the carrier and mails the confirmation
    expect_ok(consumer, live_server)

    owner = new_context(locale="en-US").new_page()
    log_in(owner, OWNER)
    owner_assigns_the_rider(owner, made, number, reference, live_server)

    rider = new_context(locale="en-US", viewport={"width": 390, "height": 844}).new_page()
    log_in(rider, RIDER)
    rider_rides(rider, reference, live_server, screenshot_dir)
    run_outbox(live_server)
    told = [text for subject, text in mails_to(live_server, CONSUMER)
            if subject == f"Order {number}: we could not deliver it"]
    assert len(told) == 1 and f"Reason: {REASON}: {DETAIL}" in told[0], told
    rider_delivers(rider, reference, live_server)
    run_outbox(live_server)
    expect_ok(rider, live_server)

    consumer_follows_the_parcel(consumer, number, reference, live_server, screenshot_dir)
    consumer.goto(f"/orders/{number}")
    expect(consumer.locator("main")).to_contain_text(f"Cash on delivery: {vnd(TOTAL)} — To pay")

    owner_reconciles_the_cash(owner, made, reference, live_server, screenshot_dir)
    consumer.reload()
    expect(consumer.locator("h1 .badge")).to_have_text("Delivered")
    expect(consumer.locator("main")).to_contain_text(f"Cash on delivery: {vnd(TOTAL)} — Paid")
    owner.goto(f"/dashboard/{made.shop.slug}/deliveries")
    row = owner.locator("tr[data-shipment]").filter(has_text=reference)
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text(RIDER_NAME)
    row.get_by_role("link", name=reference).click()
    expect(owner.locator("[data-cod]")).to_have_text(f"{vnd(TOTAL)} · collected {vnd(TOTAL)}")
    owner.get_by_role("link", name=f"Order {number}").click()
    expect(owner.locator("h1 .badge")).to_have_text("Delivered")
    expect(owner.locator("main")).to_contain_text(f"Cash on delivery: Paid · {vnd(TOTAL)}")
    expect_ok(owner, live_server)

    # The database agrees with the pages: one order, from the near store, paid in cash.
    with live_server.app.app_context():
        order = db.session.scalars(sa.select(Order).where(Order.number == number)).one()
        shipment = db.session.scalars(sa.select(Shipment).where(
            Shipment.order_id == order.id)).one()
        payment = db.session.scalars(sa.select(Payment).where(
            Payment.order_id == order.id)).one()
        assert (order.store_id, order.total, order.state) == (made.near_store_id, TOTAL,
                                                              "delivered")
        assert (shipment.state, shipment.cod_amount, shipment.cod_collected,
                shipment.attempts) == ("delivered", TOTAL, TOTAL, 2)
        assert shipment.tracking_reference == reference  # booked through the outbox
        assert (payment.provider, payment.state, payment.captured_amount) == (
            "cash_on_delivery", "captured", TOTAL)
        db.session.remove()
