"""Catalog: listings, variants and their rules, the publication states, images."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.catalog import services as catalog
from marketplace.catalog.models import Listing, ListingImage, Variant
from marketplace.catalog.states import TRANSITIONS, ListingEvent, ListingStatus
from marketplace.errors import Conflict, InvalidTransition, NotFound, ValidationError
from marketplace.inventory.services import adjust_stock


def product(**overrides) -> dict:
    return {"title": "Áo sơ mi linen", "kind": "product", "variants": [
        {"sku": "LIN-S", "price": 350000, "options": {"size": "S"}},
        {"sku": "LIN-M", "price": 350000, "options": {"size": "M"}},
    ]} | overrides


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def committed(db):
    """Commit the set-up (a savepoint in tests) so a failing call can be rolled back like a
    view does, and we can check that nothing changed."""

    def commit_and_count():
        db.session.commit()
        return count(db, Listing), count(db, Variant)

    return commit_and_count


def test_create_product_in_draft_with_variants(db, make_merchant):
    merchant = make_merchant()
    listing = catalog.create_listing(merchant, product(tags="Linen, mùa hè ,linen,  "))
    assert listing.status == ListingStatus.DRAFT
    assert listing.currency == "VND" and listing.slug == "ao-so-mi-linen"
    assert [(v.sku, v.price, v.position, v.label) for v in listing.variants] == [
        ("LIN-S", 350000, 0, "S"), ("LIN-M", 350000, 1, "M")]
    assert listing.tags == ["linen", "mùa hè"]
    assert listing.price_range == (350000, 350000)
    again = catalog.create_listing(merchant, product(variants=[{"sku": "X", "price": 1}]))
    assert again.slug == "ao-so-mi-linen-2"  # titles may repeat, addresses may not


def test_product_needs_variants(db, make_merchant, committed):
    merchant = make_merchant()
    before = committed()
    for variants in ([], None):
        with pytest.raises(ValidationError) as info:
            catalog.create_listing(merchant, product(variants=variants))
        assert "variants" in info.value.fields
        db.session.rollback()
    assert (count(db, Listing), count(db, Variant)) == before


def test_duplicate_sku_within_one_request(db, make_merchant, committed):
    merchant = make_merchant()
    before = committed()
    with pytest.raises(Conflict) as info:
        catalog.create_listing(merchant, product(variants=[{"sku": "A", "price": 1},
                                                           {"sku": "A", "price": 2}]))
    assert "variants[1].sku" in info.value.fields
    db.session.rollback()
    assert (count(db, Listing), count(db, Variant)) == before


def test_duplicate_sku_across_listings_but_not_across_merchants(db, make_merchant, committed):
    merchant, other = make_merchant(), make_merchant()
    catalog.create_listing(merchant, product())
    before = committed()
    with pytest.raises(Conflict) as info:
        catalog.create_listing(merchant, product(title="Khác", variants=[
            {"sku": "NEW", "price": 1}, {"sku": "LIN-M", "price": 1}]))
    assert "variants[1].sku" in info.value.fields
    db.session.rollback()
    assert (count(db, Listing), count(db, Variant)) == before
    listing = catalog.create_listing(merchant, product(title="Khác", variants=[
        {"sku": "NEW", "price": 1}]))
    with pytest.raises(Conflict):
        catalog.add_variant(listing, {"sku": "LIN-S", "price": 1})
    with pytest.raises(Conflict):
        catalog.update_variant(listing.variants[0], {"sku": "LIN-S"})
    assert catalog.create_listing(other, product()).variants[0].sku == "LIN-S"


@pytest.mark.parametrize(("variant", "field"), [
    ({"sku": "A", "price": -1}, "variants[0].price"),
    ({"sku": "A", "price": "abc"}, "variants[0].price"),
    ({"sku": "A", "price": 1.5}, "variants[0].price"),
    ({"sku": "A", "price": None}, "variants[0].price"),
    ({"sku": "A", "price": True}, "variants[0].price"),
    ({"sku": "A", "price": 10**20}, "variants[0].price"),  # would overflow the column
    ({"sku": "", "price": 1}, "variants[0].sku"),
    ({"sku": "A", "price": 100, "compare_at_price": 100}, "variants[0].compare_at_price"),
    ({"sku": "A", "price": 100, "compare_at_price": 90}, "variants[0].compare_at_price"),
    ({"sku": "A", "price": 100, "compare_at_price": -5}, "variants[0].compare_at_price"),
    ({"sku": "A", "price": 1, "options": {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}},
     "variants[0].options"),
    ({"sku": "A", "price": 1, "options": {"size": ""}}, "variants[0].options"),
])
def test_bad_variants_are_refused(db, make_merchant, variant, field):
    with pytest.raises(ValidationError) as info:
        catalog.create_listing(make_merchant(), product(variants=[variant]))
    assert field in info.value.fields


def test_compare_at_price_must_exceed_price_also_on_update(db, make_merchant):
    listing = catalog.create_listing(make_merchant(), product(variants=[
        {"sku": "A", "price": 100, "compare_at_price": 150}]))
    variant = listing.variants[0]
    with pytest.raises(ValidationError):
        catalog.update_variant(variant, {"price": 150})  # would equal the compare-at price
    db.session.refresh(variant)
    assert (variant.price, variant.compare_at_price) == (100, 150)
    catalog.update_variant(variant, {"price": 150, "compare_at_price": ""})
    assert (variant.price, variant.compare_at_price) == (150, None)


def test_unknown_currency_is_refused(db, make_merchant):
    with pytest.raises(ValidationError) as info:
        catalog.create_listing(make_merchant(), product(currency="XYZ"))
    assert "currency" in info.value.fields
    assert catalog.create_listing(make_merchant(), product(currency="usd")).currency == "USD"


def test_unknown_kind_and_category(db, make_merchant):
    merchant = make_merchant()
    with pytest.raises(ValidationError) as kind:
        catalog.create_listing(merchant, product(kind="bundle"))
    assert "kind" in kind.value.fields
    with pytest.raises(ValidationError) as category:
        catalog.create_listing(merchant, product(category="no-such-category"))
    assert "category" in category.value.fields
    seeded = catalog.categories()[0]
    assert catalog.create_listing(merchant, product(category=seeded.slug)).category_id == \
        seeded.id


def test_service_needs_a_duration(db, make_merchant):
    merchant = make_merchant()
    service = {"title": "Cắt tóc nam", "kind": "service", "price": 120000}
    for duration in (None, "", 4, 24 * 60 + 1, "abc"):
        with pytest.raises(ValidationError) as info:
            catalog.create_listing(merchant, service | {"duration_minutes": duration})
        assert "duration_minutes" in info.value.fields
    listing = catalog.create_listing(merchant, service | {"duration_minutes": "45"})
    assert listing.duration_minutes == 45
    assert [(v.price, v.sku) for v in listing.variants] == [(120000, "cat-toc-nam-ser")]
    catalog.update_listing(listing, {"price": 150000})
    assert listing.variants[0].price == 150000


@pytest.mark.parametrize("value", [0, 101, -5, "abc", None])
def test_percent_voucher_value_is_1_to_100(db, make_merchant, value):
    with pytest.raises(ValidationError) as info:
        catalog.create_listing(make_merchant(), {"title": "Giảm giá", "kind": "voucher",
                                                 "voucher_kind": "percent",
                                                 "voucher_value": value, "price": 0})
    assert "voucher_value" in info.value.fields


@pytest.mark.parametrize("value", [1, 30, 100])
def test_percent_voucher_accepts_1_to_100(db, make_merchant, value):
    listing = catalog.create_listing(make_merchant(), {
        "title": "Giảm giá", "kind": "voucher", "voucher_kind": "percent",
        "voucher_value": value, "price": 0})
    assert (listing.voucher_kind, listing.voucher_value) == ("percent", value)


def test_voucher_rules(db, make_merchant):
    merchant = make_merchant()
    base = {"title": "Phiếu quà tặng", "kind": "voucher", "price": 90000}
    with pytest.raises(ValidationError) as kind:
        catalog.create_listing(merchant, base | {"voucher_value": 100000})
    assert "voucher_kind" in kind.value.fields
    with pytest.raises(ValidationError) as zero:
        catalog.create_listing(merchant, base | {"voucher_kind": "amount", "voucher_value": 0})
    assert "voucher_value" in zero.value.fields
    with pytest.raises(ValidationError) as dates:
        catalog.create_listing(merchant, base | {"voucher_kind": "amount",
                                                 "voucher_value": 100000,
                                                 "valid_from": "2027-02-01",
                                                 "valid_until": "2027-01-31"})
    assert "valid_until" in dates.value.fields
    listing = catalog.create_listing(merchant, base | {"voucher_kind": "amount",
                                                       "voucher_value": 100000,
                                                       "valid_days": "30"})
    assert (listing.voucher_value, listing.valid_days) == (100000, 30)


# --- publication -------------------------------------------------------------------------------

@pytest.mark.parametrize("status", list(ListingStatus))
@pytest.mark.parametrize("event", list(ListingEvent))
def test_transitions_follow_the_table(db, make_merchant, status, event):
    listing = catalog.create_listing(make_merchant(), product())
    listing.status = status
    db.session.flush()
    target = TRANSITIONS.get((status, event))
    if target is None:
        with pytest.raises(InvalidTransition):
            catalog.change_status(listing, event)
        assert listing.status == status
    else:
        assert catalog.change_status(listing, event).status == target
        assert (listing.published_at is not None) == (target == ListingStatus.PUBLISHED)


def test_publish_requires_an_active_variant(db, make_merchant):
    listing = catalog.create_listing(make_merchant(), product())
    for variant in listing.variants:
        catalog.update_variant(variant, {"is_active": False})
    with pytest.raises(ValidationError) as info:
        catalog.change_status(listing, "publish")
    assert "variants" in info.value.fields
    assert listing.status == ListingStatus.DRAFT
    catalog.update_variant(listing.variants[1], {"is_active": True})
    assert catalog.change_status(listing, "publish").status == ListingStatus.PUBLISHED


def test_unknown_event(db, make_merchant):
    listing = catalog.create_listing(make_merchant(), product())
    with pytest.raises(ValidationError):
        catalog.change_status(listing, "explode")


def test_remove_variant_deletes_without_history_and_deactivates_with_history(
        db, make_merchant, make_store):
    merchant = make_merchant()
    store = make_store(merchant)
    listing = catalog.create_listing(merchant, product(variants=[
        {"sku": "A", "price": 1}, {"sku": "B", "price": 1}, {"sku": "C", "price": 1}]))
    a, b, c = listing.variants
    adjust_stock(store=store, variant=b, delta=3, reason="receipt", actor_id=None)
    assert catalog.remove_variant(a) is True
    assert db.session.get(Variant, a.id) is None
    assert catalog.remove_variant(b) is False
    assert db.session.get(Variant, b.id) is b and not b.is_active
    assert [v.sku for v in listing.variants] == ["B", "C"]
    catalog.change_status(listing, "publish")
    with pytest.raises(Conflict):  # the last active variant of a published listing stays
        catalog.remove_variant(c)
    assert c.is_active and db.session.get(Variant, c.id) is c


def test_add_variant_only_to_products(db, make_merchant):
    merchant = make_merchant()
    listing = catalog.create_listing(merchant, product())
    variant = catalog.add_variant(listing, {"sku": "LIN-L", "price": 360000,
                                            "options": {"size": "L"}})
    assert variant.position == 2 and variant.merchant_id == merchant.id
    service = catalog.create_listing(merchant, {"title": "Gội đầu", "kind": "service",
                                                "price": 50000, "duration_minutes": 30})
    with pytest.raises(ValidationError):
        catalog.add_variant(service, {"sku": "X", "price": 1})


def test_scoped_getters(db, make_merchant, make_listing):
    a, b = make_merchant(), make_merchant()
    listing = make_listing(b)
    with pytest.raises(NotFound):
        catalog.get_listing(a.id, listing.id)
    with pytest.raises(NotFound):
        catalog.get_variant(a.id, listing.variants[0].id)
    assert catalog.get_listing(b.id, listing.id) is listing


# --- images ------------------------------------------------------------------------------------

def image_bytes(fmt: str, size=(64, 48), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt, **save)
    return out.getvalue()


def noise_png(side: int) -> bytes:
    import os

    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="PNG")
    return out.getvalue()


def uploaded_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"]) / "listings"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(("fmt", "content_type"), [("PNG", "image/png"),
                                                    ("JPEG", "image/jpeg")])
def test_png_and_jpeg_are_accepted(app, db, make_merchant, fmt, content_type):
    listing = catalog.create_listing(make_merchant(), product())
    image = catalog.add_image(listing, io.BytesIO(image_bytes(fmt)), alt=" Mặt trước ")
    assert (image.content_type, image.width, image.height, image.alt, image.position) == \
        (content_type, 64, 48, "Mặt trước", 0)
    stored = Path(app.config["UPLOAD_FOLDER"]) / image.path
    assert stored.is_file() and stored.stat().st_size == image.size_bytes
    with Image.open(stored) as reopened:
        assert reopened.format == fmt
    assert catalog.get_image(listing.merchant_id, image.id) is image
    assert catalog.remove_image(image) == image.path
    assert db.session.get(ListingImage, image.id) is None


@pytest.mark.parametrize("payload", [
    b"just some text, not an image\n",
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script></svg>',
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a PNG signature and garbage
    b"",
])
def test_non_images_are_refused(app, db, make_merchant, payload):
    listing = catalog.create_listing(make_merchant(), product())
    before = uploaded_files(app)
    with pytest.raises(ValidationError) as info:
        catalog.add_image(listing, io.BytesIO(payload))
    assert "image" in info.value.fields
    assert listing.images == [] and uploaded_files(app) == before


def test_gif_is_refused(app, db, make_merchant):
    listing = catalog.create_listing(make_merchant(), product())
    with pytest.raises(ValidationError):
        catalog.add_image(listing, io.BytesIO(image_bytes("GIF")))


def test_oversized_images_are_refused(app, db, make_merchant, monkeypatch):
    listing = catalog.create_listing(make_merchant(), product())
    data = noise_png(64)
    monkeypatch.setitem(app.config, "IMAGE_MAX_BYTES", len(data) - 1)
    before = uploaded_files(app)
    with pytest.raises(ValidationError) as too_big:
        catalog.add_image(listing, io.BytesIO(data))
    assert "image" in too_big.value.fields
    monkeypatch.setitem(app.config, "IMAGE_MAX_BYTES", len(data))
    monkeypatch.setitem(app.config, "IMAGE_MAX_PIXELS", 64 * 64 - 1)
    with pytest.raises(ValidationError):
        catalog.add_image(listing, io.BytesIO(data))
    assert uploaded_files(app) == before
    monkeypatch.setitem(app.config, "IMAGE_MAX_PIXELS", 64 * 64)
    assert catalog.add_image(listing, io.BytesIO(data)).width == 64


def test_exif_is_stripped_and_the_photo_kept_upright(app, db, make_merchant):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"          # Make
    exif[0x010E] = "GPS 10.77N 106.70E"  # ImageDescription
    exif[0x0112] = 6                     # Orientation: rotate 90° to display
    data = image_bytes("JPEG", size=(80, 40), exif=exif.tobytes())
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif()[0x010F] == "PhoneMaker"
    listing = catalog.create_listing(make_merchant(), product())
    image = catalog.add_image(listing, io.BytesIO(data))
    stored = (Path(app.config["UPLOAD_FOLDER"]) / image.path).read_bytes()
    with Image.open(io.BytesIO(stored)) as kept:
        assert dict(kept.getexif()) == {}
        assert kept.size == (40, 80)
    assert b"PhoneMaker" not in stored and b"GPS 10.77N" not in stored
    assert (image.width, image.height) == (40, 80)


def test_comments_and_text_chunks_are_stripped(app, db, make_merchant):
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Location", "Nhà riêng, 12 Lý Tự Trọng")
    samples = [image_bytes("JPEG", comment=b"Nha rieng 12 Ly Tu Trong"),
               image_bytes("PNG", pnginfo=text)]
    listing = catalog.create_listing(make_merchant(), product())
    for data in samples:
        assert b"Ly Tu Trong" in data or "Lý Tự Trọng".encode() in data
        image = catalog.add_image(listing, io.BytesIO(data))
        stored = (Path(app.config["UPLOAD_FOLDER"]) / image.path).read_bytes()
        assert b"Ly Tu Trong" not in stored and "Lý Tự Trọng".encode() not in stored
        assert b"Location" not in stored


def test_at_most_twelve_images(app, db, make_merchant):
    listing = catalog.create_listing(make_merchant(), product())
    data = image_bytes("PNG", size=(4, 4))
    for _ in range(catalog.MAX_IMAGES):
        catalog.add_image(listing, io.BytesIO(data))
    with pytest.raises(ValidationError):
        catalog.add_image(listing, io.BytesIO(data))
    assert len(listing.images) == catalog.MAX_IMAGES
