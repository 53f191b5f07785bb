"""The storefront's search pages on the embedded backend: what a visitor sees."""

from __future__ import annotations

import pytest

from tests.support.plugin_apps import english_client
from tests.support.search_town import HERE


@pytest.fixture
def visitor(app):
    return english_client(app)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_search_page_finds_without_accents_and_counts_facets(visitor, coffee_town):
    response = visitor.get("/search?q=ca+phe+sua")
    page = text_of(response)
    assert response.status_code == 200
    assert "Cà phê sữa đá" in page and "Điện thoại" not in page and "Trà đào" not in page
    assert "1 result" in page and 'data-facet="category"' in page
    # "cà phê" is in the shop's name too: its tea is found, the phones are not
    shop = text_of(visitor.get("/search?q=ca+phe"))
    assert "2 results" in shop and "Trà đào cam sả" in shop and "Điện thoại" not in shop
    assert 'src="/static/js/search.js"' in page


def test_the_live_fragment_is_only_the_results(visitor, coffee_town):
    page = text_of(visitor.get("/search?q=dien+thoai&fragment=1"))
    assert "Điện thoại Samsung Galaxy" in page and "<html" not in page and "<form" not in page


def test_in_stock_near_me_shows_the_nearest_store_distance_and_band(visitor, coffee_town):
    page = text_of(visitor.get("/search", query_string={
        "q": "ca phe", "in_stock_near": "1", **HERE}))
    hit = page[page.index('class="nearest-store"'):]
    assert "Sương Sớm Đồng Khởi" in hit and "300 m" in hit and "Only 2 left" in hit


def test_a_bad_search_is_a_400_with_the_form_still_there(visitor, coffee_town):
    response = visitor.get("/search?lat=200&lng=1")
    assert response.status_code == 400
    assert 'role="alert"' in text_of(response) and "<form" in text_of(response)


def test_stores_near_me_by_district_and_filters(visitor, coffee_town):
    empty = visitor.get("/stores/near")
    assert empty.status_code == 200 and "Share your location" in text_of(empty)
    page = text_of(visitor.get("/stores/near", query_string={"radius": 5000, **HERE}))
    assert page.index("Sương Sớm Đồng Khởi") < page.index("Điện Máy Lê Lợi") < \
        page.index("Sương Sớm Thảo Điền")
    assert "no opening hours announced" in page  # the phone shop has no hours
    district = text_of(visitor.get("/stores/near?near=quan+2&radius=1000"))
    assert "Sương Sớm Thảo Điền" in district and "Sương Sớm Đồng Khởi" not in district
    pickup = text_of(visitor.get("/stores/near", query_string={"pickup": "1", **HERE}))
    assert "Sương Sớm Đồng Khởi" in pickup and "Điện Máy Lê Lợi" not in pickup
    unknown = visitor.get("/stores/near?near=Sao+H%E1%BB%8Fa")
    assert unknown.status_code == 400 and "We found no store" in text_of(unknown)


def test_listing_page_sorts_its_stores_by_distance(visitor, coffee_town):
    drink = coffee_town["drink"]
    url = f"/m/{coffee_town['cafe'].slug}/l/{drink.slug}"
    far_first = text_of(visitor.get(url, query_string={"lat": 10.8129, "lng": 106.7009}))
    assert far_first.index("Sương Sớm Thảo Điền") < far_first.index("Sương Sớm Đồng Khởi")
    near_first = text_of(visitor.get(url, query_string=HERE))
    assert near_first.index("Sương Sớm Đồng Khởi") < near_first.index("Sương Sớm Thảo Điền")
    assert "300 m" in near_first and "Nearest first." in near_first
