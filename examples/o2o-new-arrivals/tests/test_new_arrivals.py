"""The plugin, tested with nothing but the marketplace's test kit (a pytest plugin)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from o2o_new_arrivals.models import NewArrival

from marketplace.catalog import services as catalog
from marketplace.database import utcnow
from marketplace.errors import ValidationError
from marketplace.outbox.services import drain
from marketplace.plugins import services as plugins


@pytest.fixture
def installed(db):
    plugins.change_platform_status("new_arrivals", "install")
    db.session.commit()


@pytest.fixture
def shop(installed, make_merchant, db):
    merchant = make_merchant(name="Giày Bước Nhanh")
    plugins.set_enabled(merchant, "new_arrivals", True)
    db.session.commit()
    drain()
    return merchant


def entries(db, merchant) -> list[int]:
    return list(db.session.scalars(sa.select(NewArrival.listing_id).where(
        NewArrival.merchant_id == merchant.id).order_by(NewArrival.id)))


def test_publishing_a_listing_records_it(shop, make_listing, db):
    listing = make_listing(shop, title="Giày chạy bộ Sài Gòn")
    draft = make_listing(shop, title="Bản nháp", publish=False)
    db.session.commit()
    drain()
    assert entries(db, shop) == [listing.id]
    assert draft.id not in entries(db, shop)


def test_merchants_without_the_plugin_get_nothing(installed, make_merchant, make_listing, db):
    other = make_merchant()
    make_listing(other)
    db.session.commit()
    drain()
    assert entries(db, other) == []


def test_the_strip_and_badge_show_for_that_shop_only(shop, installed, make_merchant,
                                                     make_listing, client, db):
    listing = make_listing(shop, title="Giày chạy bộ Sài Gòn")
    other = make_merchant()
    other_listing = make_listing(other, title="Dép tổ ong")
    db.session.commit()
    drain()
    page = client.get(f"/m/{shop.slug}").get_data(as_text=True)
    assert 'data-plugin="new_arrivals"' in page and "New this week" in page
    assert "Giày chạy bộ Sài Gòn" in page
    detail = client.get(f"/m/{shop.slug}/l/{listing.slug}").get_data(as_text=True)
    assert 'class="new-arrivals-badge">New<' in detail
    elsewhere = client.get(f"/m/{other.slug}").get_data(as_text=True)
    assert "new-arrivals" not in elsewhere
    assert "new-arrivals-badge" not in client.get(
        f"/m/{other.slug}/l/{other_listing.slug}").get_data(as_text=True)


def test_old_and_unpublished_listings_drop_out(shop, make_listing, client, db):
    old = make_listing(shop, title="Hàng cũ")
    gone = make_listing(shop, title="Ngừng bán")
    db.session.commit()
    drain()
    db.session.execute(sa.update(NewArrival).where(NewArrival.listing_id == old.id)
                       .values(published_at=utcnow() - timedelta(days=30)))
    catalog.change_status(gone, "unpublish")
    db.session.commit()
    page = client.get(f"/m/{shop.slug}").get_data(as_text=True)
    # 30 days old and unpublished: nothing new is left, so no (empty) strip at all.
    assert 'data-plugin="new_arrivals"' not in page and "Ngừng bán" not in page


def test_settings_are_validated_and_used(shop, make_listing, client, db):
    with pytest.raises(ValidationError) as caught:
        plugins.update_merchant_settings(shop, "new_arrivals", {"days": "90"})
    assert "days" in caught.value.fields
    plugins.update_merchant_settings(shop, "new_arrivals",
                                     {"heading": "Hàng mới về", "badge": "Mới", "days": "3"})
    make_listing(shop, title="Áo khoác gió")
    db.session.commit()
    drain()
    page = client.get(f"/m/{shop.slug}").get_data(as_text=True)
    assert "Hàng mới về" in page and "Áo khoác gió" in page


def test_enabling_back_fills_recent_listings(installed, make_merchant, make_listing, db):
    merchant = make_merchant()
    listing = make_listing(merchant)
    db.session.commit()
    drain()
    assert entries(db, merchant) == []
    plugins.set_enabled(merchant, "new_arrivals", True)
    db.session.commit()
    drain()
    assert entries(db, merchant) == [listing.id]


def test_the_lotus_theme_wraps_the_strip(shop, make_listing, client, db):
    from marketplace.theming.services import set_theme

    make_listing(shop, title="Giày chạy bộ Sài Gòn")
    set_theme(shop, "lotus")
    db.session.commit()
    drain()
    page = client.get(f"/m/{shop.slug}").get_data(as_text=True)
    assert 'class="lotus-ribbon">Giày Bước Nhanh<' in page
    assert "lotus.css" in page and "New this week" in page
