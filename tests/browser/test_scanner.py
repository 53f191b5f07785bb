"""The staff scanner (plugins/redemption_qr) in Chromium: a typed code, the camera, offline.

Each test opens a shop of its own through the services with pickup orders paid at the store
and marked ready; staff use the scanner page. The camera test runs a Chromium of its own
whose fake camera films our QR image (a Y4M file made from the PNG we serve), read by jsQR
(headless Chromium on Linux has no BarcodeDetector). The offline test opens the scanner once
online so its service worker keeps the page and the kit, then works without network on two
phones: the first to sync redeems, the other's sync is a conflict.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import Page, expect

from marketplace.accounts.services import register_user
from marketplace.catalog.services import change_status, create_listing
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.inventory.services import adjust_stock
from marketplace.merchants.models import Membership
from marketplace.merchants.services import change_status as merchant_status
from marketplace.merchants.services import create_merchant
from marketplace.orders import codes, lifecycle
from marketplace.orders.audit import Actor
from marketplace.orders.models import Order
from marketplace.plugins import services as plugin_services
from marketplace.redemption import human, images
from marketplace.redemption import services as redemption
from marketplace.redemption.models import RedemptionAttempt
from marketplace.stores.services import create_store, set_opening_hours
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support.shopping import PAY_AT_STORE, buy, pickup_choice, slot_at

pytestmark = pytest.mark.browser

PASSWORD = "mật khẩu quầy thử 2026"
OPEN_ALL_WEEK = [{"weekday": d, "opens": "00:00", "closes": "00:00", "overnight": True}
                 for d in range(7)]
_shops = itertools.count(1)


@dataclass
class ReadyOrder:
    id: int
    number: str
    payload: str       # the QR text
    typed: str         # the human code as shown to the customer, ABCDE-FGHJK


@dataclass
class Counter:
    slug: str
    store_name: str
    owner_email: str
    owner_name: str
    staff_email: str
    orders: list[ReadyOrder]

    @property
    def scanner(self) -> str:
        return f"/redeem/{self.slug}/scanner/"


@pytest.fixture
def counter(live_server):
    """A shop (its own names: the live database is shared) with ``n`` pickup orders of
    "Bánh mì thịt" × 2, paid at the store, ready at its one store; an owner and a staff member."""

    def make(n: int = 1) -> Counter:
        k = next(_shops)
        with live_server.app.app_context():
            owner = register_user(email=f"chu{k}@quay-quet.example.vn", password=PASSWORD,
                                  full_name=f"Chủ Quầy {k}")
            admin = register_user(email=f"qt{k}@quay-quet.example.vn", password=PASSWORD,
                                  full_name="Quản trị")
            admin.is_platform_admin = True
            merchant = create_merchant(owner=owner, data={"name": f"Bánh Mì Quầy {k}"},
                                       commission_bp=0)
            merchant_status(merchant, "approve", actor=admin)
            plugin_services.set_enabled(merchant, PAY_AT_STORE, True)
            store = create_store(merchant, {
                "name": f"Quầy Bến Thành {k}", "address_line": "1 Lê Lợi", "city": "HCM",
                "latitude": 10.77, "longitude": 106.70, "pickup_enabled": True,
                "pickup_lead_minutes": 0, "pickup_orders_per_slot": 100},
                default_timezone="Asia/Ho_Chi_Minh")
            set_opening_hours(store, OPEN_ALL_WEEK)
            listing = create_listing(merchant, {"title": "Bánh mì thịt", "variants": [
                {"sku": f"BMT-{k}", "price": 25000}]})
            change_status(listing, "publish")
            variant = listing.variants[0]
            adjust_stock(store=store, variant=variant, delta=2 * n, reason="receipt",
                         actor_id=None)
            buyer = register_user(email=f"khach{k}@quay-quet.example.vn", password=PASSWORD,
                                  full_name="Phạm Minh Khoa")
            staff = register_user(email=f"nv{k}@quay-quet.example.vn", password=PASSWORD,
                                  full_name=f"Nhân viên Hoa {k}")
            db.session.add(Membership(merchant_id=merchant.id, user_id=staff.id, role="staff"))
            slot = slot_at(store, now=utcnow() + timedelta(minutes=60))
            orders = []
            for _ in range(n):
                order = buy(buyer, [(variant, 2)], [pickup_choice(merchant, store, slot)],
                            now=utcnow()).orders[0]
                lifecycle.mark_ready(order, actor=Actor.staff(owner))
                orders.append(ReadyOrder(order.id, order.number,
                                         redemption.current("pickup", order.id).payload,
                                         human.display(codes.pickup_code(order))))
            db.session.commit()
            made = Counter(merchant.slug, store.name, owner.email, owner.full_name, staff.email,
                           orders)
            db.session.remove()
        return made

    return make


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def watch(page: Page, problems: list[str] | None = None) -> list[str]:
    """Uncaught script errors and refused content (CSP) of the page, to assert none."""
    problems = [] if problems is None else problems
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if "Content Security Policy" in message.text else None)
    return problems


def open_scanner(page: Page, shop: Counter) -> None:
    page.goto(shop.scanner)
    expect(page.locator("#scanner[data-ready=yes]")).to_be_attached()


def order_state(live_server, order_id: int) -> str:
    with live_server.app.app_context():
        state = db.session.get(Order, order_id).state
        db.session.remove()
    return state


def expect_ok(live_server) -> None:
    errors = live_server.server_errors()
    assert not errors, f"server errors:\n{errors}"


def test_a_typed_code_shows_the_order_and_redeems_once(new_context, live_server, counter,
                                                       screenshot_dir):
    shop = counter()
    order = shop.orders[0]
    page = new_context(locale="en-US").new_page()
    problems = watch(page)
    log_in(page, shop.owner_email)
    # The dashboard links to the scanner; the pickup queue opens it for its store.
    page.goto(f"/dashboard/{shop.slug}/")
    nav = page.get_by_role("navigation", name="Dashboard")
    expect(nav.get_by_role("link", name="Scanner")).to_have_attribute("href", shop.scanner)
    nav.get_by_role("link", name="Pickup queue").click()
    page.get_by_role("button", name="Open the scanner").click()
    expect(page).to_have_url(re.compile(re.escape(shop.scanner) + r"\?store=\d+$"))
    expect(page.locator("#scanner[data-ready=yes]")).to_be_attached()
    expect(page.get_by_label("Store")).to_have_value(page.url.rsplit("=", 1)[1])

    page.get_by_label("Code", exact=True).fill(order.typed.lower().replace("-", " "))
    page.get_by_role("button", name="Look up").click()
    result = page.locator("#result")
    expect(result).to_have_attribute("data-outcome", "redeemable")
    expect(result).to_contain_text(f"Order {order.number}")
    expect(result).to_contain_text("2 × Bánh mì thịt")
    expect(result).to_contain_text("Phạm Minh Khoa")
    expect(result).to_contain_text("To collect at the counter")
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "scanner-typed-code.png"), full_page=True)
    result.get_by_label("Payment taken at the counter").check()
    result.get_by_role("button", name="Confirm").click()
    expect(result).to_have_attribute("data-outcome", "redeemed")
    expect(result.locator("#result-message")).to_have_text("Redeemed.")
    expect(result).to_contain_text("The order is marked collected.")
    assert order_state(live_server, order.id) == "collected"

    # The same code again: refused, saying where, by whom and when it went.
    result.get_by_role("button", name="Next customer").click()
    expect(result).to_be_hidden()
    page.get_by_label("Code", exact=True).fill(order.typed)
    page.get_by_role("button", name="Look up").click()
    expect(result).to_have_attribute("data-outcome", "already_redeemed")
    expect(result.locator("#result-message")).to_contain_text(
        f"Already redeemed at {shop.store_name} by {shop.owner_name} at")
    expect(result.get_by_role("button", name="Confirm")).to_be_hidden()

    # The counter log has the redemption.
    page.get_by_role("link", name="Counter log").click()
    expect(page.locator("#attempts tr[data-outcome=redeemed]")).to_contain_text(shop.store_name)
    assert not problems
    expect_ok(live_server)


def write_y4m(path, png: bytes, *, width: int = 640, height: int = 480, frames: int = 3):
    """A YUV4MPEG2 video (4:2:0, full range like JPEG) of the QR image on a white frame: what
    Chromium's fake camera films."""
    qr = Image.open(io.BytesIO(png)).convert("RGB")
    frame = Image.new("RGB", (width, height), "white")
    frame.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    data = y.tobytes() + cb.resize(half, Image.BOX).tobytes() + cr.resize(half, Image.BOX).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + data)


@pytest.fixture
def camera_browser(browser, tmp_path):
    """Another Chromium whose camera films ``tmp_path/camera.y4m`` (write it first)."""
    video = tmp_path / "camera.y4m"
    launched = []

    def launch():
        launched.append(browser.browser_type.launch(
            executable_path=CHROMIUM, headless=True,
            args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream",
                  "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"]))
        return launched[-1]

    yield video, launch
    for opened in launched:
        opened.close()


def test_the_camera_reads_the_qr_code_and_redeems(camera_browser, live_server, counter,
                                                  screenshot_dir):
    shop = counter()
    order = shop.orders[0]
    video, launch = camera_browser
    write_y4m(video, images.png(order.payload, box_size=6))
    context = launch().new_context(base_url=live_server.url, locale="en-US",
                                   permissions=["camera"], viewport={"width": 412, "height": 915})
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = watch(page)
    log_in(page, shop.staff_email)
    open_scanner(page, shop)
    page.get_by_role("button", name="Start camera").click()
    result = page.locator("#result")
    expect(result).to_have_attribute("data-outcome", "redeemable")
    expect(result).to_contain_text(f"Order {order.number}")
    expect(result).to_contain_text("2 × Bánh mì thịt")
    # Read by jsQR: this Chromium has no BarcodeDetector.
    assert page.evaluate("typeof window.jsQR") == "function"
    assert not page.evaluate("'BarcodeDetector' in window")
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "scanner-camera.png"), full_page=True)
    result.get_by_label("Payment taken at the counter").check()
    result.get_by_role("button", name="Confirm").click()
    expect(result).to_have_attribute("data-outcome", "redeemed")
    assert order_state(live_server, order.id) == "collected"
    with live_server.app.app_context():
        attempt = db.session.scalars(sa.select(RedemptionAttempt).where(
            RedemptionAttempt.outcome == "redeemed",
            RedemptionAttempt.nonce.is_not(None)).order_by(RedemptionAttempt.id.desc())).first()
        assert (attempt.method, attempt.offline) == ("scan", False)
        assert attempt.device  # the page's own device id
        db.session.remove()
    assert not problems
    expect_ok(live_server)


def scan_offline(page: Page, payload: str) -> None:
    """A handheld scanner types the QR text into the code field and presses Enter."""
    page.get_by_label("Code", exact=True).fill(payload)
    page.get_by_label("Code", exact=True).press("Enter")


def test_offline_scans_queue_then_sync_and_a_double_use_is_a_conflict(new_context, live_server,
                                                                      counter, screenshot_dir):
    shop = counter()
    order = shop.orders[0]
    first = new_context(locale="en-US")
    second = new_context(locale="en-US")
    counter_a, counter_b = first.new_page(), second.new_page()
    problems = watch(counter_b, watch(counter_a))
    log_in(counter_a, shop.owner_email)
    log_in(counter_b, shop.staff_email)
    for page in (counter_a, counter_b):
        open_scanner(page, shop)
        expect(page.locator("#offline-ready")).to_have_attribute("data-ready", "yes")

    # Counter A loses the network and reloads: the service worker serves the page.
    first.set_offline(True)
    assert counter_a.reload().from_service_worker
    expect(counter_a.locator("#scanner[data-ready=yes]")).to_be_attached()
    expect(counter_a.locator("#connection")).to_have_attribute("data-state", "offline")
    scan_offline(counter_a, order.payload)
    result = counter_a.locator("#result")
    expect(result).to_have_attribute("data-outcome", "redeemable_offline")
    expect(result).to_contain_text(f"Order #{order.id}")
    result.get_by_label("Payment taken at the counter").check()
    result.get_by_role("button", name="Confirm").click()
    expect(result).to_have_attribute("data-outcome", "accepted_offline")
    expect(counter_a.locator("#pending-count")).to_have_text("1")
    expect(counter_a.locator("#pending-list")).to_contain_text(f"Order #{order.id}")
    if screenshot_dir:
        counter_a.screenshot(path=str(screenshot_dir / "scanner-offline-pending.png"),
                             full_page=True)
    # The same code again on this phone is refused here and now.
    result.get_by_role("button", name="Next customer").click()
    scan_offline(counter_a, order.payload)
    expect(result).to_have_attribute("data-outcome", "queued")
    expect(result).to_contain_text("already accepted this code offline")
    # A typed code cannot be checked offline and is not queued.
    result.get_by_role("button", name="Next customer").click()
    counter_a.get_by_label("Code", exact=True).fill(order.typed)
    counter_a.get_by_role("button", name="Look up").click()
    expect(result).to_have_attribute("data-outcome", "offline_typed")
    expect(counter_a.locator("#pending-count")).to_have_text("1")
    # Tampered payloads do not verify.
    result.get_by_role("button", name="Next customer").click()
    tampered = order.payload[:-3] + ("A" if order.payload[-3] != "A" else "B") + order.payload[-2:]
    scan_offline(counter_a, tampered)
    expect(result).to_have_attribute("data-outcome", "invalid")

    # Counter B, offline too (without reloading), accepts the same code.
    second.set_offline(True)
    expect(counter_b.locator("#connection")).to_have_attribute("data-state", "offline")
    scan_offline(counter_b, order.payload)
    result_b = counter_b.locator("#result")
    expect(result_b).to_have_attribute("data-outcome", "redeemable_offline")
    result_b.get_by_label("Payment taken at the counter").check()
    result_b.get_by_role("button", name="Confirm").click()
    expect(counter_b.locator("#pending-count")).to_have_text("1")
    assert order_state(live_server, order.id) == "ready"

    # A comes back first: its scan redeems the order.
    first.set_offline(False)
    synced = counter_a.locator("#synced-list li[data-outcome=redeemed]")
    expect(synced).to_contain_text(f"Order #{order.id}")
    expect(counter_a.locator("#pending-count")).to_have_text("0")
    assert order_state(live_server, order.id) == "collected"
    # B's scan is a conflict, named as such with where the code went first.
    second.set_offline(False)
    conflict = counter_b.locator("#synced-list li[data-outcome=conflict]")
    expect(conflict).to_contain_text("Conflict")
    expect(conflict).to_contain_text(f"Already redeemed at {shop.store_name} by {shop.owner_name}")
    expect(counter_b.locator("#pending-count")).to_have_text("0")
    if screenshot_dir:
        counter_b.screenshot(path=str(screenshot_dir / "scanner-conflict.png"), full_page=True)
    with live_server.app.app_context():
        outcomes = sorted(db.session.scalars(sa.select(RedemptionAttempt.outcome).where(
            RedemptionAttempt.offline.is_(True),
            RedemptionAttempt.store.has(name=shop.store_name))))
        db.session.remove()
    assert outcomes == ["conflict", "redeemed"]
    # The conflict heads the counter log.
    counter_b.goto(f"/dashboard/{shop.slug}/redemptions")
    conflicts = counter_b.locator("#conflicts tr[data-outcome=conflict]")
    expect(conflicts).to_contain_text(shop.store_name)
    assert not problems
    expect_ok(live_server)
