"""Campaign and voucher pages: the dashboard writes and starts a campaign and shows its
figures; the shop's page and the campaign's link let a consumer claim; the wallet shows the
QR code and the code; staff type the code and the bill at the counter."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.vouchers import claims
from marketplace.vouchers.models import Campaign, Voucher
from tests.support.vouchers import claimed, running_campaign


@pytest.fixture
def shop(selling_shop, owner_of):
    merchant, stores, listing = selling_shop()
    return {"merchant": merchant, "stores": stores, "listing": listing,
            "owner": owner_of(merchant).user}


def _live(shop, **changes):
    """A campaign running now (pages use the real clock)."""
    now = utcnow()
    campaign = running_campaign(shop["merchant"], shop["owner"], **{
        "starts_at": now - timedelta(hours=1), "ends_at": now + timedelta(days=2)} | changes)
    db.session.commit()
    return campaign


def test_the_dashboard_writes_starts_and_follows_a_campaign(client, shop, login):
    login(shop["owner"])
    base = f"/dashboard/{shop['merchant'].slug}/campaigns"
    assert "No campaigns yet." in client.get(base).get_data(as_text=True)
    form = client.get(f"{base}/new").get_data(as_text=True)
    starts = re.search(r'name="starts_at" type="datetime-local" value="([^"]+)"', form).group(1)
    ends = re.search(r'name="ends_at" type="datetime-local" value="([^"]+)"', form).group(1)
    first = shop["stores"][0]
    bad = client.post(f"{base}/new", data={
        "form": "full", "name": "", "discount_kind": "percent", "percent": "300",
        "currency": "VND", "starts_at": starts, "ends_at": ends, "channel": "both",
        "per_customer_limit": "1", "min_spend": "0"})
    assert bad.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0
    created = client.post(f"{base}/new", data={
        "form": "full", "name": "Giảm 30% cuối tuần", "description": "Chỉ tại cửa hàng",
        "discount_kind": "percent", "percent": "30", "max_discount": "50.000",
        "currency": "VND", "min_spend": "200.000", "starts_at": starts, "ends_at": ends,
        "channel": "in_store", "store_ids": [str(first.id)], "weekdays": ["5", "6"],
        "daily_start": "09:00", "daily_end": "21:00", "quota": "50",
        "per_customer_limit": "1"})
    assert created.status_code == 303, created.get_data(as_text=True)[:3000]
    campaign = db.session.scalars(sa.select(Campaign)).one()
    assert (campaign.state, campaign.percent, campaign.max_discount, campaign.min_spend,
            campaign.store_ids, campaign.weekdays, campaign.quota, campaign.channel) == \
        ("draft", 30, 50_000, 200_000, [first.id], [5, 6], 50, "in_store")
    assert campaign.starts_at.strftime("%H:%M") == (
        # typed in Asia/Ho_Chi_Minh (UTC+7), stored in UTC
        (utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
        .strftime("%H:%M"))
    draft = client.get(f"{base}/{campaign.id}").get_data(as_text=True)
    assert 'name="form" value="full"' in draft
    assert 'name="max_discount" type="text" value="50000"' in draft  # as a person types it
    edited = client.post(f"{base}/{campaign.id}", data={
        "form": "full", "name": "Giảm 40% cuối tuần", "discount_kind": "percent",
        "percent": "40", "min_spend": "200000", "starts_at": starts, "ends_at": ends,
        "channel": "in_store", "store_ids": [str(first.id)], "weekdays": ["5", "6"],
        "per_customer_limit": "1", "quota": "50"})
    assert edited.status_code == 303, edited.get_data(as_text=True)[:3000]
    db.session.refresh(campaign)
    assert (campaign.name, campaign.percent, campaign.max_discount, campaign.daily_start) == \
        ("Giảm 40% cuối tuần", 40, None, None)
    started = client.post(f"{base}/{campaign.id}/state", data={"event": "activate"})
    assert started.status_code == 303
    db.session.refresh(campaign)
    assert campaign.state == "active"
    page = client.get(f"{base}/{campaign.id}").get_data(as_text=True)
    assert f"/c/{campaign.token}" in page and "data-claimed>0 / 50" in page
    assert "its terms stay as customers claimed them" in page
    assert 'name="percent"' not in page
    fixed = client.post(f"{base}/{campaign.id}", data={"name": "", "quota": "60",
                                                       "per_customer_limit": "1"})
    assert fixed.status_code == 422
    renamed = client.post(f"{base}/{campaign.id}", data={
        "name": "Cuối tuần vàng", "description": "", "quota": "60", "per_customer_limit": "2"})
    assert renamed.status_code == 303
    db.session.refresh(campaign)
    assert (campaign.name, campaign.quota, campaign.per_customer_limit, campaign.percent) == \
        ("Cuối tuần vàng", 60, 2, 40)
    assert "Cuối tuần vàng" in client.get(base).get_data(as_text=True)
    client.post(f"{base}/{campaign.id}/state", data={"event": "end"})
    ended = client.get(f"{base}/{campaign.id}").get_data(as_text=True)
    assert 'id="edit"' not in ended and "data-state>Ended<" in ended


def test_staff_without_campaign_rights_and_strangers_are_kept_out(client, shop, login,
                                                                  make_member, make_merchant,
                                                                  owner_of):
    campaign = _live(shop)
    base = f"/dashboard/{shop['merchant'].slug}/campaigns"
    login(make_member(shop["merchant"], role="staff").user)
    assert client.get(base).status_code == 403
    assert client.post(f"{base}/{campaign.id}/state", data={"event": "end"}).status_code == 403
    other = make_merchant()
    login(owner_of(other).user)
    assert client.get(f"/dashboard/{other.slug}/campaigns/{campaign.id}").status_code == 404
    assert client.post(f"/dashboard/{other.slug}/campaigns/{campaign.id}/state",
                       data={"event": "end"}).status_code == 404
    db.session.refresh(campaign)
    assert campaign.state == "active"


def test_a_consumer_claims_on_the_shops_page_and_the_wallet_shows_the_code(client, shop,
                                                                            buyer, login):
    campaign = _live(shop)
    merchant_page = f"/m/{shop['merchant'].slug}"
    anonymous = client.get(merchant_page).get_data(as_text=True)
    assert campaign.name in anonymous and "Log in to claim" in anonymous
    login(buyer)
    page = client.get(merchant_page).get_data(as_text=True)
    assert f'action="/c/{campaign.token}/claim"' in page
    assert 'name="src" value="merchant_page"' in page
    claimed_ = client.post(f"/c/{campaign.token}/claim", data={"src": "merchant_page",
                                                               "back": "merchant"})
    assert claimed_.status_code == 303 and claimed_.headers["Location"].endswith("/vouchers")
    voucher = db.session.scalars(sa.select(Voucher)).one()
    assert (voucher.customer_id, voucher.source) == (buyer.id, "merchant_page")
    wallet = client.get("/vouchers").get_data(as_text=True)
    entry = claims.wallet_entry(voucher)
    assert entry["code"] in wallet and campaign.name in wallet
    qr = re.search(r"<div class=\"voucher-qr\" data-voucher-qr>(.*?)</div>", wallet, re.S)
    assert qr and qr.group(1).lstrip().startswith("<svg") and 'role="img"' in qr.group(1)
    image = client.get(f"/codes/{entry['code_id']}.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert "In your vouchers" in client.get(merchant_page).get_data(as_text=True)
    again = client.post(f"/c/{campaign.token}/claim", data={"src": "merchant_page",
                                                            "back": "merchant"},
                        follow_redirects=True)
    assert "as many of these vouchers as one person may claim" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Voucher)) == 1


def test_a_poster_link_records_its_store_and_a_draft_link_is_404(client, shop, buyer, login):
    campaign = _live(shop)
    store = shop["stores"][1]
    page = client.get(f"/c/{campaign.token}?src=poster&store={store.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Log in to claim the voucher" in html and "next=" in html
    login(buyer)
    html = client.get(f"/c/{campaign.token}?src=poster&store={store.id}").get_data(as_text=True)
    assert 'name="src" value="poster"' in html and f'name="store" value="{store.id}"' in html
    client.post(f"/c/{campaign.token}/claim", data={"src": "poster", "store": store.id})
    voucher = db.session.scalars(sa.select(Voucher)).one()
    assert (voucher.source, voucher.source_store_id) == ("poster", store.id)
    assert "You have claimed this voucher." in client.get(
        f"/c/{campaign.token}").get_data(as_text=True)
    from marketplace.orders.audit import Actor
    from marketplace.vouchers import services

    draft = services.create_campaign(shop["merchant"], {
        "name": "Nháp", "discount_kind": "amount", "amount": 10_000,
        "starts_at": utcnow(), "ends_at": utcnow() + timedelta(days=1)},
        actor=Actor.staff(shop["owner"]))
    db.session.commit()
    assert client.get(f"/c/{draft.token}").status_code == 404


def test_staff_see_the_discount_at_the_counter_then_redeem(client, shop, buyer, login,
                                                           make_member):
    campaign = _live(shop, min_spend=100_000)
    voucher, code = claimed(campaign, buyer, now=utcnow())
    db.session.commit()
    store = shop["stores"][0]
    login(make_member(shop["merchant"], role="staff").user)
    counter = f"/dashboard/{shop['merchant'].slug}/vouchers/counter"
    assert client.get(counter).status_code == 200
    short = client.post(counter, data={"store_id": store.id, "code": code,
                                       "amount": "50.000", "action": "check"})
    assert short.status_code == 422 and "₫100,000" in short.get_data(as_text=True)
    checked = client.post(counter, data={"store_id": store.id, "code": code.lower(),
                                         "amount": "200.000", "action": "check"})
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "Confirm and redeem" in html
    assert "data-discount>₫60,000<" in html and buyer.full_name in html
    nonce = re.search(r'name="nonce" value="([^"]+)"', html).group(1)
    done = client.post(counter, data={"store_id": store.id, "code": code.lower(),
                                      "amount": "200000", "nonce": nonce, "action": "redeem"})
    assert done.status_code == 200 and 'data-outcome="redeemed"' in done.get_data(as_text=True)
    db.session.refresh(voucher)
    assert (voucher.state, voucher.discount, voucher.bill_amount) == ("redeemed", 60_000,
                                                                      200_000)
    login(shop["owner"])
    page = client.get(f"/dashboard/{shop['merchant'].slug}/campaigns/{campaign.id}")
    assert "data-redeemed>1<" in page.get_data(as_text=True)
