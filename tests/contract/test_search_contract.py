"""The search contract: what every backend must answer, the same way.

Each test runs twice, on the embedded SQLite backend and on the real Meilisearch server
(``backend`` fixture). Where the two differ by design (typo tolerance) the test says so.
"""

from __future__ import annotations

import random

import pytest

from marketplace.search.documents import Batch, offer_id
from marketplace.search.geo import haversine_m
from marketplace.search.query import ListingQuery, Point, StoreQuery
from tests.support.search_docs import listing_doc, offer_doc, stocked, store_doc

SAIGON = Point(10.7769, 106.7009)  # Nhà hát Thành phố
VIETNAMESE = [
    (1, "Phở bò tái nạm"), (2, "Cà phê sữa đá"), (3, "Điện thoại Samsung Galaxy"),
    (4, "Bánh xèo miền Tây"), (5, "Áo dài lụa Hội An"), (6, "Trà đào cam sả"),
]


def north_of(point: Point, metres: float) -> tuple[float, float]:
    """A point due north at that great-circle distance."""
    return point.lat + metres / 111_194.93, point.lng


def ids(page) -> list:
    return [hit["id"] for hit in page.hits]


def listings(backend, **kwargs):
    return backend.search_listings(ListingQuery(**kwargs))


@pytest.fixture
def catalog(backend):
    docs = [listing_doc(i, title, category_id=10 + i % 2, merchant_id=1 + i % 3,
                        kind="service" if i == 6 else "product", price=i * 10_000,
                        published_at=1_700_000_000 + i)
            for i, title in VIETNAMESE]
    backend.apply(Batch(listings=docs))
    return backend


# -- Vietnamese text -------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "found"), [
    ("pho", 1), ("Phở", 1), ("ca phe sua da", 2), ("cà phê", 2), ("dien thoai", 3),
    ("ĐIỆN THOẠI", 3), ("dien tho", 3), ("banh xeo", 4), ("ao dai", 5), ("tra dao", 6),
    ("Samsung", 3), ("ca ph", 2),
])
def test_accents_and_d_are_optional_and_the_last_word_is_a_prefix(catalog, typed, found):
    assert ids(listings(catalog, q=typed)) == [found]


def test_typos_are_forgiven_where_the_backend_says_so(catalog):
    typo = ids(listings(catalog, q="phoo"))
    both = ids(listings(catalog, q="banhh xeo"))
    if catalog.typo_tolerant:
        assert typo == [1] and both == [4]
    else:
        assert typo == [] and both == []


def test_words_that_match_nothing_find_nothing(catalog):
    assert listings(catalog, q="xyzzy quux").total == 0
    assert listings(catalog, q="phở xyzzy").total == 0  # every word must match


def test_query_syntax_is_text_not_operators(catalog):
    everything = set(ids(listings(catalog)))
    for typed in ['"pho" OR "tra"', "pho AND NOT tra", "pho*", "title:pho", "(pho)", "-pho",
                  "NEAR(pho)", "'; DROP TABLE listings; --", "pho -tra", '"pho"']:
        found = set(ids(listings(catalog, q=typed)))  # no exception, whatever the syntax
        assert found <= {1, 6}, typed  # only the words count: "pho" (and "tra" where typed)
    for typed in ["\\", '"', "-", "*", "()"]:  # no word at all: the same as no text
        assert set(ids(listings(catalog, q=typed))) == everything, typed


# -- filters, facets, sorting, pagination ----------------------------------------------------

def test_filters_combine(catalog):
    assert ids(listings(catalog, category_id=11, sort="price_asc")) == [1, 3, 5]
    assert ids(listings(catalog, merchant_id=2, sort="price_asc")) == [1, 4]
    assert ids(listings(catalog, kind="service")) == [6]
    assert ids(listings(catalog, price_min=20_000, price_max=40_000, sort="price_asc")) == \
        [2, 3, 4]
    assert ids(listings(catalog, category_id=11, merchant_id=3)) == [5]
    assert listings(catalog, category_id=0).total == 0  # an unknown id matches nothing


def test_facets_count_the_matching_hits(catalog):
    page = listings(catalog, price_min=20_000)
    assert page.total == 5
    assert page.facets["category"] == {"10": 3, "11": 2}
    assert page.facets["merchant"] == {"1": 2, "2": 1, "3": 2}
    assert page.facets["kind"] == {"product": 4, "service": 1}
    assert page.price == {"min": 20_000, "max": 60_000}
    only = listings(catalog, facets=("kind",))
    assert set(only.facets) == {"kind"} and only.price is None


def test_sorting(catalog):
    assert ids(listings(catalog, sort="price_asc")) == [1, 2, 3, 4, 5, 6]
    assert ids(listings(catalog, sort="price_desc")) == [6, 5, 4, 3, 2, 1]
    assert ids(listings(catalog, sort="newest")) == [6, 5, 4, 3, 2, 1]
    assert ids(listings(catalog)) == [6, 5, 4, 3, 2, 1]  # no text: newest first


def test_pages_cover_every_hit_once_and_past_the_end_is_empty(catalog):
    seen = []
    for number in (1, 2, 3):
        page = listings(catalog, sort="price_asc", page=number, page_size=2)
        assert page.total == 6 and page.pages == 3
        assert page.has_more == (number < 3)
        seen += ids(page)
    assert seen == [1, 2, 3, 4, 5, 6]
    beyond = listings(catalog, sort="price_asc", page=40, page_size=2)
    assert beyond.hits == [] and beyond.total == 6


def test_writes_are_idempotent_and_deletes_remove(catalog):
    again = listing_doc(1, "Phở gà", price=10_000, category_id=11, merchant_id=2)
    catalog.apply(Batch(listings=[again]))
    catalog.apply(Batch(listings=[again]))
    assert ids(listings(catalog, q="pho ga")) == [1]
    assert ids(listings(catalog, q="pho bo")) == []
    catalog.apply(Batch(gone_listings={1, 999}))
    assert listings(catalog, q="pho").total == 0
    assert listings(catalog).total == 5


def test_rebuild_replaces_everything(catalog):
    written = catalog.rebuild(iter([Batch(listings=[listing_doc(50, "Bún chả Hà Nội")]),
                                    Batch(listings=[listing_doc(51, "Bún bò Huế")])]))
    assert written == 2
    assert sorted(ids(listings(catalog, q="bun"))) == [50, 51]
    assert listings(catalog, q="pho").total == 0
    assert catalog.health()["status"] == "ok"


# -- stores near a point ---------------------------------------------------------------------

def stores(backend, **kwargs):
    kwargs.setdefault("point", SAIGON)
    kwargs.setdefault("radius_m", 1000)
    return backend.search_stores(StoreQuery(**kwargs))


def test_radius_edges_and_distance_order(backend):
    docs = [store_doc(i, *north_of(SAIGON, metres)) for i, metres in
            [(1, 999.0), (2, 1001.0), (3, 10.0), (4, 500.0)]]
    backend.apply(Batch(stores=docs))
    page = stores(backend)
    assert ids(page) == [3, 4, 1] and page.total == 3
    for hit, metres in zip(page.hits, (10, 500, 999), strict=True):
        assert abs(hit["distance_m"] - metres) <= 1
    assert ids(stores(backend, radius_m=1002)) == [3, 4, 1, 2]
    assert ids(stores(backend, radius_m=1002, sort="name")) == [1, 2, 3, 4]  # "Cửa hàng N"


def test_store_filters(backend):
    now = 1_800_000_000
    docs = [
        store_doc(1, *north_of(SAIGON, 100), merchant_id=1, categories=[7], pickup=True,
                  window=(now - 60, now + 3600)),
        store_doc(2, *north_of(SAIGON, 200), merchant_id=2, categories=[7, 8], pickup=False,
                  window=(now + 60, now + 3600)),
        store_doc(3, *north_of(SAIGON, 300), merchant_id=2, categories=[8], pickup=True,
                  window=(now - 3600, now)),  # closed at exactly now
        store_doc(4, *north_of(SAIGON, 400), merchant_id=1, name="Highlands Coffee Lê Lợi",
                  categories=[]),
    ]
    backend.apply(Batch(stores=docs))
    assert ids(stores(backend, open_at=now)) == [1, 4]
    assert ids(stores(backend, pickup=True)) == [1, 3, 4]
    assert ids(stores(backend, merchant_id=2)) == [2, 3]
    assert ids(stores(backend, category_id=7)) == [1, 2]
    assert ids(stores(backend, category_id=8, open_at=now)) == []
    assert ids(stores(backend, q="highlands")) == [4]
    assert stores(backend, category_id=0).total == 0
    assert backend.stores_closed_since(now) == [3]
    backend.apply(Batch(gone_stores={3}))
    assert backend.stores_closed_since(now) == []
    assert ids(stores(backend, page=2, page_size=2)) == [4]


def test_geo_recall_matches_brute_force_haversine(backend):
    """For 1,000 random points, the stores found within a random radius are exactly the ones
    a brute-force haversine finds (Meilisearch has had geo bugs; this guards us).

    Engines round differently: a store within half a metre of the edge may fall either way,
    and two stores less than a metre apart may come in either order."""
    rng = random.Random(20261123)
    docs = [store_doc(i, 10.70 + rng.random() * 0.2, 106.60 + rng.random() * 0.2)
            for i in range(1, 401)]
    backend.apply(Batch(stores=docs))
    problems = []
    for _ in range(1000):
        point = Point(10.68 + rng.random() * 0.24, 106.58 + rng.random() * 0.24)
        radius = rng.choice([300, 1000, 2500, 5000])
        exact = {d["id"]: haversine_m(point.lat, point.lng, d["_geo"]["lat"], d["_geo"]["lng"])
                 for d in docs}
        inside = {i for i, metres in exact.items() if metres <= radius}
        edge = {i for i, metres in exact.items() if abs(metres - radius) < 0.5}
        page = stores(backend, point=point, radius_m=radius, page_size=50)
        found = ids(page)
        shown = [hit["distance_m"] for hit in page.hits]
        wrong = [
            abs(page.total - len(inside)) > len(edge),
            not set(found) <= inside | edge,
            any(abs(hit["distance_m"] - exact[hit["id"]]) > 1 for hit in page.hits),
            any(later < earlier - 1 for earlier, later in zip(shown, shown[1:], strict=False)),
            # every store clearly nearer than the last one shown is on the page
            bool({i for i in inside - edge
                  if exact[i] < (shown[-1] - 1 if len(found) == 50 else radius)} - set(found)),
        ]
        if any(wrong):
            problems.append((point, radius, wrong))
    assert problems == []


# -- in stock near me ------------------------------------------------------------------------

def test_in_stock_near_gives_each_listing_once_at_its_nearest_store(backend):
    near = store_doc(1, *north_of(SAIGON, 300))
    far = store_doc(2, *north_of(SAIGON, 2000))
    out = store_doc(3, *north_of(SAIGON, 9000))
    coffee = listing_doc(1, "Cà phê sữa đá", price=29_000)
    phone = listing_doc(2, "Điện thoại Samsung", price=5_000_000, category_id=4)
    tea = listing_doc(3, "Trà đào", price=35_000)
    coffee_far = offer_doc(coffee, far, 40)
    offers = [offer_doc(coffee, near, 2), coffee_far, offer_doc(phone, far, 1),
              offer_doc(tea, out, 9)]
    backend.apply(Batch(stores=[near, far, out], offers=offers, listings=[
        stocked(coffee, *offers[:2]), stocked(phone, offers[2]), stocked(tea, offers[3])]))
    page = listings(backend, point=SAIGON, radius_m=3000, in_stock_near=True, sort="distance")
    assert ids(page) == [1, 2] and page.total == 2
    assert [(h["store_id"], h["available"]) for h in page.hits] == [(1, 2), (2, 1)]
    assert abs(page.hits[0]["distance_m"] - 300) <= 1
    assert page.facets["merchant"] == {"1": 2}  # listings, not offers, are counted
    text = listings(backend, q="ca phe", point=SAIGON, radius_m=3000, in_stock_near=True)
    assert [(h["id"], h["store_id"]) for h in text.hits] == [(1, 1)]
    by_price = listings(backend, point=SAIGON, radius_m=3000, in_stock_near=True,
                        sort="price_desc")
    assert ids(by_price) == [2, 1]
    assert ids(listings(backend, point=SAIGON, radius_m=10_000, in_stock_near=True,
                        category_id=4)) == [2]
    # The near store sells out: the coffee's nearest store becomes the far one.
    backend.apply(Batch(listings=[stocked(coffee, coffee_far)], gone_offers={offer_id(1, 1)}))
    again = listings(backend, point=SAIGON, radius_m=3000, in_stock_near=True, sort="distance")
    assert [(h["id"], h["store_id"]) for h in again.hits] == [(1, 2), (2, 2)]
    assert listings(backend, point=SAIGON, radius_m=100, in_stock_near=True).total == 0


def test_in_stock_nearest_first_pages_through_every_listing_once(backend):
    """Many stores and listings, so that "nearest first" has to look past the nearest few
    stores for later pages: every page in order, nothing twice, nothing missed."""
    rng = random.Random(7)
    stores_ = [store_doc(i, *north_of(SAIGON, 40 * i + rng.random() * 10)) for i in range(1, 90)]
    stores_ += [store_doc(90, *north_of(SAIGON, 40 * 89 + 5))]  # as far as store 89, nearly
    docs, offers = [], []
    for n in range(1, 121):
        listing = listing_doc(n, f"Trà sữa {n}", price=1_000 * n)
        mine = [offer_doc(listing, s, rng.choice([1, 2, 9])) for s in rng.sample(stores_, 3)]
        docs.append(stocked(listing, *mine))
        offers += mine
    backend.apply(Batch(stores=stores_, listings=docs, offers=offers))
    where = {s["id"]: haversine_m(SAIGON.lat, SAIGON.lng, s["_geo"]["lat"], s["_geo"]["lng"])
             for s in stores_}
    inside = {d["id"]: min(where[e["store_id"]] for e in d["stock"] if where[e["store_id"]] <= 3000)
              for d in docs if any(where[e["store_id"]] <= 3000 for e in d["stock"])}
    expected = sorted(inside, key=lambda i: (inside[i], i))
    seen, shown = [], []
    for number in range(1, 5):
        page = listings(backend, point=SAIGON, radius_m=3000, in_stock_near=True,
                        sort="distance", page=number, page_size=30, facets=("kind",))
        assert page.total == len(inside) and page.facets["kind"] == {"product": len(inside)}
        seen += ids(page)
        shown += [hit["distance_m"] for hit in page.hits]
    assert seen == expected
    assert all(abs(metres - inside[i]) <= 1 for i, metres in zip(seen, shown, strict=True))
