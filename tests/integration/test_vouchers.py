"""Campaigns and vouchers through the services: each discount kind, minimum spend, hours in
the store's time zone, channel, stores, per-customer limit, quota, the campaign's states, and
bad input that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from marketplace.errors import InvalidTransition, ValidationError
from marketplace.extensions import db
from marketplace.orders.audit import Actor
from marketplace.orders.models import AuditEntry
from marketplace.redemption import services as redemption
from marketplace.redemption.models import RedeemableCode
from marketplace.vouchers import claims, discounts, services, usage
from marketplace.vouchers.models import Campaign, Voucher
from tests.support.shopping import NOW
from tests.support.vouchers import campaign_data, claimed, running_campaign, typed_at_counter

pytestmark = pytest.mark.usefixtures("english")

# Saturday 18:30 in Ho Chi Minh City (UTC+7).
SATURDAY_EVENING = datetime(2026, 12, 5, 11, 30, tzinfo=UTC)


@pytest.fixture
def shop(selling_shop, owner_of):
    merchant, stores, listing = selling_shop()
    return {"merchant": merchant, "stores": stores, "listing": listing,
            "owner": owner_of(merchant).user}


def _running(shop, **changes):
    return running_campaign(shop["merchant"], shop["owner"], **changes)


def _redeem(shop, code, amount, *, store=None, now=NOW, nonce="counter-0001"):
    return typed_at_counter(shop["merchant"], store or shop["stores"][0], shop["owner"], code,
                            amount, now=now, nonce=nonce)


# --- the discount ------------------------------------------------------------------------------

def test_percent_off_a_bill_is_rounded_down_and_capped(shop, buyer):
    campaign = _running(shop, percent=30, max_discount=50_000)
    voucher, code = claimed(campaign, buyer)
    result = _redeem(shop, code, 150_001)
    assert result.outcome == "redeemed", result.answer
    assert result.answer["result"] == {
        "voucher_id": voucher.id, "bill": 150_001, "discount": 45_000, "to_pay": 105_001,
        "currency": "VND", "free_item": None}
    terms = discounts.terms_of(campaign)
    assert discounts.on_bill(terms, 1_000_000).discount == 50_000  # the cap
    assert discounts.on_bill(terms, 3).discount == 0  # 0.9 rounds down: never more than said
    db.session.refresh(voucher)
    assert (voucher.state, voucher.bill_amount, voucher.discount, voucher.redeemed_store_id) == \
        ("redeemed", 150_001, 45_000, shop["stores"][0].id)
    assert claims.code_of(voucher).state == "redeemed"
    again = _redeem(shop, code, 150_001, nonce="counter-0002")
    assert again.outcome == "already_redeemed"


def test_an_amount_off_never_exceeds_the_bill(shop, buyer, make_user):
    campaign = _running(shop, discount_kind="amount", percent=None, amount=100_000,
                        per_customer_limit=2)
    _voucher, code = claimed(campaign, buyer)
    assert _redeem(shop, code, 250_000).answer["result"]["discount"] == 100_000
    _voucher, other = claimed(campaign, buyer)
    result = _redeem(shop, other, 60_000, nonce="counter-0002")
    assert (result.answer["result"]["discount"], result.answer["result"]["to_pay"]) == \
        (60_000, 0)


def test_a_free_item_takes_its_price_off(shop, buyer):
    free = shop["listing"].variants[1]  # 170 000
    campaign = _running(shop, discount_kind="free_item", percent=None,
                        free_variant_id=free.id)
    voucher, code = claimed(campaign, buyer)
    described = redemption.describe(claims.code_of(voucher))
    assert described["needs"] == ["amount"]
    assert described["discount"]["free_item"]["price"] == 170_000
    assert described["holder"] == buyer.full_name
    result = _redeem(shop, code, 320_000)
    assert result.answer["result"]["discount"] == 170_000
    assert result.answer["result"]["free_item"].startswith(shop["listing"].title)


def test_below_the_minimum_spend_or_without_a_bill_is_refused_and_changes_nothing(shop, buyer):
    campaign = _running(shop, min_spend=500_000)
    voucher, code = claimed(campaign, buyer)
    short = _redeem(shop, code, 499_999)
    assert short.outcome == "refused"
    assert "500.000" in short.answer["message"] or "500,000" in short.answer["message"]
    missing = _redeem(shop, code, None, nonce="counter-0002")
    assert missing.outcome == "refused"
    db.session.refresh(voucher)
    assert voucher.state == "available" and voucher.discount is None
    assert claims.code_of(voucher).state == "active"  # the savepoint undid the redemption
    assert _redeem(shop, code, 500_000, nonce="counter-0003").outcome == "redeemed"


# --- where and when ----------------------------------------------------------------------------

def test_hours_and_weekdays_are_judged_in_the_stores_time_zone(shop, buyer, make_store):
    weekend = _running(shop, weekdays=[0, 5, 6], daily_start="17:00", daily_end="20:00",
                       per_customer_limit=3)
    assert weekend.weekdays == [0, 5, 6]  # Monday is day 0
    _v, code = claimed(weekend, buyer)
    wednesday = _redeem(shop, code, 100_000)
    assert wednesday.outcome == "refused"
    assert wednesday.answer["message"] == "This voucher cannot be used on this day of the week."
    assert _redeem(shop, code, 100_000, now=SATURDAY_EVENING,
                   nonce="counter-0002").outcome == "redeemed"
    # 10:00–12:00 at each store's own clock: 02:30 UTC is 09:30 in Ho Chi Minh City and
    # 11:30 in Tokyo.
    morning = _running(shop, daily_start="10:00", daily_end="12:00", per_customer_limit=2)
    tokyo = make_store(shop["merchant"], timezone="Asia/Tokyo")
    at = NOW + timedelta(minutes=30)
    _v, first = claimed(morning, buyer)
    early = _redeem(shop, first, 100_000, now=at, nonce="counter-0003")
    assert early.outcome == "refused"
    assert early.answer["message"] == "This voucher can be used from 10:00 to 12:00 only."
    assert _redeem(shop, first, 100_000, store=tokyo, now=at,
                   nonce="counter-0004").outcome == "redeemed"


def test_only_the_campaigns_stores_and_channel(shop, buyer):
    first, second = shop["stores"]
    campaign = _running(shop, store_ids=[first.id], per_customer_limit=2)
    _v, code = claimed(campaign, buyer)
    assert _redeem(shop, code, 100_000, store=second).outcome == "wrong_store"
    assert _redeem(shop, code, 100_000, store=first, nonce="counter-0002").outcome == "redeemed"
    online = _running(shop, channel="online")
    _v, code = claimed(online, buyer)
    refused = _redeem(shop, code, 100_000, nonce="counter-0003")
    assert (refused.outcome, refused.answer["message"]) == (
        "refused", "This voucher is for online orders only.")


def test_a_voucher_is_valid_within_the_campaign_dates_only(shop, buyer):
    campaign = _running(shop, ends_at=NOW + timedelta(days=1))
    _v, code = claimed(campaign, buyer)
    assert _redeem(shop, code, 100_000, now=NOW + timedelta(days=1)).outcome == "expired"


# --- claiming ----------------------------------------------------------------------------------

def test_claims_record_their_source_and_issue_a_code(shop, buyer):
    campaign = _running(shop)
    store = shop["stores"][1]
    voucher, code = claimed(campaign, buyer, source="poster", store_id=store.id)
    assert (voucher.source, voucher.source_store_id, voucher.claimed_at) == \
        ("poster", store.id, NOW)
    issued = claims.code_of(voucher)
    assert (issued.kind, issued.valid_from, issued.valid_until) == \
        ("voucher", campaign.starts_at, campaign.ends_at)
    assert issued.payload and redemption.held_by(buyer, issued.id) == issued
    assert campaign.claimed_count == 1
    assert services.claim_sources(campaign) == [("poster", store.name, 1)]
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "voucher")).one()
    assert (entry.event, entry.actor_id) == ("claim", buyer.id)


def test_the_per_customer_limit_and_the_quota(shop, buyer, make_user):
    campaign = _running(shop, quota=3, per_customer_limit=2)
    claimed(campaign, buyer)
    claimed(campaign, buyer)
    with pytest.raises(claims.ClaimLimitReached):
        claims.claim(campaign, buyer, now=NOW)
    claimed(campaign, make_user())
    with pytest.raises(claims.QuotaExhausted) as exhausted:
        claims.claim(campaign, make_user(), now=NOW)
    assert exhausted.value.status == 409 and exhausted.value.code == "quota_exhausted"
    assert campaign.claimed_count == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Voucher)) == 3
    assert services.claim_problem(campaign, NOW) is not None


@pytest.mark.parametrize("state, now, message", [
    ("draft", NOW, "This campaign is not open for claims."),
    ("paused", NOW, "This campaign is not open for claims."),
    ("active", NOW - timedelta(days=2), "Claims for this campaign have not opened yet."),
    ("active", NOW + timedelta(days=7), "This campaign is over."),
])
def test_a_campaign_not_open_for_claims_refuses_and_nothing_changes(shop, buyer, state, now,
                                                                    message):
    actor = Actor.staff(shop["owner"])
    campaign = services.create_campaign(shop["merchant"], campaign_data(), actor=actor)
    if state != "draft":
        services.change_state(campaign, "activate", actor=actor, now=NOW)
    if state == "paused":
        services.change_state(campaign, "pause", actor=actor, now=NOW)
    with pytest.raises(claims.NotClaimable) as refused:
        claims.claim(campaign, buyer, now=now)
    assert str(refused.value.message) == message and refused.value.status == 422
    assert campaign.claimed_count == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Voucher)) == 0


def test_a_poster_claim_must_name_one_of_the_shops_stores(shop, buyer, make_merchant,
                                                          make_store):
    campaign = _running(shop)
    elsewhere = make_store(make_merchant())
    with pytest.raises(ValidationError) as refused:
        claims.claim(campaign, buyer, source="poster", store_id=elsewhere.id, now=NOW)
    assert "store_id" in refused.value.fields
    assert campaign.claimed_count == 0


# --- the campaign ------------------------------------------------------------------------------

def test_bad_input_names_every_field_and_writes_nothing(shop):
    with pytest.raises(ValidationError) as refused:
        services.create_campaign(shop["merchant"], campaign_data(
            name="", percent=0, ends_at=NOW - timedelta(days=2), quota=0,
            weekdays=[9], daily_start="18:00", daily_end="09:00", channel="mail",
            store_ids=[999_999]), actor=Actor.staff(shop["owner"]))
    assert set(refused.value.fields) == {"name", "percent", "ends_at", "quota", "weekdays",
                                         "daily_end", "channel", "store_ids"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0


def test_another_merchants_items_and_stores_cannot_be_named(shop, make_merchant, make_store,
                                                            make_listing):
    other = make_merchant()
    foreign_listing, foreign_store = make_listing(other), make_store(other)
    with pytest.raises(ValidationError) as refused:
        services.create_campaign(shop["merchant"], campaign_data(
            listing_ids=[foreign_listing.id], store_ids=[foreign_store.id],
            discount_kind="free_item", free_variant_id=foreign_listing.variants[0].id),
            actor=Actor.staff(shop["owner"]))
    assert set(refused.value.fields) == {"listing_ids", "store_ids", "free_variant_id"}


def test_a_started_campaign_keeps_its_terms(shop, buyer):
    actor = Actor.staff(shop["owner"])
    campaign = _running(shop, quota=5)
    claimed(campaign, buyer)
    with pytest.raises(ValidationError) as fixed:
        services.update_campaign(campaign, {"percent": 50}, actor=actor)
    assert "percent" in fixed.value.fields
    with pytest.raises(ValidationError) as lower:
        services.update_campaign(campaign, {"quota": 0}, actor=actor)
    assert "quota" in lower.value.fields
    services.update_campaign(campaign, {"name": "Giảm 30% — gia hạn", "quota": 10},
                             actor=actor)
    assert (campaign.name, campaign.quota, campaign.percent) == ("Giảm 30% — gia hạn", 10, 30)


def test_states_pause_resume_and_end_cancel_the_unused_vouchers(shop, buyer, make_user):
    actor = Actor.staff(shop["owner"])
    campaign = _running(shop, per_customer_limit=2)
    used, used_code = claimed(campaign, buyer)
    unused, _code = claimed(campaign, buyer)
    services.change_state(campaign, "pause", actor=actor, now=NOW)
    # Paused: no claims, but a voucher already claimed is still good at the counter.
    with pytest.raises(claims.NotClaimable):
        claims.claim(campaign, make_user(), now=NOW)
    assert _redeem(shop, used_code, 100_000).outcome == "redeemed"
    with pytest.raises(InvalidTransition):
        services.change_state(campaign, "activate", actor=actor, now=NOW)
    services.change_state(campaign, "resume", actor=actor, now=NOW)
    services.change_state(campaign, "end", actor=actor, now=NOW)
    assert (campaign.state, campaign.ended_at) == ("ended", NOW)
    db.session.refresh(unused)
    db.session.refresh(used)
    assert (unused.state, used.state) == ("cancelled", "redeemed")
    revoked = db.session.scalars(sa.select(RedeemableCode).where(
        RedeemableCode.subject_id == unused.id, RedeemableCode.kind == "voucher")).one()
    assert revoked.state == "revoked"
    assert services.figures(shop["merchant"].id, [campaign.id])[campaign.id] == {
        "available": 0, "redeemed": 1, "applied": 0, "cancelled": 1, "used": 1}


def test_the_merchant_cancels_an_unused_voucher(shop, buyer):
    campaign = _running(shop)
    voucher, code = claimed(campaign, buyer)
    claims.cancel(voucher, actor=Actor.staff(shop["owner"]), reason="Nhận nhầm")
    assert (voucher.state, voucher.cancel_reason) == ("cancelled", "Nhận nhầm")
    assert claims.code_of(voucher) is None
    assert _redeem(shop, code, 100_000).outcome == "revoked"
    with pytest.raises(ValidationError):
        claims.cancel(voucher, actor=Actor.staff(shop["owner"]))


def test_the_counter_preview_changes_nothing(shop, buyer):
    campaign = _running(shop, daily_start=time(8, 0), daily_end=time(22, 0))
    voucher, code = claimed(campaign, buyer)
    quote = usage.quote_in_store(shop["merchant"].id, code.lower(), store=shop["stores"][0],
                                 bill=200_000, at=NOW)
    assert (quote["voucher_id"], quote["discount"], quote["to_pay"], quote["holder"]) == \
        (voucher.id, 60_000, 140_000, buyer.full_name)
    assert "From 08:00 to 22:00 (store time)" in quote["conditions"]
    assert voucher.state == "available" and claims.code_of(voucher).state == "active"
    with pytest.raises(ValidationError):
        usage.quote_in_store(shop["merchant"].id, "ABCDE-FGHJK", store=shop["stores"][0],
                             bill=200_000, at=NOW)


def test_a_free_item_of_a_campaign_is_deactivated_rather_than_deleted(shop, make_listing):
    from marketplace.catalog import services as catalog

    draft = make_listing(shop["merchant"], publish=False)
    free = draft.variants[1]  # no stock history: it would be deleted
    _running(shop, discount_kind="free_item", percent=None, free_variant_id=free.id)
    assert catalog.remove_variant(free) is False
    assert free.is_active is False
