"""Listings through the API: products with variants, services, vouchers, transitions, images."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from marketplace.catalog.models import Listing, ListingImage, Variant
from marketplace.inventory import services as inventory

T_SHIRT = {"title": "Áo thun cotton", "kind": "product", "description": "100% cotton",
           "tags": ["áo", "cotton"], "variants": [
               {"sku": "AT-M", "price": 150000, "options": {"size": "M"}},
               {"sku": "AT-L", "price": 170000, "compare_at_price": 200000,
                "options": {"size": "L"}}]}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == code
    return response.get_json()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def merchant(make_merchant):
    return make_merchant()


@pytest.fixture
def owner(merchant, owner_of, api_token):
    return bearer(api_token(owner_of(merchant)))


def count(db, model) -> int:
    return db.session.query(model).count()


def test_create_product_then_publish(client, db, merchant, owner):
    response = client.post("/api/v1/listings", headers=owner, json=T_SHIRT)
    assert response.status_code == 201, response.get_json()
    listing = response.get_json()
    assert listing["status"] == "draft" and listing["events"] == ["publish", "archive"]
    assert listing["currency"] == "VND" and listing["slug"] == "ao-thun-cotton"
    assert sorted(listing["tags"]) == ["cotton", "áo"]
    assert [(v["sku"], v["price"], v["compare_at_price"]) for v in listing["variants"]] == [
        ("AT-M", 150000, None), ("AT-L", 170000, 200000)]
    assert listing["variants"][0]["currency"] == "VND"

    response = client.post(f"/api/v1/listings/{listing['id']}/transitions", headers=owner,
                           json={"event": "publish"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "published"
    assert response.get_json()["published_at"].endswith("+00:00")

    # A transition the state does not allow is a 409 and changes nothing.
    response = client.post(f"/api/v1/listings/{listing['id']}/transitions", headers=owner,
                           json={"event": "restore"})
    assert_problem(response, 409, "invalid_transition")
    assert db.session.get(Listing, listing["id"]).status == "published"


def test_service_and_voucher_have_one_priced_variant(client, owner):
    response = client.post("/api/v1/listings", headers=owner, json={
        "title": "Cắt tóc nam", "kind": "service", "duration_minutes": 45, "price": 120000})
    assert response.status_code == 201, response.get_json()
    service = response.get_json()
    assert service["duration_minutes"] == 45
    assert [v["price"] for v in service["variants"]] == [120000]

    response = client.post("/api/v1/listings", headers=owner, json={
        "title": "Phiếu giảm 30%", "kind": "voucher", "voucher_kind": "percent",
        "voucher_value": 30, "price": 0, "sku": "VC-30", "valid_days": 90})
    assert response.status_code == 201, response.get_json()
    voucher = response.get_json()
    assert (voucher["voucher_kind"], voucher["voucher_value"]) == ("percent", 30)
    assert voucher["variants"][0]["sku"] == "VC-30"

    response = client.patch(f"/api/v1/listings/{service['id']}", headers=owner,
                            json={"price": 150000, "title": "Cắt tóc nam cao cấp"})
    assert response.status_code == 200
    assert response.get_json()["variants"][0]["price"] == 150000
    assert response.get_json()["title"] == "Cắt tóc nam cao cấp"


@pytest.mark.parametrize(("body", "field"), [
    ({**T_SHIRT, "variants": []}, "variants"),
    ({**T_SHIRT, "title": ""}, "title"),
    ({**T_SHIRT, "kind": "car"}, "kind"),
    ({**T_SHIRT, "currency": "XYZ"}, "currency"),
    ({**T_SHIRT, "variants": [{"sku": "A", "price": -1}]}, "variants[0].price"),
    ({**T_SHIRT, "variants": [{"sku": "A", "price": 10.5}]}, "variants[0].price"),
    ({**T_SHIRT, "variants": [{"sku": "A", "price": "150000"}]}, "variants[0].price"),
    ({**T_SHIRT, "variants": [{"sku": "A", "price": 100, "compare_at_price": 90}]},
     "variants[0].compare_at_price"),
    ({**T_SHIRT, "category": "no-such-category"}, "category"),
    ({"title": "Cắt tóc", "kind": "service", "price": 1000}, "duration_minutes"),
])
def test_invalid_listing_is_422_and_creates_nothing(client, db, owner, body, field):
    before = (count(db, Listing), count(db, Variant))
    response = client.post("/api/v1/listings", headers=owner, json=body)
    problem = assert_problem(response, 422, "validation_failed")
    assert field in problem["errors"], problem
    assert (count(db, Listing), count(db, Variant)) == before


def test_duplicate_sku_is_409(client, db, merchant, owner, make_listing):
    make_listing(merchant, variants=[{"sku": "AT-M", "price": 1000}])
    db.session.commit()  # made before the request, as a real client's data would be
    before = count(db, Listing)
    response = client.post("/api/v1/listings", headers=owner, json=T_SHIRT)
    assert "variants[0].sku" in assert_problem(response, 409, "conflict")["errors"]
    assert count(db, Listing) == before


def test_list_filters(client, merchant, owner, make_listing):
    draft = make_listing(merchant, publish=False)
    published = make_listing(merchant)
    service = make_listing(merchant, kind="service", duration_minutes=30, price=100000)
    everything = client.get("/api/v1/listings", headers=owner).get_json()["items"]
    assert [li["id"] for li in everything] == [service.id, published.id, draft.id]
    drafts = client.get("/api/v1/listings?status=draft", headers=owner).get_json()["items"]
    assert [li["id"] for li in drafts] == [draft.id]
    services = client.get("/api/v1/listings?kind=service", headers=owner).get_json()["items"]
    assert [li["id"] for li in services] == [service.id]
    response = client.get("/api/v1/listings?status=deleted", headers=owner)
    assert "status" in assert_problem(response, 422, "validation_failed")["errors"]


def test_archive_instead_of_delete(client, merchant, owner, make_listing):
    listing = make_listing(merchant)
    assert client.delete(f"/api/v1/listings/{listing.id}", headers=owner).status_code == 405
    response = client.post(f"/api/v1/listings/{listing.id}/transitions", headers=owner,
                           json={"event": "archive"})
    assert response.get_json()["status"] == "archived"
    assert response.get_json()["events"] == ["restore"]


def test_variants(client, db, merchant, owner, make_listing, make_store):
    listing = make_listing(merchant, publish=False)
    response = client.post(f"/api/v1/listings/{listing.id}/variants", headers=owner,
                           json={"sku": "XL-1", "price": 190000, "options": {"size": "XL"}})
    assert response.status_code == 201, response.get_json()
    variant_id = response.get_json()["id"]
    response = client.patch(f"/api/v1/listings/{listing.id}/variants/{variant_id}",
                            headers=owner, json={"price": 180000})
    assert response.get_json()["price"] == 180000 and response.get_json()["sku"] == "XL-1"

    response = client.patch(f"/api/v1/listings/{listing.id}/variants/{variant_id}",
                            headers=owner, json={"price": -5})
    assert "price" in assert_problem(response, 422, "validation_failed")["errors"]
    assert db.session.get(Variant, variant_id).price == 180000

    # Without stock history a variant is deleted; with it, only deactivated.
    assert client.delete(f"/api/v1/listings/{listing.id}/variants/{variant_id}",
                         headers=owner).status_code == 204
    assert db.session.get(Variant, variant_id) is None
    kept = listing.variants[0]
    inventory.adjust_stock(store=make_store(merchant), variant=kept, delta=3, reason="receipt",
                           actor_id=None)
    db.session.commit()
    response = client.delete(f"/api/v1/listings/{listing.id}/variants/{kept.id}", headers=owner)
    assert response.status_code == 200 and response.get_json()["is_active"] is False


def test_variant_of_another_listing_is_404(client, db, merchant, owner, make_listing):
    first, second = make_listing(merchant), make_listing(merchant)
    foreign = second.variants[0]
    db.session.commit()
    response = client.patch(f"/api/v1/listings/{first.id}/variants/{foreign.id}",
                            headers=owner, json={"price": 1})
    assert_problem(response, 404, "not_found")
    assert_problem(client.delete(f"/api/v1/listings/{first.id}/variants/{foreign.id}",
                                 headers=owner), 404, "not_found")
    assert db.session.get(Variant, foreign.id).price != 1


def test_services_have_no_extra_variants(client, merchant, owner, make_listing):
    service = make_listing(merchant, kind="service", duration_minutes=30, price=100000)
    response = client.post(f"/api/v1/listings/{service.id}/variants", headers=owner,
                           json={"sku": "EXTRA", "price": 1})
    assert "kind" in assert_problem(response, 422, "validation_failed")["errors"]


def test_images_upload_and_delete(app, client, db, merchant, owner, make_listing):
    listing = make_listing(merchant)
    response = client.post(f"/api/v1/listings/{listing.id}/images", headers=owner,
                           data={"image": (io.BytesIO(png_bytes()), "ao.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    image = response.get_json()
    assert image["content_type"] == "image/png" and (image["width"], image["height"]) == (8, 6)
    assert image["url"].startswith("http://") and "/media/listings/" in image["url"]
    stored = db.session.get(ListingImage, image["id"])
    path = Path(app.config["UPLOAD_FOLDER"]) / stored.path
    assert path.exists()
    assert client.get(f"/api/v1/listings/{listing.id}", headers=owner).get_json()["images"][0][
        "id"] == image["id"]

    response = client.delete(f"/api/v1/listings/{listing.id}/images/{image['id']}",
                             headers=owner)
    assert response.status_code == 204
    assert db.session.get(ListingImage, image["id"]) is None
    assert not path.exists()


def test_bad_image_is_422(client, db, merchant, owner, make_listing):
    listing = make_listing(merchant)
    db.session.commit()
    response = client.post(f"/api/v1/listings/{listing.id}/images", headers=owner,
                           data={"image": (io.BytesIO(b"not an image"), "x.png")},
                           content_type="multipart/form-data")
    assert "image" in assert_problem(response, 422, "validation_failed")["errors"]
    response = client.post(f"/api/v1/listings/{listing.id}/images", headers=owner, json={})
    assert "image" in assert_problem(response, 422, "validation_failed")["errors"]
    assert count(db, ListingImage) == 0


def test_image_of_another_listing_is_404(client, db, app, merchant, owner, make_listing):
    first, second = make_listing(merchant), make_listing(merchant)
    image_id = client.post(f"/api/v1/listings/{second.id}/images", headers=owner,
                           data={"image": (io.BytesIO(png_bytes()), "a.png")},
                           content_type="multipart/form-data").get_json()["id"]
    assert_problem(client.delete(f"/api/v1/listings/{first.id}/images/{image_id}",
                                 headers=owner), 404, "not_found")
    assert db.session.get(ListingImage, image_id) is not None


def test_staff_cannot_change_listings(client, db, merchant, make_member, make_listing,
                                      api_token):
    listing = make_listing(merchant, publish=False)
    staff = bearer(api_token(make_member(merchant, role="staff")))
    assert client.get(f"/api/v1/listings/{listing.id}", headers=staff).status_code == 200
    before = count(db, Listing)
    assert_problem(client.post("/api/v1/listings", headers=staff, json=T_SHIRT), 403,
                   "permission_denied")
    # The role is checked before the body is read: no hints about what a listing needs.
    assert_problem(client.post("/api/v1/listings", headers=staff, json={}), 403,
                   "permission_denied")
    assert count(db, Listing) == before
    for method, url, body in [
        ("PATCH", f"/api/v1/listings/{listing.id}", {"title": "Khác"}),
        ("POST", f"/api/v1/listings/{listing.id}/transitions", {"event": "publish"}),
        ("POST", f"/api/v1/listings/{listing.id}/variants", {"sku": "S-1", "price": 1}),
        ("PATCH", f"/api/v1/listings/{listing.id}/variants/{listing.variants[0].id}",
         {"price": 1}),
        ("DELETE", f"/api/v1/listings/{listing.id}/variants/{listing.variants[0].id}", None),
    ]:
        assert_problem(client.open(url, method=method, headers=staff, json=body), 403,
                       "permission_denied")
    db.session.expire_all()
    assert listing.status == "draft" and listing.title != "Khác"
