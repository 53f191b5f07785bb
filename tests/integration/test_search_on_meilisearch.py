"""The marketplace on the real Meilisearch server: the stores around the searcher come from
the database, "in stock near me" is answered from the listings' stock, a sell-out reaches
search through the outbox, and a search engine that is down is a 503, not a 500."""

from __future__ import annotations

import random
import uuid

import pytest

from marketplace.inventory.services import adjust_stock
from marketplace.outbox.services import drain
from marketplace.search import indexing
from marketplace.search.geo import haversine_m
from marketplace.search.nearby import stores_within
from marketplace.search.query import Point
from tests.support.meilisearch_server import free_port
from tests.support.search_town import HERE


@pytest.fixture
def meili_app(make_app, meilisearch):
    url, key = meilisearch
    built = make_app(MEILISEARCH_URL=url, MEILISEARCH_KEY=key,
                     MEILISEARCH_INDEX_PREFIX=f"a{uuid.uuid4().hex[:10]}_")
    yield built
    with built.app_context():
        built.extensions["search"].drop()


def in_stock(client, **params):
    response = client.get("/api/v1/search/listings", query_string={
        "in_stock_near": "1", "radius": 5000, **HERE, **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_in_stock_near_me_on_meilisearch_names_the_nearest_store(db, coffee_town, meili_app):
    with meili_app.app_context():
        indexing.reindex()
    client = meili_app.test_client()
    nearest = in_stock(client, sort="distance")
    assert [hit["title"] for hit in nearest["items"]] == [
        "Cà phê sữa đá", "Điện thoại Samsung Galaxy", "Trà đào cam sả"]
    coffee = nearest["items"][0]["nearest_store"]
    assert coffee["name"] == "Sương Sớm Đồng Khởi" and abs(coffee["distance_m"] - 300) <= 1
    assert coffee["availability"] == "low" and coffee["left"] == 2
    assert nearest["total"] == 3
    assert {f["value"]: f["count"] for f in nearest["facets"]["merchant"]} == {
        coffee_town["cafe"].slug: 2, coffee_town["phones"].slug: 1}
    typed = in_stock(client, q="ca phe sua")
    assert [(h["title"], h["nearest_store"]["name"]) for h in typed["items"]] == [
        ("Cà phê sữa đá", "Sương Sớm Đồng Khởi")]
    assert in_stock(client, radius=100)["total"] == 0

    # The near store sells out; the outbox carries it to Meilisearch and the far one shows.
    with meili_app.app_context():
        drink = coffee_town["drink"]
        adjust_stock(store=coffee_town["near"], variant=db.session.merge(drink).variants[0],
                     delta=-2, reason="damage", actor_id=None)
        db.session.commit()
        assert drain() >= 1
    again = in_stock(client, q="ca phe sua")
    assert again["items"][0]["nearest_store"]["name"] == "Sương Sớm Thảo Điền"


def test_stores_within_match_brute_force_haversine(db, make_merchant, make_store):
    rng = random.Random(3)
    shop = make_merchant(name="Khắp Nơi")
    made = [make_store(shop, name=f"Điểm {n}", latitude=HERE["lat"] + rng.uniform(-0.05, 0.05),
                       longitude=HERE["lng"] + rng.uniform(-0.05, 0.05)) for n in range(60)]
    made[0].is_active = False
    db.session.commit()
    for radius in (500, 2000, 4000):
        found = stores_within(Point(HERE["lat"], HERE["lng"]), radius)
        exact = sorted((haversine_m(HERE["lat"], HERE["lng"], s.latitude, s.longitude), s.id)
                       for s in made[1:])
        wanted = [(i, m) for m, i in exact if m <= radius]
        assert [i for i, _m in found] == [i for i, _m in wanted]
        assert all(abs(a - b) < 0.01 for (_i, a), (_j, b) in zip(found, wanted, strict=True))


def test_a_search_engine_that_is_down_is_a_503_and_the_shop_still_answers(make_app):
    down = make_app(MEILISEARCH_URL=f"http://127.0.0.1:{free_port()}", MEILISEARCH_KEY="k" * 32,
                    SEARCH_SETUP_ON_START=False)
    client = down.test_client()
    api = client.get("/api/v1/search/listings", query_string={"q": "pho"})
    assert api.status_code == 503
    assert api.get_json()["code"] == "search_unavailable"
    assert client.get("/api/v1/search/stores", query_string=HERE).status_code == 503
    page = client.get("/search", query_string={"q": "pho"})
    assert page.status_code == 503
    assert "Search is unavailable" in page.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json()["checks"]["search"]["status"] == "down"
