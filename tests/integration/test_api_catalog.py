"""The public catalog: no token, only approved merchants, active stores, published listings."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace.inventory import services as inventory
from marketplace.merchants import services as merchants
from marketplace.stores import services as stores


def assert_not_found(response) -> None:
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "not_found"


@pytest.fixture
def shop(db, make_merchant, make_store, make_listing):
    """An approved merchant with two stores (one closed down), stock and listings."""
    merchant = make_merchant(name="Thể Thao Việt", description="Giày chạy bộ")
    open_store = make_store(merchant, name="Quận 1")
    closed_store = make_store(merchant, name="Đã đóng cửa", is_active=False)
    shoes = make_listing(merchant, title="Giày chạy bộ Nam", variants=[
        {"sku": "GCB-40", "price": 900000, "compare_at_price": 1200000,
         "options": {"size": "40"}},
        {"sku": "GCB-41", "price": 900000, "options": {"size": "41"}}])
    draft = make_listing(merchant, title="Giày chưa bán", publish=False)
    yoga = make_listing(merchant, title="Lớp yoga", kind="service", duration_minutes=60,
                        price=200000)
    for store in (open_store, closed_store):
        inventory.adjust_stock(store=store, variant=shoes.variants[0], delta=4,
                               reason="receipt", actor_id=None)
    db.session.commit()
    return {"merchant": merchant, "store": open_store, "closed_store": closed_store,
            "shoes": shoes, "draft": draft, "yoga": yoga}


@pytest.fixture
def hidden(db, make_merchant, make_store, make_listing, admin_user):
    """A pending and a suspended merchant, each with a published listing and a store."""
    pending = make_merchant(approved=False, name="Chờ duyệt")
    suspended = make_merchant(name="Bị khoá")
    merchants.change_status(suspended, "suspend", actor=admin_user)
    found = {}
    for merchant in (pending, suspended):
        listing = make_listing(merchant, title=f"Giày của {merchant.name}")
        found[merchant.status] = {"merchant": merchant, "listing": listing,
                                  "store": make_store(merchant)}
    db.session.commit()
    return found


def test_merchants(client, shop, hidden):
    page = client.get("/api/v1/catalog/merchants?page_size=100").get_json()
    slugs = [m["slug"] for m in page["items"]]
    assert shop["merchant"].slug in slugs
    assert not {h["merchant"].slug for h in hidden.values()} & set(slugs)

    detail = client.get(f"/api/v1/catalog/merchants/{shop['merchant'].slug}").get_json()
    assert detail["name"] == "Thể Thao Việt" and detail["description"] == "Giày chạy bộ"
    assert [s["id"] for s in detail["stores"]] == [shop["store"].id]
    assert detail["stores"][0]["position"] == {"latitude": 10.7769, "longitude": 106.7009}
    assert "open_now" in detail["stores"][0]
    for gone in hidden.values():
        assert_not_found(client.get(f"/api/v1/catalog/merchants/{gone['merchant'].slug}"))
    assert_not_found(client.get("/api/v1/catalog/merchants/no-such-shop"))


def test_listings_and_filters(client, shop, hidden):
    items = client.get("/api/v1/catalog/listings?page_size=100").get_json()["items"]
    ids = {li["id"] for li in items}
    assert {shop["shoes"].id, shop["yoga"].id} <= ids
    assert shop["draft"].id not in ids
    assert not {h["listing"].id for h in hidden.values()} & ids
    card = next(li for li in items if li["id"] == shop["shoes"].id)
    assert card["merchant"] == {"id": shop["merchant"].id, "slug": shop["merchant"].slug,
                                "name": "Thể Thao Việt"}
    assert (card["price_min"], card["price_max"], card["currency"]) == (900000, 900000, "VND")

    by_kind = client.get(f"/api/v1/catalog/listings?kind=service&merchant="
                         f"{shop['merchant'].slug}").get_json()["items"]
    assert [li["id"] for li in by_kind] == [shop["yoga"].id]
    by_title = client.get("/api/v1/catalog/listings?q=chạy bộ").get_json()["items"]
    assert [li["id"] for li in by_title] == [shop["shoes"].id]
    hidden_shop = hidden["pending"]["merchant"].slug
    assert client.get(f"/api/v1/catalog/listings?merchant={hidden_shop}").get_json()[
        "items"] == []
    assert client.get("/api/v1/catalog/listings?category=no-such").get_json()["items"] == []
    assert client.get("/api/v1/catalog/listings?kind=car").status_code == 422


def test_listing_detail_shows_where_it_is_in_stock(client, shop):
    response = client.get(f"/api/v1/catalog/listings/{shop['shoes'].id}")
    assert response.status_code == 200
    detail = response.get_json()
    first, second = detail["variants"]
    assert (first["sku"], first["price"], first["compare_at_price"]) == \
        ("GCB-40", 900000, 1200000)
    # Only active stores with something available; the closed-down store is not offered.
    assert first["stores"] == [{"store_id": shop["store"].id, "name": "Quận 1",
                                "available": 4}]
    assert second["stores"] == []
    assert detail["images"] == []
    assert "on_hand" not in response.get_data(as_text=True)


def test_unpublished_or_hidden_listings_are_404(client, db, shop, hidden):
    assert_not_found(client.get(f"/api/v1/catalog/listings/{shop['draft'].id}"))
    for gone in hidden.values():
        assert_not_found(client.get(f"/api/v1/catalog/listings/{gone['listing'].id}"))
    assert_not_found(client.get("/api/v1/catalog/listings/999999"))


def test_store_detail(client, db, shop):
    store = shop["store"]
    day = (datetime.now(ZoneInfo(store.timezone)) + timedelta(days=3)).date()
    stores.set_exception(store, {"date": day - timedelta(days=30), "note": "Đã qua"})
    stores.set_exception(store, {"date": day, "note": "Kiểm kê"})
    store.pickup_enabled = True
    db.session.commit()
    response = client.get(f"/api/v1/catalog/stores/{store.id}")
    assert response.status_code == 200
    detail = response.get_json()
    assert detail["merchant"]["slug"] == shop["merchant"].slug
    assert detail["address"].startswith(store.address_line)
    assert detail["position"] == {"latitude": store.latitude, "longitude": store.longitude}
    assert detail["timezone"] == "Asia/Ho_Chi_Minh" and detail["phone"] == store.phone
    assert len(detail["hours"]) == 7 and detail["hours"][0]["opens"] == "08:00"
    assert [e["note"] for e in detail["exceptions"]] == ["Kiểm kê"]  # past ones are left out
    assert detail["pickup"] == {"enabled": True, "lead_minutes": 60, "slot_minutes": 30,
                                "reserve_enabled": False, "reserve_hold_hours": 48}
    assert isinstance(detail["open_now"], bool)
    moment = detail["closes_at"] if detail["open_now"] else detail["next_opening"]
    assert datetime.fromisoformat(moment).utcoffset() == timedelta(hours=7)


def test_hidden_stores_are_404(client, shop, hidden):
    assert_not_found(client.get(f"/api/v1/catalog/stores/{shop['closed_store'].id}"))
    for gone in hidden.values():
        assert_not_found(client.get(f"/api/v1/catalog/stores/{gone['store'].id}"))


def test_catalog_is_read_only(client, shop):
    assert client.post("/api/v1/catalog/listings", json={}).status_code == 405
    assert client.delete(f"/api/v1/catalog/stores/{shop['store'].id}").status_code == 405
