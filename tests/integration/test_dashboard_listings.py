"""Dashboard listings: the table, new products/services/vouchers, a listing's page with its
status, variants and images, and who may change them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.catalog.models import Listing, ListingImage, Variant
from marketplace.errors import ValidationError
from marketplace.inventory import services as inventory
from marketplace.web.dashboard.listing_forms import major, parse_price


def png(size=(16, 16)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    out.seek(0)
    return out


def listing_count(db, merchant) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Listing)
                             .where(Listing.merchant_id == merchant.id))


def uploaded_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def shop(db, make_merchant, make_user):
    merchant = make_merchant(owner=make_user(locale="en"), name="Thời trang Sài Gòn")
    db.session.commit()
    return merchant


@pytest.fixture
def base(shop):
    return f"/dashboard/{shop.slug}/listings"


def product_form(**extra) -> dict:
    return {
        "kind": "product", "title": "Áo sơ mi linen", "description": "Vải linen mát",
        "tags": "linen, mùa hè", "currency": "VND",
        "variants[0].sku": "LIN-M-DEN", "variants[0].price": "150.000",
        "variants[0].compare_at_price": "200000", "variants[0].barcode": "8930000000011",
        "variants[0].option_name": ["size", "colour"], "variants[0].option_value": ["M", "Đen"],
        "variants[0].allow_negative_stock": "on",
        "variants[1].sku": "LIN-L-DEN", "variants[1].price": "170000",
        "variants[1].option_name": ["size", "colour"], "variants[1].option_value": ["L", "Đen"],
        # a third row left blank, as the form shows it without JavaScript
        "variants[2].sku": "", "variants[2].price": "", "variants[2].option_name": ["", ""],
        "variants[2].option_value": ["", ""],
    } | extra


# --- prices typed by people -------------------------------------------------------------------

@pytest.mark.parametrize("text, currency, minor", [
    ("150000", "VND", 150000), ("150.000", "VND", 150000), ("1,250,000", "VND", 1250000),
    (" 150 000 ", "VND", 150000), ("19.99", "USD", 1999), ("20", "USD", 2000),
])
def test_parse_price(text, currency, minor):
    assert parse_price(text, currency, "price") == minor
    assert parse_price(major(minor, currency), currency, "price") == minor


@pytest.mark.parametrize("text, currency", [
    ("150.5", "VND"), ("1.000,5", "VND"), ("1,000.000", "VND"), ("-1", "VND"), ("abc", "VND"),
    ("NaN", "VND"), ("19.999", "USD"), ("", "VND"),
])
def test_parse_price_refuses(text, currency):
    with pytest.raises(ValidationError) as caught:
        parse_price(text, currency, "variants[3].price")
    assert list(caught.value.fields) == ["variants[3].price"]


# --- the table ---------------------------------------------------------------------------------

def test_table_lists_and_filters_listings(as_owner, db, shop, base, make_listing):
    make_listing(shop, title="Áo thun cổ tròn")
    make_listing(shop, title="Cắt tóc nam", kind="service", duration_minutes=30, price=80000,
                 publish=False)
    db.session.commit()
    html = as_owner.get(base).get_data(as_text=True)
    assert "Áo thun cổ tròn" in html and "Cắt tóc nam" in html
    assert "₫150,000 – ₫170,000" in html  # the product's price range, in English
    drafts = as_owner.get(f"{base}?status=draft").get_data(as_text=True)
    assert "Cắt tóc nam" in drafts and "Áo thun cổ tròn" not in drafts
    services = as_owner.get(f"{base}?kind=service&status=").get_data(as_text=True)
    assert "Cắt tóc nam" in services and "Áo thun cổ tròn" not in services


def test_new_forms_render_for_each_kind(as_owner, base):
    product = as_owner.get(f"{base}/new?kind=product")
    assert product.status_code == 200
    html = product.get_data(as_text=True)
    assert 'name="variants[2].sku"' in html  # three blank rows without JavaScript
    assert "js/dashboard-listing.js" in html
    assert 'name="duration_minutes"' in as_owner.get(f"{base}/new?kind=service").get_data(
        as_text=True)
    assert 'name="voucher_kind"' in as_owner.get(f"{base}/new?kind=voucher").get_data(
        as_text=True)
    assert as_owner.get(f"{base}/new?kind=spaceship").status_code == 404


# --- creating ----------------------------------------------------------------------------------

def test_create_product_with_two_variants(as_owner, db, shop, base):
    response = as_owner.post(f"{base}/new?kind=product", data=product_form())
    assert response.status_code == 303
    listing = db.session.scalars(sa.select(Listing).where(
        Listing.merchant_id == shop.id, Listing.title == "Áo sơ mi linen")).one()
    assert response.headers["Location"].endswith(f"/listings/{listing.id}")
    assert listing.status == "draft" and listing.kind == "product"
    assert listing.currency == "VND" and listing.tags == ["linen", "mùa hè"]
    first, second = listing.variants
    assert (first.sku, first.price, first.compare_at_price) == ("LIN-M-DEN", 150000, 200000)
    assert first.options == {"size": "M", "colour": "Đen"}
    assert first.barcode == "8930000000011" and first.allow_negative_stock is True
    assert (second.sku, second.price, second.options) == ("LIN-L-DEN", 170000,
                                                          {"size": "L", "colour": "Đen"})
    assert second.allow_negative_stock is False
    page = as_owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "LIN-M-DEN" in page and "₫150,000" in page


def test_rows_after_a_blank_one_still_count(as_owner, db, shop, base):
    form = {"kind": "product", "title": "Quần short", "currency": "VND",
            "variants[0].sku": "", "variants[0].price": "",
            "variants[4].sku": "SHORT-1", "variants[4].price": "99000"}
    assert as_owner.post(f"{base}/new", data=form).status_code == 303
    listing = db.session.scalars(sa.select(Listing).where(Listing.title == "Quần short")).one()
    assert [v.sku for v in listing.variants] == ["SHORT-1"]


@pytest.mark.parametrize("form, status, field", [
    # a SKU another listing of the merchant already uses
    ({"variants[1].sku": "TAKEN-1"}, 409, "variants[1].sku"),
    # the same SKU twice in one form
    ({"variants[1].sku": "LIN-M-DEN"}, 409, "variants[1].sku"),
    ({"variants[0].price": "-5"}, 422, "variants[0].price"),
    ({"variants[0].price": "abc"}, 422, "variants[0].price"),
    ({"variants[1].price": "1.5"}, 422, "variants[1].price"),  # VND has no fractions
    ({"variants[0].compare_at_price": "100000"}, 422, "variants[0].compare_at_price"),
    ({"variants[0].option_value": ["M", ""]}, 422, "variants[0].options"),
    ({"title": ""}, 422, "title"),
    ({"currency": "XYZ"}, 422, "currency"),
])
def test_bad_product_input_creates_nothing(as_owner, db, shop, base, make_listing, form,
                                           status, field):
    make_listing(shop, variants=[{"sku": "TAKEN-1", "price": 1000}])
    db.session.commit()
    before = listing_count(db, shop)
    response = as_owner.post(f"{base}/new?kind=product", data=product_form(**form))
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f'id="f-{field}"' in html and 'aria-invalid="true"' in html
    assert 'value="Áo sơ mi linen"' in html or field == "title"  # what was typed stays
    assert listing_count(db, shop) == before
    assert db.session.scalars(sa.select(Variant).where(Variant.sku == "LIN-L-DEN")).first() \
        is None


def test_product_without_any_variant_is_refused(as_owner, db, shop, base):
    response = as_owner.post(f"{base}/new", data={"kind": "product", "title": "Trống"})
    assert response.status_code == 422
    assert listing_count(db, shop) == 0


def test_create_service_and_vouchers(as_owner, db, shop, base):
    response = as_owner.post(f"{base}/new?kind=service", data={
        "kind": "service", "title": "Gội đầu dưỡng sinh", "duration_minutes": "45",
        "price": "120.000", "currency": "VND", "sku": "SPA-45"})
    assert response.status_code == 303
    service = db.session.scalars(sa.select(Listing).where(Listing.kind == "service")).one()
    assert service.duration_minutes == 45
    assert [(v.sku, v.price) for v in service.variants] == [("SPA-45", 120000)]

    response = as_owner.post(f"{base}/new?kind=voucher", data={
        "kind": "voucher", "title": "Phiếu quà tặng 500k", "voucher_kind": "amount",
        "voucher_value": "500,000", "price": "450000", "valid_days": "90",
        "valid_from": "2026-01-01", "valid_until": "2026-12-31", "currency": "VND"})
    assert response.status_code == 303
    response = as_owner.post(f"{base}/new?kind=voucher", data={
        "kind": "voucher", "title": "Giảm 30% tại cửa hàng", "voucher_kind": "percent",
        "voucher_value": "30", "price": "0", "currency": "VND"})
    assert response.status_code == 303
    amount, percent = db.session.scalars(sa.select(Listing).where(
        Listing.kind == "voucher").order_by(Listing.id)).all()
    assert (amount.voucher_kind, amount.voucher_value, amount.valid_days) == ("amount", 500000,
                                                                              90)
    assert amount.variants[0].price == 450000 and str(amount.valid_until) == "2026-12-31"
    assert (percent.voucher_kind, percent.voucher_value) == ("percent", 30)


def test_bad_voucher_creates_nothing(as_owner, db, shop, base):
    for form in ({"voucher_kind": "percent", "voucher_value": "150"},
                 {"voucher_kind": "amount", "voucher_value": "-1"},
                 {"voucher_kind": "amount", "voucher_value": "100000",
                  "valid_from": "2026-05-01", "valid_until": "2026-04-01"}):
        response = as_owner.post(f"{base}/new?kind=voucher", data={
            "kind": "voucher", "title": "Phiếu lỗi", "price": "1000", "currency": "VND"} | form)
        assert response.status_code == 422, form
    assert listing_count(db, shop) == 0


# --- one listing -------------------------------------------------------------------------------

def test_edit_listing_fields(as_owner, db, shop, base, make_listing):
    listing = make_listing(shop, title="Cà phê sữa đá", kind="service", duration_minutes=15,
                           price=29000, publish=False)
    db.session.commit()
    page = as_owner.get(f"{base}/{listing.id}")
    assert page.status_code == 200 and 'value="29000"' in page.get_data(as_text=True)
    response = as_owner.post(f"{base}/{listing.id}", data={
        "title": "Cà phê muối", "description": "Đặc sản Huế", "tags": "cà phê, huế",
        "slug": "ca-phe-muoi", "duration_minutes": "20", "price": "35.000", "category": ""})
    assert response.status_code == 303
    db.session.refresh(listing)
    assert (listing.title, listing.slug, listing.duration_minutes) == ("Cà phê muối",
                                                                      "ca-phe-muoi", 20)
    assert listing.tags == ["cà phê", "huế"] and listing.variants[0].price == 35000


def test_edit_voucher_shows_and_keeps_major_units(as_owner, db, shop, base, make_listing):
    voucher = make_listing(shop, kind="voucher", title="Phiếu 200k", voucher_kind="amount",
                           voucher_value=200000, price=180000, valid_days=30, publish=False)
    db.session.commit()
    html = as_owner.get(f"{base}/{voucher.id}").get_data(as_text=True)
    assert 'value="200000"' in html and 'value="180000"' in html and 'value="30"' in html
    response = as_owner.post(f"{base}/{voucher.id}", data={
        "title": "Giảm 15%", "voucher_kind": "percent", "voucher_value": "15",
        "price": "0", "valid_days": "", "valid_from": "", "valid_until": ""})
    assert response.status_code == 303
    db.session.refresh(voucher)
    assert (voucher.voucher_kind, voucher.voucher_value, voucher.valid_days) == ("percent", 15,
                                                                                None)
    assert voucher.variants[0].price == 0


def test_bad_edit_changes_nothing(as_owner, db, shop, base, make_listing):
    listing = make_listing(shop, title="Áo khoác gió")
    db.session.commit()
    response = as_owner.post(f"{base}/{listing.id}", data={"title": "", "slug": "moi"})
    assert response.status_code == 422
    assert 'id="f-title"' in response.get_data(as_text=True)
    db.session.refresh(listing)
    assert listing.title == "Áo khoác gió" and listing.slug != "moi"


def test_publish_and_unpublish(as_owner, db, shop, base, make_listing):
    listing = make_listing(shop, publish=False)
    db.session.commit()
    url = f"{base}/{listing.id}/status"
    assert as_owner.post(url, data={"event": "publish"}).status_code == 303
    db.session.refresh(listing)
    assert listing.status == "published" and listing.published_at is not None
    page = as_owner.get(f"{base}/{listing.id}").get_data(as_text=True)
    assert f"/m/{shop.slug}/l/{listing.slug}" in page  # link to the public page
    assert as_owner.post(url, data={"event": "unpublish"}).status_code == 303
    db.session.refresh(listing)
    assert listing.status == "draft"
    # not allowed from draft: 409, nothing changes
    assert as_owner.post(url, data={"event": "restore"}).status_code == 409
    assert as_owner.post(url, data={}).status_code == 422
    db.session.refresh(listing)
    assert listing.status == "draft"


def test_add_edit_and_remove_variants(as_owner, db, shop, base, make_listing, make_store,
                                      owner):
    listing = make_listing(shop)
    store = make_store(shop)
    kept, sold = listing.variants
    inventory.adjust_stock(store=store, variant=sold, delta=5, reason="receipt",
                           actor_id=owner.user_id)
    db.session.commit()
    url = f"{base}/{listing.id}/variants"

    response = as_owner.post(url, data={"sku": "NEW-XL", "price": "190.000",
                                        "option_name": ["size"], "option_value": ["XL"]})
    assert response.status_code == 303
    added = db.session.scalars(sa.select(Variant).where(Variant.sku == "NEW-XL")).one()
    assert (added.listing_id, added.price, added.options) == (listing.id, 190000,
                                                               {"size": "XL"})

    response = as_owner.post(f"{url}/{kept.id}", data={
        "sku": kept.sku, "price": "155000", "compare_at_price": "180000",
        "option_name": ["size", "colour"], "option_value": ["M", "Trắng"], "is_active": "on"})
    assert response.status_code == 303
    db.session.refresh(kept)
    assert (kept.price, kept.compare_at_price) == (155000, 180000)
    assert kept.options == {"size": "M", "colour": "Trắng"} and kept.is_active

    # a bad edit is refused and changes nothing
    response = as_owner.post(f"{url}/{kept.id}", data={"sku": kept.sku, "price": "lots",
                                                        "is_active": "on"})
    assert response.status_code == 422
    db.session.refresh(kept)
    assert kept.price == 155000

    # no stock history: deleted; with history: deactivated
    assert as_owner.post(f"{url}/{added.id}/delete").status_code == 303
    assert db.session.get(Variant, added.id) is None
    assert as_owner.post(f"{url}/{sold.id}/delete").status_code == 303
    db.session.refresh(sold)
    assert sold.is_active is False


def test_variant_and_image_must_belong_to_the_listing(as_owner, db, shop, base, make_listing):
    listing = make_listing(shop)
    other = make_listing(shop)
    db.session.commit()
    foreign = other.variants[0]
    url = f"{base}/{listing.id}/variants/{foreign.id}"
    assert as_owner.post(url, data={"sku": "X", "price": "1"}).status_code == 404
    assert as_owner.post(f"{url}/delete").status_code == 404
    db.session.refresh(foreign)
    assert foreign.sku != "X" and db.session.get(Variant, foreign.id) is not None


def test_upload_and_remove_images(app, as_owner, db, shop, base, make_listing):
    listing = make_listing(shop)
    db.session.commit()
    url = f"{base}/{listing.id}/images"
    response = as_owner.post(url, data={"image": (png(), "ao.png"), "alt": "Mặt trước"},
                             content_type="multipart/form-data")
    assert response.status_code == 303
    image = db.session.scalars(sa.select(ListingImage).where(
        ListingImage.listing_id == listing.id)).one()
    stored = Path(app.config["UPLOAD_FOLDER"]) / image.path
    assert stored.is_file() and image.alt == "Mặt trước"
    page = as_owner.get(f"{base}/{listing.id}").get_data(as_text=True)
    assert f"/media/{image.path}" in page
    assert as_owner.post(f"{url}/{image.id}/delete").status_code == 303
    assert db.session.get(ListingImage, image.id) is None
    assert not stored.exists()


def test_non_image_upload_is_refused_and_stores_nothing(app, as_owner, db, shop, base,
                                                        make_listing):
    listing = make_listing(shop)
    db.session.commit()
    files_before = uploaded_files(app)
    response = as_owner.post(f"{base}/{listing.id}/images",
                             data={"image": (io.BytesIO(b"%PDF-1.4 not an image"), "x.png")},
                             content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'id="f-image"' in response.get_data(as_text=True)
    assert uploaded_files(app) == files_before
    assert db.session.scalars(sa.select(ListingImage).where(
        ListingImage.listing_id == listing.id)).first() is None
    # no file at all is refused too
    assert as_owner.post(f"{base}/{listing.id}/images", data={}).status_code == 422


# --- who may do what ---------------------------------------------------------------------------

def test_staff_can_look_but_not_change(client, db, shop, base, make_listing, make_member,
                                       login):
    listing = make_listing(shop, publish=False)
    staff = make_member(shop, role="staff")
    db.session.commit()
    login(staff.user)
    assert client.get(base).status_code == 200
    page = client.get(f"{base}/{listing.id}")
    assert page.status_code == 200
    assert "/status" not in page.get_data(as_text=True)  # no buttons they cannot use
    before = listing_count(db, shop)
    assert client.get(f"{base}/new").status_code == 403
    assert client.post(f"{base}/new?kind=product", data=product_form()).status_code == 403
    assert client.post(f"{base}/{listing.id}/status",
                       data={"event": "publish"}).status_code == 403
    assert client.post(f"{base}/{listing.id}", data={"title": "Đổi tên"}).status_code == 403
    assert listing_count(db, shop) == before
    db.session.refresh(listing)
    assert listing.status == "draft" and listing.title != "Đổi tên"


def test_manager_may_manage_listings(client, db, shop, base, make_member, login):
    manager = make_member(shop, role="manager")
    db.session.commit()
    login(manager.user)
    assert client.post(f"{base}/new?kind=product", data=product_form()).status_code == 303


def test_another_merchants_listing_is_404(as_owner, db, base, make_merchant, make_listing):
    theirs = make_listing(make_merchant())
    db.session.commit()
    assert as_owner.get(f"{base}/{theirs.id}").status_code == 404
    assert as_owner.post(f"{base}/{theirs.id}/status",
                         data={"event": "archive"}).status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == "published"
