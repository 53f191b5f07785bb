"""QR posters: made for a store or a listing, printed at 300 dpi (PNG and PDF) with a QR code
zbar reads back to the short link, and every scan counted (scans and distinct visitors)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from marketplace.extensions import db
from marketplace.posters import services as posters
from marketplace.posters.models import PosterScan
from tests.support.zbar import decode_qr


@pytest.fixture
def shop(make_merchant, make_store, make_listing, owner_of, db):
    merchant = make_merchant()
    store = make_store(merchant)
    listing = make_listing(merchant)
    db.session.commit()
    return merchant, store, listing, owner_of(merchant).user


def test_a_listing_poster_prints_and_its_scans_are_counted(client, shop, login):
    merchant, store, listing, owner = shop
    login(owner)
    base = f"/dashboard/{merchant.slug}/posters"
    made = client.post(base, data={"target": f"listing:{listing.id}", "store_id": store.id,
                                   "headline": "Giảm 30% cuối tuần — chỉ tại cửa hàng"})
    assert made.status_code == 303, made.get_data(as_text=True)
    (poster,) = posters.listing(merchant.id)
    assert (poster.target, poster.target_id, poster.store_id) == ("listing", listing.id,
                                                                  store.id)
    png = client.get(f"{base}/{poster.id}.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    image = Image.open(io.BytesIO(png.data))
    assert image.size == (1748, 2480) and round(image.info["dpi"][0]) == 300
    link = decode_qr(png.data)
    assert link.endswith(f"/p/{poster.token}")
    pdf = client.get(f"{base}/{poster.id}.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")

    client.get("/logout")
    phone = client.application.test_client()
    first = phone.get(f"/p/{poster.token}")
    assert first.status_code == 303
    assert f"/m/{merchant.slug}/l/{listing.slug}" in first.location
    assert "src=poster" in first.location and f"store={store.id}" in first.location
    phone.get(f"/p/{poster.token}")  # the same phone again: a scan, not a new visitor
    client.application.test_client().get(f"/p/{poster.token}")  # another phone
    assert posters.scan_counts(merchant.id) == {poster.id: (3, 2)}
    login(owner)
    page = client.get(base).get_data(as_text=True)
    assert "Giảm 30% cuối tuần" in page


def test_bad_posters_change_nothing(client, shop, login, make_merchant, make_store,
                                    make_listing):
    merchant, store, listing, owner = shop
    other = make_merchant()
    foreign_store, foreign_listing = make_store(other), make_listing(other)
    draft = make_listing(merchant, publish=False)
    db.session.commit()
    login(owner)
    base = f"/dashboard/{merchant.slug}/posters"
    for data in ({"target": f"listing:{foreign_listing.id}", "store_id": store.id},
                 {"target": f"listing:{listing.id}", "store_id": foreign_store.id},
                 {"target": f"listing:{draft.id}", "store_id": store.id},
                 {"target": "menu:1", "store_id": store.id},
                 {"target": f"store:{store.id}", "store_id": store.id, "headline": "x" * 81}):
        answer = client.post(base, data=data)
        assert answer.status_code == 422, data
    assert posters.listing(merchant.id) == []


def test_an_unknown_or_dead_poster_link_is_404_and_not_counted(client, shop):
    merchant, store, listing, _owner = shop
    poster = posters.create_poster(merchant, {"target": "listing", "target_id": listing.id,
                                              "store_id": store.id})
    db.session.commit()
    assert client.get("/p/nope").status_code == 404
    from marketplace.catalog.services import change_status

    change_status(listing, "unpublish")
    db.session.commit()
    assert client.get(f"/p/{poster.token}").status_code == 404
    assert db.session.query(PosterScan).count() == 0


def test_a_member_without_campaign_rights_cannot_make_posters(client, shop, make_member,
                                                              login):
    merchant, store, listing, _owner = shop
    staff = make_member(merchant, role="staff")
    db.session.commit()
    login(staff.user)
    assert client.get(f"/dashboard/{merchant.slug}/posters").status_code == 403


def test_a_campaigns_funnel_per_store_from_poster_scans_to_the_counter(
        client, shop, make_store, make_user, login, api_token, owner_of):
    from tests.support.vouchers import claimed, running_campaign, typed_at_counter

    merchant, window, listing, owner = shop
    counter = make_store(merchant, name="Quầy Nguyễn Huệ")
    campaign = running_campaign(merchant, owner)
    at_window = posters.create_poster(merchant, {"target": "campaign",
                                                 "target_id": campaign.id,
                                                 "store_id": window.id})
    at_counter = posters.create_poster(merchant, {"target": "campaign",
                                                  "target_id": campaign.id,
                                                  "store_id": counter.id})
    db.session.commit()
    phone = client.application.test_client()
    went = phone.get(f"/p/{at_window.token}")
    assert f"/c/{campaign.token}" in went.location and f"store={window.id}" in went.location
    phone.get(f"/p/{at_window.token}")
    client.application.test_client().get(f"/p/{at_counter.token}")
    first, code = claimed(campaign, make_user(), source="poster", store_id=window.id)
    claimed(campaign, make_user(), source="poster", store_id=counter.id)
    claimed(campaign, make_user(), source="link")
    assert typed_at_counter(merchant, counter, owner, code, 500000).outcome == "redeemed"
    db.session.commit()

    token = api_token(owner_of(merchant))
    db.session.commit()
    answer = client.get(f"/api/v1/campaigns/{campaign.id}/funnel",
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_json()
    rows = {row["store_name"]: (row["scans"], row["visitors"], row["claims"], row["redeemed"])
            for row in answer.json["stores"]}
    assert rows == {window.name: (2, 1, 1, 0), counter.name: (1, 1, 1, 1),
                    None: (0, 0, 1, 0)}
    assert answer.json["total"] == {"scans": 3, "visitors": 2, "claims": 3, "redeemed": 1}
    login(owner)
    page = client.get(f"/dashboard/{merchant.slug}/campaigns/{campaign.id}")
    funnel = page.get_data(as_text=True)
    funnel = funnel[funnel.index('id="funnel"'):funnel.index('id="link"')]
    assert f'data-funnel-store="{counter.id}"' in funnel and "data-funnel-total" in funnel
