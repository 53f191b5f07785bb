"""Stock through the API: levels, adjustments, counts, transfers, movements, CSV imports."""

from __future__ import annotations

import io

import pytest

from marketplace.inventory import services as inventory
from marketplace.inventory.models import StockLevel, StockMovement


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == code
    return response.get_json()


def movements(db) -> int:
    return db.session.query(StockMovement).count()


def on_hand(db, store, variant) -> int | None:
    level = db.session.query(StockLevel).filter_by(store_id=store.id,
                                                   variant_id=variant.id).first()
    return level.on_hand if level else None


@pytest.fixture
def merchant(make_merchant):
    return make_merchant()


@pytest.fixture
def owner(merchant, owner_of, api_token):
    return bearer(api_token(owner_of(merchant)))


@pytest.fixture
def store(merchant, make_store):
    return make_store(merchant)


@pytest.fixture
def variant(merchant, make_listing):
    return make_listing(merchant).variants[0]


def test_adjust_count_and_read_levels(client, db, owner, store, variant):
    response = client.post("/api/v1/stock/adjustments", headers=owner, json={
        "store_id": store.id, "variant_id": variant.id, "delta": 10, "reason": "receipt",
        "note": "Nhập hàng"})
    assert response.status_code == 201, response.get_json()
    movement = response.get_json()
    assert (movement["reason"], movement["on_hand_delta"], movement["on_hand_after"]) == \
        ("receipt", 10, 10)

    response = client.post("/api/v1/stock/counts", headers=owner, json={
        "store_id": store.id, "variant_id": variant.id, "counted": 7})
    assert response.status_code == 201
    assert response.get_json()["on_hand_delta"] == -3

    levels = client.get(f"/api/v1/stock?store_id={store.id}", headers=owner).get_json()
    assert levels["items"] == [levels["items"][0] | {
        "store_id": store.id, "variant_id": variant.id, "sku": variant.sku,
        "listing_id": variant.listing_id, "on_hand": 7, "reserved": 0, "available": 7}]
    by_variant = client.get(f"/api/v1/stock?variant_id={variant.id}", headers=owner).get_json()
    assert by_variant["items"] == levels["items"]

    history = client.get(f"/api/v1/stock/movements?store_id={store.id}",
                         headers=owner).get_json()["items"]
    assert [m["reason"] for m in history] == ["count", "receipt"]  # newest first
    older = client.get(f"/api/v1/stock/movements?before_id={history[0]['id']}",
                       headers=owner).get_json()["items"]
    assert [m["id"] for m in older] == [history[1]["id"]]


@pytest.mark.parametrize(("body", "field"), [
    ({"delta": 0, "reason": "receipt"}, "delta"),
    ({"delta": -2, "reason": "receipt"}, "delta"),
    ({"delta": 2, "reason": "correction"}, "note"),
    ({"delta": 2, "reason": "stolen"}, "reason"),
    ({"delta": "2", "reason": "receipt"}, "delta"),
    ({"reason": "receipt"}, "delta"),
])
def test_invalid_adjustment_is_422_and_changes_nothing(client, db, owner, store, variant, body,
                                                      field):
    before = movements(db)
    response = client.post("/api/v1/stock/adjustments", headers=owner,
                           json={"store_id": store.id, "variant_id": variant.id} | body)
    assert field in assert_problem(response, 422, "validation_failed")["errors"]
    assert movements(db) == before and on_hand(db, store, variant) in (None, 0)


def test_removing_more_than_available_is_409(client, db, owner, store, variant):
    inventory.adjust_stock(store=store, variant=variant, delta=2, reason="receipt",
                           actor_id=None)
    db.session.commit()
    response = client.post("/api/v1/stock/adjustments", headers=owner, json={
        "store_id": store.id, "variant_id": variant.id, "delta": -5, "reason": "damage"})
    problem = assert_problem(response, 409, "insufficient_stock")
    assert problem["available"] == 2
    assert on_hand(db, store, variant) == 2


def test_transfer(client, db, merchant, owner, store, variant, make_store):
    target = make_store(merchant)
    inventory.adjust_stock(store=store, variant=variant, delta=5, reason="receipt",
                           actor_id=None)
    db.session.commit()
    response = client.post("/api/v1/stock/transfers", headers=owner, json={
        "from_store_id": store.id, "to_store_id": target.id, "variant_id": variant.id,
        "quantity": 3, "note": "Chuyển kho"})
    assert response.status_code == 201, response.get_json()
    result = response.get_json()
    assert [m["reason"] for m in result["movements"]] == ["transfer_out", "transfer_in"]
    assert {m["reference"] for m in result["movements"]} == {result["reference"]}
    assert (on_hand(db, store, variant), on_hand(db, target, variant)) == (2, 3)

    response = client.post("/api/v1/stock/transfers", headers=owner, json={
        "from_store_id": store.id, "to_store_id": store.id, "variant_id": variant.id,
        "quantity": 1})
    assert "to_store_id" in assert_problem(response, 422, "validation_failed")["errors"]
    response = client.post("/api/v1/stock/transfers", headers=owner, json={
        "from_store_id": store.id, "to_store_id": target.id, "variant_id": variant.id,
        "quantity": 10})
    assert_problem(response, 409, "insufficient_stock")
    assert (on_hand(db, store, variant), on_hand(db, target, variant)) == (2, 3)


def csv_upload(text: str) -> dict:
    return {"file": (io.BytesIO(text.encode("utf-8")), "stock.csv")}


def test_csv_import(client, db, owner, store, variant):
    other = variant.listing.variants[1]
    response = client.post("/api/v1/stock/imports", headers=owner, content_type=
                           "multipart/form-data", data=csv_upload(
                               f"store,sku,quantity,mode\n{store.slug},{variant.sku},12,set\n"
                               f"{store.id},{other.sku},4,add\n"))
    assert response.status_code == 201, response.get_json()
    report = response.get_json()
    assert report["applied"] == 2
    assert [(r["sku"], r["mode"], r["quantity"]) for r in report["rows"]] == [
        (variant.sku, "set", 12), (other.sku, "add", 4)]
    assert (on_hand(db, store, variant), on_hand(db, store, other)) == (12, 4)


def test_csv_import_with_errors_changes_nothing(client, db, owner, store, variant):
    before = movements(db)
    response = client.post("/api/v1/stock/imports", headers=owner, content_type=
                           "multipart/form-data", data=csv_upload(
                               f"store,sku,quantity\n{store.slug},{variant.sku},12\n"
                               f"{store.slug},NO-SUCH-SKU,1\nnowhere,{variant.sku},x\n"))
    problem = assert_problem(response, 422, "csv_invalid")
    assert [row["line"] for row in problem["row_errors"]] == [3, 4]
    assert len(problem["row_errors"][1]["errors"]) == 2
    assert movements(db) == before and on_hand(db, store, variant) is None

    response = client.post("/api/v1/stock/imports", headers=owner, content_type=
                           "multipart/form-data", data=csv_upload("sku,quantity\nA,1\n"))
    assert "file" in assert_problem(response, 422, "validation_failed")["errors"]
    response = client.post("/api/v1/stock/imports", headers=owner, json={})
    assert "file" in assert_problem(response, 422, "validation_failed")["errors"]


def test_staff_may_adjust_only_at_their_stores(client, db, merchant, store, variant,
                                               make_store, make_member, api_token):
    other = make_store(merchant)
    inventory.adjust_stock(store=other, variant=variant, delta=4, reason="receipt",
                           actor_id=None)
    db.session.commit()
    staff = bearer(api_token(make_member(merchant, role="staff", stores_=[store])))
    ok = client.post("/api/v1/stock/adjustments", headers=staff, json={
        "store_id": store.id, "variant_id": variant.id, "delta": 1, "reason": "receipt"})
    assert ok.status_code == 201
    before = movements(db)
    for method, url, body in [
        ("POST", "/api/v1/stock/adjustments", {"store_id": other.id, "variant_id": variant.id,
                                               "delta": 1, "reason": "receipt"}),
        ("POST", "/api/v1/stock/counts", {"store_id": other.id, "variant_id": variant.id,
                                          "counted": 0}),
        ("POST", "/api/v1/stock/transfers", {"from_store_id": other.id,
                                             "to_store_id": store.id,
                                             "variant_id": variant.id, "quantity": 1}),
        ("GET", f"/api/v1/stock?store_id={other.id}", None),
        ("GET", f"/api/v1/stock/movements?store_id={other.id}", None),
    ]:
        assert_problem(client.open(url, method=method, headers=staff, json=body), 404,
                       "not_found")
    assert movements(db) == before
    # Unfiltered lists only show the member's stores.
    levels = client.get("/api/v1/stock", headers=staff).get_json()["items"]
    assert {level["store_id"] for level in levels} == {store.id}
    history = client.get("/api/v1/stock/movements", headers=staff).get_json()["items"]
    assert {m["store_id"] for m in history} == {store.id}
    # A CSV naming another store is refused whole.
    response = client.post("/api/v1/stock/imports", headers=staff, content_type=
                           "multipart/form-data", data=csv_upload(
                               f"store,sku,quantity\n{other.slug},{variant.sku},0\n"))
    assert_problem(response, 422, "csv_invalid")
    assert on_hand(db, other, variant) == 4


def test_another_merchants_store_or_variant_is_404(client, db, owner, store, variant,
                                                   make_merchant, make_store, make_listing):
    stranger = make_merchant()
    their_store, their_variant = make_store(stranger), make_listing(stranger).variants[0]
    before = movements(db)
    for store_id, variant_id in [(their_store.id, variant.id), (store.id, their_variant.id)]:
        for url, body in [
            ("/api/v1/stock/adjustments", {"delta": 1, "reason": "receipt"}),
            ("/api/v1/stock/counts", {"counted": 3}),
        ]:
            response = client.post(url, headers=owner, json={
                "store_id": store_id, "variant_id": variant_id} | body)
            assert_problem(response, 404, "not_found")
        assert_problem(client.get(f"/api/v1/stock?store_id={store_id}&variant_id={variant_id}",
                                  headers=owner), 404, "not_found")
        assert_problem(client.get(f"/api/v1/stock/movements?store_id={store_id}"
                                  f"&variant_id={variant_id}", headers=owner), 404, "not_found")
    for source, target, moved in [(their_store, store, variant), (store, their_store, variant),
                                  (store, store, their_variant)]:
        response = client.post("/api/v1/stock/transfers", headers=owner, json={
            "from_store_id": source.id, "to_store_id": target.id, "variant_id": moved.id,
            "quantity": 1})
        assert_problem(response, 404, "not_found")
    assert movements(db) == before
