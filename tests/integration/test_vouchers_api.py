"""Campaigns and vouchers through the REST API: the merchant's side (with roles and another
merchant's ids), the consumer's claim and wallet, the public catalog, and the counter (the
discount before redeeming, then the redemption with the bill)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace.accounts import services as accounts
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.vouchers import claims
from tests.support.shopping import slot_at
from tests.support.vouchers import claimed, running_campaign


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def shop(selling_shop, owner_of, api_token):
    merchant, stores, listing = selling_shop()
    owner = owner_of(merchant)
    return {"merchant": merchant, "stores": stores, "listing": listing, "owner": owner.user,
            "headers": bearer(api_token(owner))}


@pytest.fixture
def consumer(buyer):
    _token, plaintext = accounts.create_token(user=buyer, merchant_id=None, name="app")
    return bearer(plaintext)


def _new(client, shop, **changes):
    now = utcnow()
    body = {"name": "Giảm 30% tại cửa hàng", "discount_kind": "percent", "percent": 30,
            "max_discount": 50_000, "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(days=3)).isoformat(), "channel": "in_store",
            "quota": 2, "weekdays": [], "store_ids": [shop["stores"][0].id]} | changes
    return client.post("/api/v1/campaigns", json=body, headers=shop["headers"])


def test_the_merchant_writes_starts_and_reads_a_campaign(client, shop, consumer):
    created = _new(client, shop)
    assert created.status_code == 201, created.json
    campaign = created.json
    assert (campaign["state"], campaign["events"], campaign["claimed_count"]) == \
        ("draft", ["activate", "end"], 0)
    assert campaign["link"].endswith(f"/c/{campaign['link'].rsplit('/', 1)[1]}")
    url = f"/api/v1/campaigns/{campaign['id']}"
    started = client.post(f"{url}/transitions", json={"event": "activate"},
                          headers=shop["headers"])
    assert started.json["state"] == "active"
    token = campaign["link"].rsplit("/", 1)[1]
    claim = client.post("/api/v1/consumer/vouchers", json={
        "campaign": token, "source": "poster", "store_id": shop["stores"][1].id},
        headers=consumer)
    assert claim.status_code == 201, claim.json
    assert claim.json["state"] == "available" and claim.json["qr"].startswith("Q1")
    shown = client.get(url, headers=shop["headers"]).json
    assert shown["claimed_count"] == 1 and shown["figures"]["available"] == 1
    vouchers = client.get(f"{url}/vouchers", headers=shop["headers"]).json
    assert [(v["source"], v["source_store_id"]) for v in vouchers["items"]] == \
        [("poster", shop["stores"][1].id)]
    fixed = client.patch(url, json={"percent": 50}, headers=shop["headers"])
    assert fixed.status_code == 422 and "percent" in fixed.json["errors"]
    renamed = client.patch(url, json={"name": "Giảm 30% — tuần này"}, headers=shop["headers"])
    assert renamed.json["name"] == "Giảm 30% — tuần này"
    listed = client.get("/api/v1/campaigns?state=active", headers=shop["headers"]).json
    assert [c["id"] for c in listed["items"]] == [campaign["id"]]


def test_bad_input_is_a_422_naming_the_fields(client, shop):
    schema = _new(client, shop, quota=0)
    assert schema.status_code == 422 and set(schema.json["errors"]) == {"quota"}
    refused = _new(client, shop, percent=None, daily_start="19:00", daily_end="08:00",
                   ends_at=(utcnow() - timedelta(days=2)).isoformat())
    assert refused.status_code == 422
    assert set(refused.json["errors"]) == {"percent", "daily_end", "ends_at"}
    assert client.get("/api/v1/campaigns", headers=shop["headers"]).json["items"] == []


def test_staff_cannot_manage_campaigns_and_another_merchant_sees_nothing(
        client, shop, make_member, make_merchant, owner_of, api_token):
    campaign = _new(client, shop).json
    staff = bearer(api_token(make_member(shop["merchant"], role="staff")))
    assert client.get("/api/v1/campaigns", headers=staff).status_code == 403
    assert client.post(f"/api/v1/campaigns/{campaign['id']}/transitions",
                       json={"event": "activate"}, headers=staff).status_code == 403
    other = bearer(api_token(owner_of(make_merchant())))
    assert client.get("/api/v1/campaigns", headers=other).json["items"] == []
    for method, path, body in (
            ("GET", "", None), ("PATCH", "", {"name": "x"}),
            ("POST", "/transitions", {"event": "activate"}), ("GET", "/vouchers", None)):
        response = client.open(f"/api/v1/campaigns/{campaign['id']}{path}", method=method,
                               json=body, headers=other)
        assert response.status_code == 404, (method, path)
    assert client.get(f"/api/v1/campaigns/{campaign['id']}",
                      headers=shop["headers"]).json["state"] == "draft"


def test_the_consumer_claims_within_the_limits_and_sees_the_wallet(client, shop, consumer,
                                                                    make_user):
    campaign = running_campaign(shop["merchant"], shop["owner"], quota=1,
                                ends_at=utcnow() + timedelta(days=1),
                                starts_at=utcnow() - timedelta(days=1))
    db.session.commit()
    first = client.post("/api/v1/consumer/vouchers", json={"campaign": campaign.token},
                        headers=consumer)
    assert first.status_code == 201
    again = client.post("/api/v1/consumer/vouchers", json={"campaign": campaign.token},
                        headers=consumer)
    assert (again.status_code, again.json["code"]) == (409, "claim_limit_reached")
    _t, other = accounts.create_token(user=make_user(), merchant_id=None, name="app")
    gone = client.post("/api/v1/consumer/vouchers", json={"campaign": campaign.token},
                       headers=bearer(other))
    assert (gone.status_code, gone.json["code"]) == (409, "quota_exhausted")
    unknown = client.post("/api/v1/consumer/vouchers", json={"campaign": "nope"},
                          headers=consumer)
    assert unknown.status_code == 404
    wallet = client.get("/api/v1/consumer/vouchers", headers=consumer).json
    [entry] = wallet
    assert (entry["campaign"]["name"], entry["state"]) == (campaign.name, "available")
    assert entry["code"] and len(entry["code"]) == 11 and entry["code"][5] == "-"
    assert entry["campaign"]["merchant"]["slug"] == shop["merchant"].slug
    assert "30% off" in entry["campaign"]["summary"]
    assert client.get("/api/v1/consumer/vouchers").status_code == 401


def test_a_paused_campaign_is_a_422_and_the_catalog_shows_open_ones(client, shop, consumer):
    now = utcnow()
    campaign = running_campaign(shop["merchant"], shop["owner"],
                                starts_at=now - timedelta(days=1),
                                ends_at=now + timedelta(days=1))
    db.session.commit()
    public = client.get(f"/api/v1/catalog/merchants/{shop['merchant'].slug}/campaigns").json
    assert [(c["token"], c["claimable"]) for c in public] == [(campaign.token, True)]
    client.post(f"/api/v1/campaigns/{campaign.id}/transitions", json={"event": "pause"},
                headers=shop["headers"])
    paused = client.post("/api/v1/consumer/vouchers", json={"campaign": campaign.token},
                         headers=consumer)
    assert (paused.status_code, paused.json["code"]) == (422, "campaign_not_claimable")
    one = client.get(f"/api/v1/catalog/campaigns/{campaign.token}").json
    assert (one["claimable"], one["problem"]) == (False, "This campaign is not open for claims.")
    assert client.get(f"/api/v1/catalog/merchants/{shop['merchant'].slug}/campaigns").json == []


def test_at_the_counter_the_discount_is_shown_then_redeemed(client, shop, buyer):
    now = utcnow()
    store = shop["stores"][0]
    campaign = running_campaign(shop["merchant"], shop["owner"], percent=30,
                                max_discount=50_000, starts_at=now - timedelta(days=1),
                                ends_at=now + timedelta(days=1))
    voucher, code = claimed(campaign, buyer, now=now)
    db.session.commit()
    quote = client.post("/api/v1/vouchers/quote", json={
        "code": code, "store_id": store.id, "amount": 120_000}, headers=shop["headers"])
    assert quote.status_code == 200, quote.json
    assert (quote.json["discount"], quote.json["to_pay"]) == (36_000, 84_000)
    missing = client.post("/api/v1/redemptions", json={
        "code": claims.code_of(voucher).payload, "store_id": store.id, "nonce": "scan-0001"},
        headers=shop["headers"])
    assert (missing.status_code, missing.json["outcome"]) == (422, "refused")
    redeemed = client.post("/api/v1/redemptions", json={
        "code": claims.code_of(voucher).payload, "store_id": store.id, "nonce": "scan-0002",
        "details": {"amount": 400_000}}, headers=shop["headers"])
    assert redeemed.status_code == 200, redeemed.json
    assert redeemed.json["code"]["kind"] == "voucher"
    assert redeemed.json["result"]["voucher_id"] == voucher.id
    assert (redeemed.json["result"]["discount"], redeemed.json["result"]["to_pay"]) == \
        (50_000, 350_000)
    used = client.post("/api/v1/vouchers/quote", json={
        "code": code, "store_id": store.id, "amount": 120_000}, headers=shop["headers"])
    assert used.status_code == 422
    assert used.json["errors"]["code"] == ["This voucher was already used."]


def test_the_wallet_code_checks_out_through_the_api(client, shop, buyer, consumer):
    now = utcnow()
    store = shop["stores"][0]
    campaign = running_campaign(shop["merchant"], shop["owner"], channel="online",
                                starts_at=now - timedelta(days=1),
                                ends_at=now + timedelta(days=30))
    claimed(campaign, buyer, now=now)
    db.session.commit()
    [entry] = client.get("/api/v1/consumer/vouchers", headers=consumer).json
    client.post("/api/v1/consumer/cart/lines", headers=consumer,
                json={"variant_id": shop["listing"].variants[0].id, "quantity": 2})
    cart = client.get("/api/v1/consumer/cart", headers=consumer).json
    day = slot_at(store, now=now).start.astimezone(ZoneInfo(store.timezone)).date()
    free = client.get(f"/api/v1/catalog/stores/{store.id}/pickup-slots?date={day}").json
    choice = {"merchant_id": shop["merchant"].id, "fulfilment": "pickup",
              "store_id": store.id, "slot_start": free[-1]["start"],
              "payment_provider": "pay_at_store"}
    wrong = client.post("/api/v1/consumer/checkout", headers=consumer, json={
        "cart_version": cart["version"], "orders": [choice | {"voucher_code": "ABCDE-FGHJK"}]})
    assert wrong.status_code == 422
    assert wrong.json["errors"] == {
        "orders[0].voucher_code": ["This voucher is not in your wallet for this shop."]}
    placed = client.post("/api/v1/consumer/checkout", headers=consumer, json={
        "cart_version": cart["version"], "orders": [choice | {"voucher_code": entry["code"]}]})
    assert placed.status_code == 201, placed.json
    assert placed.json["total"] == 210_000
    [after] = client.get("/api/v1/consumer/vouchers", headers=consumer).json
    assert after["state"] == "applied" and after["order_number"] == \
        placed.json["orders"][0]["number"]
