"""Search end to end on the embedded backend: changes in the database reach search through
the outbox, hidden things disappear, and the API answers bad searches with a clear 400.
(The same documents on Meilisearch are covered by tests/contract.)"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import current_app

from marketplace.catalog import services as catalog
from marketplace.inventory.services import adjust_stock
from marketplace.merchants import services as merchants
from marketplace.outbox.services import drain
from marketplace.search import documents
from marketplace.stores import services as stores
from tests.support.search_docs import listing_doc, offer_doc, stocked, store_doc
from tests.support.search_town import HERE


def get(client, path, **params):
    response = client.get(path, query_string=params)
    return response.status_code, response.get_json()


def test_documents_built_from_the_database_have_the_contract_shape(coffee_town):
    built = documents.build_listings([coffee_town["drink"].id])
    stores_built = documents.build_stores([coffee_town["near"].id],
                                          datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    made_listing = listing_doc(1, "x")
    made_store = store_doc(1, 10.0, 106.0)
    assert set(built.listings[0]) == set(made_listing)
    assert set(built.offers[0]) == set(offer_doc(made_listing, made_store))
    # The listing names the same stores as its offers, with what they have.
    made_stock = stocked(made_listing, offer_doc(made_listing, made_store))["stock"]
    assert set(built.listings[0]["stock"][0]) == set(made_stock[0])
    assert [(e["store_id"], e["available"]) for e in built.listings[0]["stock"]] == sorted(
        (o["store_id"], o["available"]) for o in built.offers)
    assert built.listings[0]["stock_store_ids"] == [o["store_id"] for o in built.offers]
    assert set(stores_built.stores[0]) == set(made_store)


def test_products_are_found_without_accents_with_facets(client, coffee_town):
    status, body = get(client, "/api/v1/search/listings", q="ca phe sua da")
    assert status == 200
    assert [hit["title"] for hit in body["items"]] == ["Cà phê sữa đá"]
    hit = body["items"][0]
    assert hit["merchant"]["slug"] == coffee_town["cafe"].slug and hit["price_min"] == 29_000
    assert hit["url"].endswith(f"/m/{coffee_town['cafe'].slug}/l/{coffee_town['drink'].slug}")
    _, everything = get(client, "/api/v1/search/listings")
    assert everything["total"] == 3
    assert {f["value"]: f["count"] for f in everything["facets"]["category"]} == {
        "food-drink": 2, "electronics": 1}
    assert everything["facets"]["price"] == {"min": 29_000, "max": 5_000_000}
    _, phones = get(client, "/api/v1/search/listings", q="dien thoai", category="electronics")
    assert [h["id"] for h in phones["items"]] == [coffee_town["phone"].id]


def test_in_stock_near_me_names_the_nearest_store_and_a_stock_band(client, coffee_town):
    status, body = get(client, "/api/v1/search/listings", in_stock_near="true", sort="distance",
                       radius=5000, **HERE)
    assert status == 200
    nearest = {h["title"]: h["nearest_store"] for h in body["items"]}
    assert list(nearest) == ["Cà phê sữa đá", "Điện thoại Samsung Galaxy", "Trà đào cam sả"]
    coffee = nearest["Cà phê sữa đá"]
    assert coffee["name"] == "Sương Sớm Đồng Khởi" and abs(coffee["distance_m"] - 300) <= 2
    assert (coffee["availability"], coffee["left"]) == ("low", 2)
    assert nearest["Trà đào cam sả"]["availability"] == "in_stock"
    assert nearest["Điện thoại Samsung Galaxy"]["opening"]["open_now"] is False  # no hours


def test_a_stock_change_reaches_search_through_the_outbox(client, db, coffee_town):
    drink, near = coffee_town["drink"], coffee_town["near"]
    adjust_stock(store=near, variant=drink.variants[0], delta=-2, reason="damage", actor_id=None)
    db.session.commit()
    _, before = get(client, "/api/v1/search/listings", q="ca phe", in_stock_near="1", **HERE)
    assert before["items"][0]["nearest_store"]["name"] == "Sương Sớm Đồng Khởi"  # not yet
    assert drain() >= 1
    _, after = get(client, "/api/v1/search/listings", q="ca phe", in_stock_near="1", **HERE)
    assert after["items"][0]["nearest_store"]["name"] == "Sương Sớm Thảo Điền"


def test_hidden_things_leave_the_results(client, db, coffee_town, admin_user):
    catalog.change_status(coffee_town["tea"], "unpublish")
    stores.update_store(coffee_town["far"], {"is_active": False})
    merchants.change_status(coffee_town["phones"], "suspend", actor=admin_user,
                            reason="Giấy phép hết hạn")
    db.session.commit()
    drain()
    _, found = get(client, "/api/v1/search/listings")
    assert [h["title"] for h in found["items"]] == ["Cà phê sữa đá"]
    _, nearby = get(client, "/api/v1/search/stores", radius=10_000, **HERE)
    assert [s["name"] for s in nearby["items"]] == ["Sương Sớm Đồng Khởi"]


def test_nearby_stores_with_filters_and_a_typed_district(client, coffee_town):
    status, body = get(client, "/api/v1/search/stores", radius=5000, **HERE)
    assert status == 200
    assert [s["name"] for s in body["items"]] == [
        "Sương Sớm Đồng Khởi", "Điện Máy Lê Lợi", "Sương Sớm Thảo Điền"]
    assert body["items"][0]["merchant"]["name"] == "Cà Phê Sương Sớm"
    _, coffee = get(client, "/api/v1/search/stores", radius=5000, category="food-drink", **HERE)
    assert [s["name"] for s in coffee["items"]] == ["Sương Sớm Đồng Khởi", "Sương Sớm Thảo Điền"]
    _, pickup = get(client, "/api/v1/search/stores", radius=5000, pickup="1", **HERE)
    assert [s["name"] for s in pickup["items"]] == ["Sương Sớm Đồng Khởi"]
    _, district = get(client, "/api/v1/search/stores", near="quan 2", radius=1000)
    assert [s["name"] for s in district["items"]] == ["Sương Sớm Thảo Điền"]


def test_a_listings_nearby_stock_is_read_live(client, coffee_town):
    drink = coffee_town["drink"]
    status, body = get(client, f"/api/v1/search/listings/{drink.id}/nearby", **HERE)
    assert status == 200
    assert [(s["name"], s["variants"][0]["availability"], s["variants"][0]["left"])
            for s in body] == [("Sương Sớm Đồng Khởi", "low", 2),
                               ("Sương Sớm Thảo Điền", "in_stock", None)]
    assert get(client, "/api/v1/search/listings/999999/nearby")[0] == 404


@pytest.mark.parametrize(("params", "field"), [
    ({"radius": 0, **HERE}, "radius"),
    ({"radius": 1_000_000, **HERE}, "radius"),
    ({"lat": 95, "lng": 106.7}, "lat"),
    ({"lat": 10.7}, "lat"),
    ({"lat": "nan", "lng": 106.7}, "lat"),
    ({"page": 0, **HERE}, "page"),
    ({"page_size": 500, **HERE}, "page_size"),
    ({"sort": "random()", **HERE}, "sort"),
    ({"q": "phở " * 3000, **HERE}, "q"),
    ({"near": "Sao Hỏa"}, "near"),
    ({}, "lat"),
])
def test_bad_store_searches_are_400_naming_the_field(client, coffee_town, params, field):
    status, body = get(client, "/api/v1/search/stores", **params)
    assert status == 400, body
    assert body["code"] == "bad_search_query" and field in body["errors"]


@pytest.mark.parametrize(("params", "field"), [
    ({"facets": "category,colour"}, "facets"),
    ({"in_stock_near": "1"}, "lat"),
    ({"sort": "distance"}, "lat"),
    ({"kind": "weapon"}, "kind"),
    ({"price_min": 50, "price_max": 10}, "price_max"),
    ({"price_min": -1}, "price_min"),
])
def test_bad_listing_searches_are_400_naming_the_field(client, coffee_town, params, field):
    status, body = get(client, "/api/v1/search/listings", **params)
    assert status == 400, body
    assert body["code"] == "bad_search_query" and field in body["errors"]


@pytest.mark.parametrize("value", ['food-drink" OR merchant_id > 0', "x' OR '1'='1",
                                   "food-drink OR kind = service", "1 = 1"])
def test_filter_injection_finds_nothing(client, coffee_town, value):
    for param in ("category", "merchant"):
        status, body = get(client, "/api/v1/search/listings", **{param: value})
        assert (status, body["total"]) == (200, 0)
        status, body = get(client, "/api/v1/search/stores", radius=5000, **HERE,
                           **{param: value})
        assert (status, body["total"]) == (200, 0)


def test_past_the_last_page_is_empty_not_an_error(client, coffee_town):
    status, body = get(client, "/api/v1/search/listings", page=50)
    assert (status, body["items"], body["total"], body["has_more"]) == (200, [], 3, False)


def test_the_search_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/search/stores", "/api/v1/search/listings",
            "/api/v1/search/listings/{listing_id}/nearby"} <= set(paths)
    assert "400" in paths["/api/v1/search/listings"]["get"]["responses"]


def test_healthz_reports_search_and_its_backlog(client, db, coffee_town):
    adjust_stock(store=coffee_town["near"], variant=coffee_town["drink"].variants[0], delta=1,
                 reason="receipt", actor_id=None)
    db.session.commit()
    search = client.get("/healthz").get_json()["checks"]["search"]
    assert search["status"] == "ok" and search["backend"] == "sqlite"
    assert search["backlog"]["pending"] == 1
    assert search["documents"]["stores"] == 3
    drain()
    assert client.get("/healthz").get_json()["checks"]["search"]["backlog"]["pending"] == 0


def test_opening_read_from_the_document(coffee_town):
    from marketplace.search.service import opening_from_document

    now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 09:00 in Ho Chi Minh City
    at = int(now.timestamp())
    doc = store_doc(1, 10.0, 106.0, window=(at - 3600, at + 3600 * 13))
    open_now = opening_from_document(doc, now)
    assert open_now.is_open and open_now.closes_at.strftime("%H:%M") == "22:00"
    always = opening_from_document(store_doc(1, 10.0, 106.0, window=(at - 60, at + 366 * 86400)),
                                   now)
    assert always.is_open and always.closes_at is None  # "open around the clock"
    later = opening_from_document(store_doc(1, 10.0, 106.0, window=(at + 7200, at + 9000)), now)
    assert not later.is_open and later.next_opening.strftime("%H:%M") == "11:00"
    assert later.opens_today
    ended = opening_from_document(store_doc(1, 10.0, 106.0, window=(at - 9000, at - 60)), now)
    assert not ended.is_open and ended.next_opening is None  # until the periodic job refreshes


def test_stores_that_closed_get_their_next_opening_indexed(client, coffee_town):
    from marketplace.search.indexing import refresh_opening_windows
    from marketplace.search.query import Point, StoreQuery

    engine = current_app.extensions["search"]

    def windows():
        page = engine.search_stores(StoreQuery(point=Point(HERE["lat"], HERE["lng"]),
                                               radius_m=10_000))
        return {hit["name"]: (hit["open_from"], hit["open_until"]) for hit in page.hits}

    before = windows()
    closing = before["Sương Sớm Đồng Khởi"][1]
    after_closing = datetime.fromtimestamp(closing + 60, UTC)
    assert engine.stores_closed_since(closing + 60) == sorted(
        [coffee_town["near"].id, coffee_town["far"].id])  # the phone shop has no hours
    assert refresh_opening_windows(after_closing) == 2
    after = windows()
    assert after["Sương Sớm Đồng Khởi"][0] > closing  # the next opening, not the past one
    assert after["Điện Máy Lê Lợi"] == before["Điện Máy Lê Lợi"] == (0, 0)
    assert engine.stores_closed_since(closing + 60) == []


def test_the_reindex_command_rebuilds_from_the_database(app, coffee_town):
    engine = current_app.extensions["search"]
    engine.clear()
    assert engine.health()["documents"] == {"stores": 0, "listings": 0, "offers": 0}
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "sqlite: 10 documents" in result.output  # 3 stores, 3 listings, 4 offers
    assert engine.health()["documents"] == {"stores": 3, "listings": 3, "offers": 4}


def test_public_search_reads_without_taking_sqlite_write_lock(app):
    """The search API only reads: on SQLite its requests must not queue for the one write
    lock (token-authenticated API requests and form posts do)."""
    from marketplace.database import _may_write

    expected = {("GET", "/api/v1/search/listings?q=pho"): False,
                ("GET", "/api/v1/catalog/merchants"): True,
                ("POST", "/api/v1/search/listings"): True,
                ("GET", "/search?q=pho"): False,
                ("POST", "/cart/lines"): True}
    seen = {}
    for method, path in expected:
        with app.test_request_context(path, method=method):
            seen[(method, path)] = _may_write()
    assert seen == expected
