"""Browser: a visitor in Hội An lets the site know where she is, searches "ca phe" without
accents and finds the nearest coffee store that is open now first, then sees the nearest
store that has "Cà phê sữa đá" in stock while she types.

This server searches on the real Meilisearch server (the production backend); it shares the
browser tests' database, and its shops are in Hội An, far from the other tests' stores.
"""

from __future__ import annotations

import re
import threading
import uuid

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.accounts.services import register_user
from marketplace.catalog.services import change_status, create_listing
from marketplace.extensions import db
from marketplace.inventory.services import adjust_stock
from marketplace.merchants.services import change_status as merchant_status
from marketplace.merchants.services import create_merchant
from marketplace.outbox.services import drain
from marketplace.stores.services import create_store, set_opening_hours

pytestmark = pytest.mark.browser

PASSWORD = "mật khẩu thử nghiệm 2026"
OLD_TOWN = {"latitude": 15.8770, "longitude": 108.3260}  # Chùa Cầu, Hội An
OPEN_ALL_WEEK = [{"weekday": d, "opens": "00:00", "closes": "00:00", "overnight": True}
                 for d in range(7)]


def north(metres: float) -> float:
    return OLD_TOWN["latitude"] + metres / 111_194.93


@pytest.fixture(scope="module")
def search_server(live_server, meilisearch, tmp_path_factory):
    url, key = meilisearch
    folder = tmp_path_factory.mktemp("search-browser")
    app = create_app({
        "SECRET_KEY": "browser-search-secret-key",
        "SQLALCHEMY_DATABASE_URI": live_server.app.config["SQLALCHEMY_DATABASE_URI"],
        "RATELIMIT_ENABLED": False, "OUTBOX_INPROCESS": False, "JOBS_INPROCESS": False,
        "JOBS_SQLITE_PATH": str(folder / "jobs.sqlite3"),
        "MEILISEARCH_URL": url, "MEILISEARCH_KEY": key,
        "MEILISEARCH_INDEX_PREFIX": f"browser{uuid.uuid4().hex[:8]}_",
        "MAIL_FILE_DIR": str(folder / "mail"), "UPLOAD_FOLDER": str(folder / "uploads"),
        "SERVER_NAME": None,
    })
    with app.app_context():
        admin = register_user(email="qt@hoian-search.example.vn", password=PASSWORD,
                              full_name="Quản trị")
        admin.is_platform_admin = True
        owner = register_user(email="chu@caphehoian.example.vn", password=PASSWORD,
                              full_name="Chủ quán")
        cafe = create_merchant(owner=owner, data={"name": "Cà Phê Phố Hội"}, commission_bp=0)
        merchant_status(cafe, "approve", actor=admin)
        drink = create_listing(cafe, {"title": "Cà phê sữa đá", "category": "food-drink",
                                      "variants": [{"sku": "CPSD", "price": 25000}]})
        change_status(drink, "publish")
        for name, metres, hours in (("Phố Hội Bạch Đằng", 200, []),  # nearest, closed
                                    ("Phố Hội Trần Phú", 600, OPEN_ALL_WEEK),
                                    ("Phố Hội Cửa Đại", 2500, OPEN_ALL_WEEK)):
            store = create_store(cafe, {
                "name": name, "address_line": "1 Trần Phú", "district": "Minh An",
                "city": "Hội An", "latitude": north(metres), "longitude": OLD_TOWN["longitude"],
                "pickup_enabled": True}, default_timezone="Asia/Ho_Chi_Minh")
            set_opening_hours(store, hours)
            adjust_stock(store=store, variant=drink.variants[0], delta=2 if metres == 200 else 9,
                         reason="receipt", actor_id=None)
        phones_owner = register_user(email="chu@dienmayhoian.example.vn", password=PASSWORD,
                                     full_name="Chủ cửa hàng")
        phones = create_merchant(owner=phones_owner, data={"name": "Điện Máy Hội An"},
                                 commission_bp=0)
        merchant_status(phones, "approve", actor=admin)
        store = create_store(phones, {
            "name": "Điện Máy Nguyễn Huệ", "address_line": "5 Nguyễn Huệ", "city": "Hội An",
            "latitude": north(100), "longitude": OLD_TOWN["longitude"]},
            default_timezone="Asia/Ho_Chi_Minh")
        set_opening_hours(store, OPEN_ALL_WEEK)
        db.session.commit()
        drain(limit=1000)  # into Meilisearch, as the outbox worker would
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="search-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(10)
    with app.app_context():
        app.extensions["search"].drop()
        db.engine.dispose()


def in_the_old_town(new_context, search_server):
    """A page of a Vietnamese browser that shares its position: the Japanese Bridge."""
    base_url, _app = search_server
    return new_context(base_url=base_url, geolocation=OLD_TOWN, permissions=["geolocation"],
                       locale="vi-VN").new_page()


def test_the_nearest_open_coffee_store_comes_first(new_context, search_server, screenshot_dir):
    page = in_the_old_town(new_context, search_server)
    page.goto("/stores/near")
    page.get_by_placeholder("Tên shop hoặc cửa hàng").fill("ca phe")
    page.get_by_label("Đang mở cửa").check()
    page.get_by_role("button", name="Dùng vị trí của tôi").click()
    page.wait_for_url("**lat=*")
    hits = page.locator(".store-hit")
    expect(hits.first).to_contain_text("Phố Hội Trần Phú")
    expect(hits).to_have_count(2)  # the nearer closed store and the phone shop are left out
    expect(hits.first).to_contain_text("600 m")
    expect(hits.first).to_contain_text("Đang mở cửa")
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "stores-near-me.png"), full_page=True)

    # Without "open now" the closed store, nearer, leads and says when it opens.
    page.get_by_label("Đang mở cửa").uncheck()
    page.get_by_role("button", name="Tìm cửa hàng").click()
    expect(page.locator(".store-hit").first).to_contain_text("Phố Hội Bạch Đằng")
    expect(page.locator(".store-hit").first).to_contain_text("Đóng cửa")


def test_in_stock_near_me_follows_the_typing(new_context, search_server, screenshot_dir):
    page = in_the_old_town(new_context, search_server)
    page.goto("/search")
    page.get_by_role("button", name="Dùng vị trí của tôi").click()
    page.wait_for_url("**in_stock_near=1*")
    box = page.get_by_role("searchbox", name="Bạn đang tìm gì?")
    box.press_sequentially("ca phe sua", delay=40)
    hit = page.locator(".search-hit").first
    expect(hit).to_contain_text("Cà phê sữa đá")
    expect(hit.locator(".nearest-store")).to_contain_text("Phố Hội Bạch Đằng")
    expect(hit.locator(".nearest-store")).to_contain_text("200 m")
    expect(hit.locator(".nearest-store")).to_contain_text("Chỉ còn 2")
    expect(page).to_have_url(re.compile(r"q=ca\+phe\+sua"))  # the address follows too
    if screenshot_dir:
        page.screenshot(path=str(screenshot_dir / "search-in-stock-near-me.png"), full_page=True)
    box.fill("dien thoai xyz")
    expect(page.locator(".search-hits")).to_have_count(0)
    expect(page.locator("#search-results")).to_contain_text("Hiện không có cửa hàng nào")
