"""The public storefront: what is visible, prices in Vietnamese, stock per store, open now."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace.catalog import queries
from marketplace.inventory import services as inventory
from marketplace.inventory.models import MovementReason
from marketplace.merchants import services as merchants
from marketplace.stores import services as stores


def page(response) -> str:
    return response.get_data(as_text=True)


def set_stock(store, variant, counted, reserved=0):
    inventory.count_stock(store=store, variant=variant, counted=counted, actor_id=None)
    if reserved:
        level = inventory.lock_level(store, variant)
        inventory.apply_movement(level, reason=MovementReason.RESERVE, reserved_delta=reserved)


def store_row(html: str, variant_id: int, store_id: int) -> str:
    """The availability row of one store inside one variant's block of the listing page."""
    block = re.search(rf'data-variant="{variant_id}">(.*?)</details>', html, re.S)
    assert block, f"no availability block for variant {variant_id}"
    row = re.search(rf'<tr data-store="{store_id}">(.*?)</tr>', block.group(1), re.S)
    assert row, f"no row for store {store_id}"
    return row.group(1)


@pytest.fixture
def shop(db, make_merchant, make_store, make_listing):
    merchant = make_merchant(name="Thời Trang Mộc Lan")
    store = make_store(merchant, name="Mộc Lan Đồng Khởi")
    listing = make_listing(merchant, title="Áo sơ mi linen")
    db.session.commit()
    return merchant, store, listing


# --- visibility --------------------------------------------------------------------------------

def test_home_shows_approved_merchants_and_published_listings_only(client, db, shop,
                                                                    make_merchant, make_listing):
    merchant, _store, listing = shop
    make_listing(merchant, title="Bản nháp bí mật", publish=False)
    pending = make_merchant(name="Cửa hàng chờ duyệt", approved=False)
    make_listing(pending, title="Hàng của shop chờ duyệt")
    db.session.commit()

    html = page(client.get("/"))
    assert "Thời Trang Mộc Lan" in html
    assert "Áo sơ mi linen" in html
    assert "Hồ Chí Minh" in html  # the merchant's city list
    assert "Bản nháp bí mật" not in html
    assert "Cửa hàng chờ duyệt" not in html
    assert "Hàng của shop chờ duyệt" not in html


def test_approved_merchant_pages_show_their_content(client, shop):
    merchant, store, listing = shop
    html = page(client.get(f"/m/{merchant.slug}"))
    assert "Mộc Lan Đồng Khởi" in html and "Áo sơ mi linen" in html
    assert f"/m/{merchant.slug}/s/{store.slug}" in html
    assert f"/m/{merchant.slug}/l/{listing.slug}" in html

    response = client.get(f"/m/{merchant.slug}/l/{listing.slug}")
    assert response.status_code == 200
    assert "Áo sơ mi linen" in page(response) and "Where to find it" in page(response)

    response = client.get(f"/m/{merchant.slug}/s/{store.slug}")
    assert response.status_code == 200
    assert "Lê Lợi" in page(response) and 'href="tel:02838221234"' in page(response)
    assert f"mlat={store.latitude}&amp;mlon={store.longitude}" in page(response)


def test_draft_and_archived_listings_are_404(client, db, make_merchant, make_listing):
    from marketplace.catalog import services as catalog

    merchant = make_merchant()
    draft = make_listing(merchant, title="Nháp", publish=False)
    archived = make_listing(merchant, title="Lưu trữ")
    catalog.change_status(archived, "archive")
    db.session.commit()
    assert client.get(f"/m/{merchant.slug}/l/{draft.slug}").status_code == 404
    assert client.get(f"/m/{merchant.slug}/l/{archived.slug}").status_code == 404
    assert "Nháp" not in page(client.get(f"/m/{merchant.slug}"))
    catalog.change_status(draft, "publish")
    db.session.commit()
    assert client.get(f"/m/{merchant.slug}/l/{draft.slug}").status_code == 200


@pytest.mark.parametrize("event", [None, "suspend"])
def test_pending_or_suspended_merchant_disappears(client, db, shop, admin_user, make_merchant,
                                                  make_store, make_listing, event):
    if event is None:
        merchant = make_merchant(approved=False)
        store, listing = make_store(merchant), make_listing(merchant)
    else:
        merchant, store, listing = shop
        merchants.change_status(merchant, event, actor=admin_user, reason="Vi phạm")
    db.session.commit()
    urls = (f"/m/{merchant.slug}", f"/m/{merchant.slug}/l/{listing.slug}",
            f"/m/{merchant.slug}/s/{store.slug}")
    for url in urls:
        assert client.get(url).status_code == 404, url
    html = page(client.get("/"))
    assert merchant.name not in html and listing.title not in html
    # The same pages come back once the merchant is approved (again).
    merchants.change_status(merchant, "approve" if event is None else "reinstate",
                            actor=admin_user)
    db.session.commit()
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_inactive_store_and_foreign_slugs_are_404(client, db, shop, make_merchant, make_store,
                                                  make_listing):
    merchant, store, listing = shop
    other = make_merchant()
    other_store, other_listing = make_store(other), make_listing(other)
    db.session.commit()
    # Another merchant's store and listing slugs do not resolve under this merchant.
    assert client.get(f"/m/{merchant.slug}/s/{other_store.slug}").status_code == 404
    assert client.get(f"/m/{merchant.slug}/l/{other_listing.slug}").status_code == 404
    assert client.get("/m/no-such-shop").status_code == 404
    assert client.get(f"/m/{other.slug}/s/{other_store.slug}").status_code == 200
    stores.update_store(store, {"is_active": False})
    db.session.commit()
    assert client.get(f"/m/{merchant.slug}/s/{store.slug}").status_code == 404
    assert "Mộc Lan Đồng Khởi" not in page(client.get(f"/m/{merchant.slug}"))


# --- language and money ------------------------------------------------------------------------

def test_prices_in_vietnamese(client, shop):
    merchant, _store, listing = shop
    html = page(client.get(f"/m/{merchant.slug}/l/{listing.slug}",
                           headers={"Accept-Language": "vi"}))
    assert '<html lang="vi">' in html
    assert "150.000\xa0₫" in html and "170.000\xa0₫" in html  # "." groups, ₫ after
    assert "150.000\xa0₫ – 170.000\xa0₫" in page(client.get("/", headers={"Accept-Language": "vi"}))


def test_prices_in_english(client, shop):
    # One language per test: the test's app context (and Babel's cached locale) spans requests.
    merchant, _store, listing = shop
    html = page(client.get(f"/m/{merchant.slug}/l/{listing.slug}",
                           headers={"Accept-Language": "en"}))
    assert "₫150,000" in html and "150.000" not in html


def test_compare_at_price_is_struck_through(client, make_merchant, make_listing):
    merchant = make_merchant()
    listing = make_listing(merchant, title="Giày chạy bộ", variants=[
        {"sku": "RUN-42", "price": 990000, "compare_at_price": 1290000,
         "options": {"Cỡ": "42"}}])
    html = page(client.get(f"/m/{merchant.slug}/l/{listing.slug}",
                           headers={"Accept-Language": "vi"}))
    assert "<del>1.290.000\xa0₫</del>" in html
    assert "<del>1.290.000\xa0₫</del>" in page(client.get("/", headers={"Accept-Language": "vi"}))


# --- availability ------------------------------------------------------------------------------

def test_availability_per_store_on_the_listing_page(client, shop, make_store):
    merchant, store_a, listing = shop
    store_b = make_store(merchant, name="Mộc Lan Cầu Giấy", city="Hà Nội")
    store_c = make_store(merchant, name="Mộc Lan Thủ Đức")
    store_d = make_store(merchant, name="Mộc Lan Bình Thạnh")
    closed = make_store(merchant, name="Mộc Lan đã đóng")
    stores.update_store(closed, {"is_active": False})
    size_m, size_l = listing.variants
    set_stock(store_a, size_m, 10)
    set_stock(store_b, size_m, 3)
    set_stock(store_d, size_m, 5, reserved=5)  # all held for orders: nothing to sell
    set_stock(closed, size_m, 50)
    set_stock(store_c, size_l, 1)

    html = page(client.get(f"/m/{merchant.slug}/l/{listing.slug}",
                           headers={"Accept-Language": "en"}))
    assert "In stock" in store_row(html, size_m.id, store_a.id)
    assert "Only 3 left" in store_row(html, size_m.id, store_b.id)
    assert "Out of stock" in store_row(html, size_m.id, store_c.id)  # no stock row at all
    assert "Out of stock" in store_row(html, size_m.id, store_d.id)
    assert "Only 1 left" in store_row(html, size_l.id, store_c.id)
    assert "Out of stock" in store_row(html, size_l.id, store_a.id)
    assert f'data-store="{closed.id}"' not in html  # inactive stores are not offered
    assert f"/m/{merchant.slug}/s/{store_b.slug}" in store_row(html, size_m.id, store_b.id)


def test_store_availability_is_one_query(app, db, shop, make_store):
    import sqlalchemy as sa

    merchant, store_a, listing = shop
    store_b = make_store(merchant)
    for variant in listing.variants:
        set_stock(store_a, variant, 4)
    active = queries.public_stores(merchant)
    statements = []

    def count(*_args):
        statements.append(_args[2])

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = queries.store_availability(listing, active)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert {store.id: qty for store, qty in result[listing.variants[0].id]} == {
        store_a.id: 4, store_b.id: 0}


def test_negative_stock_shows_real_count(client, make_merchant, make_store, make_listing):
    merchant = make_merchant()
    store = make_store(merchant)
    listing = make_listing(merchant, variants=[
        {"sku": "PRE-1", "price": 100000, "allow_negative_stock": True}])
    variant = listing.variants[0]
    inventory.adjust_stock(store=store, variant=variant, delta=-2, reason="correction",
                           actor_id=None, note="Bán trước")
    assert queries.store_availability(listing)[variant.id] == [(store, -2)]
    html = page(client.get(f"/m/{merchant.slug}/l/{listing.slug}",
                           headers={"Accept-Language": "en"}))
    assert "Out of stock" in store_row(html, variant.id, store.id)


def test_store_page_lists_what_is_in_stock_there(client, shop, make_store, make_listing):
    merchant, store_a, shirt = shop
    store_b = make_store(merchant)
    set_stock(store_a, shirt.variants[0], 2)
    massage = make_listing(merchant, kind="service", title="Gội đầu dưỡng sinh",
                           price=120000, duration_minutes=45)
    html_a = page(client.get(f"/m/{merchant.slug}/s/{store_a.slug}"))
    html_b = page(client.get(f"/m/{merchant.slug}/s/{store_b.slug}"))
    assert shirt.title in html_a and shirt.title not in html_b
    assert massage.title in html_a and massage.title in html_b  # services have no stock


# --- kinds -------------------------------------------------------------------------------------

def test_service_and_voucher_details(client, make_merchant, make_store, make_listing):
    merchant = make_merchant()
    make_store(merchant)
    service = make_listing(merchant, kind="service", title="Massage đá nóng", price=450000,
                           duration_minutes=90, tags="thư giãn, đá nóng", category="beauty-spa")
    voucher = make_listing(merchant, kind="voucher", title="Giảm 30% tại cửa hàng", price=0,
                           voucher_kind="percent", voucher_value=30, valid_days=30)
    html = page(client.get(f"/m/{merchant.slug}/l/{service.slug}",
                           headers={"Accept-Language": "en"}))
    assert "Duration: 90 minutes" in html and "#thư giãn" in html and "Beauty &amp; spa" in html
    assert "Offered at these stores" in html
    html = page(client.get(f"/m/{merchant.slug}/l/{voucher.slug}",
                           headers={"Accept-Language": "en"}))
    assert "30% off" in html and "Use it within 30 days of purchase" in html


# --- filters -----------------------------------------------------------------------------------

def test_home_filters_by_category_kind_and_title(client, make_merchant, make_listing):
    merchant = make_merchant()
    make_listing(merchant, title="Áo khoác gió", category="fashion")
    make_listing(merchant, title="Tai nghe Bluetooth", category="electronics")
    make_listing(merchant, kind="service", title="Cắt tóc nam", price=80000,
                 duration_minutes=30)

    def titles(**params):
        html = page(client.get("/", query_string=params))
        return {t for t in ("Áo khoác gió", "Tai nghe Bluetooth", "Cắt tóc nam") if t in html}

    assert titles(category="fashion") == {"Áo khoác gió"}
    assert titles(kind="service") == {"Cắt tóc nam"}
    assert titles(kind="product") == {"Áo khoác gió", "Tai nghe Bluetooth"}
    assert titles(q="áo khoác") == {"Áo khoác gió"}     # case-insensitive, Vietnamese letters
    assert titles(q="BLUETOOTH") == {"Tai nghe Bluetooth"}
    assert titles(q="tóc") == {"Cắt tóc nam"}
    assert titles(q="100%_") == set()                     # LIKE wildcards are literal
    assert titles(kind="nonsense") == set()


# --- opening hours -----------------------------------------------------------------------------

def _hours_around_now(tz: str) -> tuple[list[dict], str]:
    """Open for two hours from the start of the current local hour, on today's weekday;
    also returns the closing time those hours give."""
    now = datetime.now(ZoneInfo(tz))
    opens = time(now.hour)
    closes = time((now.hour + 2) % 24)
    rows = [{"weekday": now.weekday(), "opens": opens.strftime("%H:%M"),
             "closes": closes.strftime("%H:%M"), "overnight": now.hour >= 22}]
    return rows, closes.strftime("%H:%M")


def test_open_now_is_computed_in_the_store_time_zone(client, make_merchant, make_store):
    merchant = make_merchant()
    hours, closes = _hours_around_now("Asia/Ho_Chi_Minh")
    saigon = make_store(merchant, name="Sài Gòn", timezone="Asia/Ho_Chi_Minh", hours=hours)
    # The same local hours in New York (11–12 hours behind) are not open now.
    new_york = make_store(merchant, name="New York", timezone="America/New_York", hours=hours)
    html = page(client.get(f"/m/{merchant.slug}/s/{saigon.slug}",
                           headers={"Accept-Language": "en"}))
    assert "Open now" in html and f"closes at {closes}" in html
    html = page(client.get(f"/m/{merchant.slug}/s/{new_york.slug}",
                           headers={"Accept-Language": "en"}))
    assert "Open now" not in html
    assert re.search(r"Closed</span> · opens \w+ at \d\d:00", html)


def test_closed_store_says_when_it_opens(client, make_merchant, make_store):
    merchant = make_merchant()
    later = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).weekday() + 3) % 7
    store = make_store(merchant, hours=[{"weekday": later, "opens": "09:30", "closes": "18:00"}])
    html = page(client.get(f"/m/{merchant.slug}/s/{store.slug}",
                           headers={"Accept-Language": "en"}))
    day = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[later]
    assert f"Closed</span> · opens {day} at 09:30" in html
    never = make_store(merchant, hours=[])
    html = page(client.get(f"/m/{merchant.slug}/s/{never.slug}",
                           headers={"Accept-Language": "en"}))
    assert "Closed</span> · no opening hours announced" in html


def test_store_page_shows_weekly_hours_and_upcoming_exceptions(client, make_merchant,
                                                               make_store):
    merchant = make_merchant()
    store = make_store(merchant, pickup_enabled=True, pickup_lead_minutes=30, hours=[
        {"weekday": 0, "opens": "08:00", "closes": "12:00"},
        {"weekday": 0, "opens": "13:00", "closes": "21:00"},
        {"weekday": 4, "opens": "18:00", "closes": "02:00", "overnight": True},
    ])
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    stores.set_exception(store, {"date": today + timedelta(days=10), "closed": True,
                                 "note": "Nghỉ lễ"})
    stores.set_exception(store, {"date": today + timedelta(days=20), "closed": False,
                                 "intervals": [{"opens": "10:00", "closes": "14:00"}],
                                 "note": "Giờ đặc biệt"})
    stores.set_exception(store, {"date": today + timedelta(days=90), "closed": True,
                                 "note": "Quá xa"})
    html = page(client.get(f"/m/{merchant.slug}/s/{store.slug}",
                           headers={"Accept-Language": "en"}))
    assert "08:00 – 12:00, 13:00 – 21:00" in html
    assert "18:00 – 02:00 (next day)" in html
    assert "Nghỉ lễ" in html and "10:00 – 14:00" in html and "Giờ đặc biệt" in html
    assert "Quá xa" not in html
    assert "Pick up in store" in html and "30 minutes after ordering" in html
