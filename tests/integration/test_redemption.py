"""Redeeming codes at the counter: pickup orders by QR or typed code, exactly once, every
attempt logged, revocation, scope, offline sync."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders import codes, lifecycle
from marketplace.orders.audit import Actor
from marketplace.outbox.models import OutboxMessage
from marketplace.redemption import services as redemption
from marketplace.redemption.models import RedemptionAttempt
from tests.support.shopping import NOW, buy, pickup_choice, slot_at


def _ready_order(selling_shop, buyer, owner_of):
    merchant, (store, other), listing = selling_shop()
    order = buy(buyer, [(listing.variants[0], 2)],
                [pickup_choice(merchant, store, slot_at(store))]).orders[0]
    staff = owner_of(merchant)
    lifecycle.mark_ready(order, actor=Actor.staff(staff.user))
    db.session.commit()
    return merchant, store, other, order, staff


def _api(client, token, path, **json):
    return client.post(f"/api/v1/redemptions{path}", json=json,
                       headers={"Authorization": f"Bearer {token}",
                                "X-Scanner-Device": "counter-1"})


def test_a_pickup_is_redeemed_once_by_its_qr_and_again_is_already_redeemed(
        client, selling_shop, buyer, owner_of, api_token):
    merchant, store, _other, order, staff = _ready_order(selling_shop, buyer, owner_of)
    token = api_token(staff)
    code = redemption.current("pickup", order.id)
    assert code.payload and code.payload.startswith("Q1")
    looked = _api(client, token, "/lookup", code=code.payload, store_id=store.id)
    assert looked.status_code == 200, looked.json
    assert looked.json["outcome"] == "redeemable"
    assert looked.json["code"]["lines"][0]["quantity"] == 2
    assert looked.json["code"]["needs"] == ["payment_taken"]
    first = _api(client, token, "", code=code.payload, store_id=store.id, nonce="n-00000001",
                 details={"payment_taken": True})
    assert first.status_code == 200, first.json
    assert first.json["outcome"] == "redeemed"
    db.session.refresh(order)
    assert order.state == "collected"
    again = _api(client, token, "", code=code.payload, store_id=store.id, nonce="n-00000001",
                 details={"payment_taken": True})
    assert again.status_code == 200 and again.json == first.json  # the first answer, replayed
    second = _api(client, token, "", code=codes.pickup_code(order), method="typed",
                  store_id=store.id, nonce="n-00000002", details={"payment_taken": True})
    assert second.status_code == 409
    assert second.json["outcome"] == "already_redeemed"
    assert store.name in second.json["message"] and staff.user.full_name in \
        second.json["message"]
    outcomes = db.session.scalars(sa.select(RedemptionAttempt.outcome)
                                  .order_by(RedemptionAttempt.id)).all()
    assert outcomes == ["redeemed", "already_redeemed"]


def test_refusals_are_logged_and_change_nothing(client, selling_shop, buyer, owner_of,
                                                api_token, make_merchant, make_store):
    merchant, store, other, order, staff = _ready_order(selling_shop, buyer, owner_of)
    token = api_token(staff)
    code = redemption.current("pickup", order.id)
    wrong_store = _api(client, token, "", code=code.payload, store_id=other.id,
                       nonce="n-wrong-store", details={"payment_taken": True})
    assert wrong_store.status_code == 422 and wrong_store.json["outcome"] == "wrong_store"
    unpaid = _api(client, token, "", code=code.payload, store_id=store.id, nonce="n-unpaid")
    assert unpaid.status_code == 422 and unpaid.json["outcome"] == "refused"
    flipped = code.payload[:40] + ("A" if code.payload[40] != "A" else "B") + code.payload[41:]
    forged = _api(client, token, "", code=flipped, store_id=store.id, nonce="n-forged")
    assert forged.status_code == 422 and forged.json["outcome"] == "invalid"
    guessed = _api(client, token, "", code="ABCDE-FGHJK", method="typed", store_id=store.id,
                   nonce="n-guessed")
    assert guessed.status_code == 422 and guessed.json["message"] == forged.json["message"]
    db.session.refresh(order)
    assert order.state == "ready"
    assert redemption.current("pickup", order.id).state == "active"
    logged = db.session.scalars(sa.select(RedemptionAttempt.outcome)
                                .order_by(RedemptionAttempt.id)).all()
    assert logged == ["wrong_store", "refused", "invalid", "invalid"]


def test_a_cancelled_order_revokes_its_code(client, selling_shop, buyer, owner_of, api_token):
    merchant, store, _other, order, staff = _ready_order(selling_shop, buyer, owner_of)
    code = redemption.current("pickup", order.id)
    lifecycle.staff_event(order, "cancel", actor=Actor.staff(staff.user), reason="Hết hàng")
    db.session.commit()
    assert redemption.revocations(merchant.id)["revoked"] == [code.id]
    answer = _api(client, api_token(staff), "", code=code.payload, store_id=store.id,
                  nonce="n-revoked")
    assert answer.status_code == 410 and answer.json["outcome"] == "revoked"


def test_offline_scans_at_two_counters_redeem_once_and_report_a_conflict(
        client, selling_shop, buyer, owner_of, api_token):
    merchant, store, _other, order, staff = _ready_order(selling_shop, buyer, owner_of)
    token = api_token(staff)
    code = redemption.current("pickup", order.id)
    at = NOW + timedelta(minutes=5)
    scans = [{"code": code.payload, "store_id": store.id, "nonce": f"offline-{n}",
              "scanned_at": (at + timedelta(seconds=n)).isoformat(),
              "details": {"payment_taken": True}} for n in (2, 1)]
    synced = _api(client, token, "/sync", scans=scans)
    assert synced.status_code == 200, synced.json
    by_nonce = {r["nonce"]: r for r in synced.json["results"]}
    assert by_nonce["offline-1"]["answer"]["outcome"] == "redeemed"
    assert by_nonce["offline-2"]["answer"]["outcome"] == "conflict"
    again = _api(client, token, "/sync", scans=scans)
    assert {r["nonce"]: r["answer"] for r in again.json["results"]} == \
        {n: r["answer"] for n, r in by_nonce.items()}
    listed = client.get("/api/v1/redemptions/attempts?outcome=conflict",
                        headers={"Authorization": f"Bearer {token}"})
    assert [a["nonce"] for a in listed.json["items"]] == ["offline-2"]
    # The owners hear of it once (the repeated sync told nobody again), with a link.
    sent = [m.payload for m in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.topic == "mail.send"))
        if "/redemptions?outcome=conflict" in m.payload["body"]]
    assert [m["to"] for m in sent] == [staff.user.email]
    assert store.name in sent[0]["body"] and merchant.name in sent[0]["subject"]


def test_the_counter_log_shows_conflicts_first(client, selling_shop, buyer, owner_of, login):
    merchant, store, _other, order, staff = _ready_order(selling_shop, buyer, owner_of)
    code = redemption.current("pickup", order.id)
    scans = [redemption.Scan(text=code.payload, store=store, staff=staff.user,
                             nonce=f"offline-{n}", details={"payment_taken": True},
                             scanned_at=NOW + timedelta(minutes=n)) for n in (1, 2)]
    redemption.sync(merchant, scans)
    redemption.redeem(merchant, redemption.Scan(text="nonsense", store=store,
                                                staff=staff.user, nonce="garbage-1"))
    db.session.commit()
    login(staff.user)
    page = client.get(f"/dashboard/{merchant.slug}/redemptions").get_data(as_text=True)
    conflicts = page[page.index('id="conflicts"'):page.index('id="attempts"')]
    assert conflicts.count("data-attempt=") == 1 and 'data-outcome="conflict"' in conflicts
    log = page[page.index('id="attempts"'):]
    assert [o for o in ("conflict", "redeemed", "invalid") if f'data-outcome="{o}"' in log] \
        == ["conflict", "redeemed", "invalid"]
    only = client.get(f"/dashboard/{merchant.slug}/redemptions?outcome=invalid")
    assert only.get_data(as_text=True).count("data-attempt=") == 1


def test_another_merchants_staff_cannot_redeem_or_see_a_code(client, selling_shop, buyer,
                                                            owner_of, api_token, make_merchant,
                                                            make_store, make_member):
    merchant, store, _other, order, staff = _ready_order(selling_shop, buyer, owner_of)
    stranger_shop = make_merchant()
    stranger_store = make_store(stranger_shop)
    stranger = api_token(owner_of(stranger_shop))
    elsewhere = make_member(merchant, role="staff", stores_=[_other])
    db.session.commit()
    code = redemption.current("pickup", order.id)
    theirs = _api(client, stranger, "", code=code.payload, store_id=stranger_store.id,
                  nonce="n-stranger")
    assert theirs.status_code == 422 and theirs.json["outcome"] == "wrong_merchant"
    assert "code" not in theirs.json  # nothing about the order leaks
    typed = _api(client, stranger, "/lookup", code=codes.pickup_code(order), method="typed",
                 store_id=stranger_store.id)
    assert typed.status_code == 422 and "code" not in typed.json
    not_their_store = _api(client, stranger, "", code=code.payload, store_id=store.id,
                           nonce="n-store-1")
    assert not_their_store.status_code == 404, not_their_store.json
    assigned_elsewhere = _api(client, api_token(elsewhere), "", code=code.payload,
                              store_id=store.id, nonce="n-elsewhere")
    assert assigned_elsewhere.status_code == 404
    db.session.refresh(order)
    assert order.state == "ready"


@pytest.fixture
def throttled_app(make_app):
    app = make_app(RATELIMIT_ENABLED=True, PICKUP_CODE_RATE_LIMIT="3 per minute")
    yield app
    make_app()  # the limiter is shared by the process's apps: switch it off again


def test_failed_code_entries_are_limited_per_device_member_and_address(
        throttled_app, selling_shop, buyer, owner_of, make_member, api_token):
    merchant, store, _other, order, staff = _ready_order(selling_shop, buyer, owner_of)
    first, second = api_token(staff), api_token(make_member(merchant, role="staff"))
    db.session.commit()
    client = throttled_app.test_client()

    def typed(token, device, address, code="ABCDE-FGHJK"):
        return client.post("/api/v1/redemptions/lookup", json={
            "code": code, "store_id": store.id, "method": "typed"},
            headers={"Authorization": f"Bearer {token}", "X-Scanner-Device": device},
            environ_base={"REMOTE_ADDR": address}).status_code

    assert [typed(first, "d1", "203.0.113.1") for _ in range(3)] == [422, 422, 422]
    assert typed(second, "d2", "203.0.113.1") == 429   # the same address
    assert typed(second, "d1", "203.0.113.2") == 429   # the same device
    assert typed(first, "d2", "203.0.113.2") == 429    # the same member
    # Right codes never count, and a fresh member, device and address is not held back.
    assert typed(second, "d2", "203.0.113.2", codes.pickup_code(order)) == 200
    assert typed(second, "d2", "203.0.113.2", codes.pickup_code(order)) == 200


def test_a_sync_takes_only_signed_codes_and_refuses_a_lost_store_on_its_own(
        client, selling_shop, buyer, owner_of, api_token, make_member):
    merchant, store, other, order, staff = _ready_order(selling_shop, buyer, owner_of)
    limited = make_member(merchant, role="staff", stores_=[store])
    token = api_token(limited)
    db.session.commit()
    code = redemption.current("pickup", order.id)
    at = (NOW + timedelta(minutes=5)).isoformat()
    synced = _api(client, token, "/sync", scans=[
        {"code": codes.pickup_code(order), "store_id": store.id, "nonce": "typed-offline",
         "scanned_at": at, "method": "typed", "details": {"payment_taken": True}},
        {"code": code.payload, "store_id": other.id, "nonce": "lost-store",
         "scanned_at": at, "details": {"payment_taken": True}},
        {"code": code.payload, "store_id": store.id, "nonce": "good-scan",
         "scanned_at": at, "details": {"payment_taken": True}}])
    assert synced.status_code == 200, synced.json
    outcomes = {r["nonce"]: r["answer"]["outcome"] for r in synced.json["results"]}
    assert outcomes == {"typed-offline": "invalid", "lost-store": "wrong_store",
                        "good-scan": "redeemed"}
    db.session.refresh(order)
    assert order.state == "collected"


def test_a_refused_real_code_does_not_count_as_a_guess(throttled_app, selling_shop, buyer,
                                                       owner_of, api_token):
    merchant, store, _other, order, staff = _ready_order(selling_shop, buyer, owner_of)
    token = api_token(staff)
    db.session.commit()
    client = throttled_app.test_client()
    code = redemption.current("pickup", order.id)
    unpaid = [client.post("/api/v1/redemptions", json={
        "code": code.payload, "store_id": store.id, "nonce": f"unpaid-{n:04d}"},
        headers={"Authorization": f"Bearer {token}"}).get_json()["outcome"] for n in range(5)]
    assert unpaid == ["refused"] * 5  # never 429: the code is real, only not paid yet


def test_a_voucher_looked_up_with_the_bill_shows_the_discount_before_confirming(
        client, selling_shop, owner_of, api_token, make_user):
    from tests.support.vouchers import claimed, running_campaign

    merchant, (store, _other), _listing = selling_shop()
    staff = owner_of(merchant)
    campaign = running_campaign(merchant, staff.user, min_spend=200000)
    voucher, code = claimed(campaign, make_user())
    token = api_token(staff)
    db.session.commit()
    payload = redemption.current("voucher", voucher.id).payload
    looked = _api(client, token, "/lookup", code=payload, store_id=store.id,
                  details={"amount": 500000})
    assert looked.status_code == 200, looked.json
    assert looked.json["outcome"] == "redeemable"
    assert (looked.json["result"]["discount"], looked.json["result"]["to_pay"]) == \
        (150000, 350000)
    small = _api(client, token, "/lookup", code=code, method="typed", store_id=store.id,
                 details={"amount": 100000})
    assert small.json["outcome"] == "redeemable" and "result" not in small.json
    assert "amount" in small.json["problem"]["message"] or small.json["problem"]["fields"]
    assert redemption.current("voucher", voucher.id).state == "active"  # nothing changed


def test_a_reservation_to_try_is_redeemed_with_what_the_customer_buys(
        client, selling_shop, buyer, owner_of, api_token):
    merchant, (store, _other), listing = selling_shop()
    order = buy(buyer, [(listing.variants[0], 2)], [{
        "merchant_id": merchant.id, "fulfilment": "reserve", "store_id": store.id,
        "payment_provider": "pay_at_store"}]).orders[0]
    staff = owner_of(merchant)
    lifecycle.mark_ready(order, actor=Actor.staff(staff.user))
    token = api_token(staff)
    db.session.commit()
    code = redemption.current("pickup", order.id)
    whole = _api(client, token, "", code=code.payload, store_id=store.id, nonce="try-whole",
                 details={"payment_taken": True})
    assert whole.status_code == 422 and whole.json["outcome"] == "refused"
    line = order.lines[0]
    bought = _api(client, token, "", code=code.payload, store_id=store.id, nonce="try-bought",
                  details={"payment_taken": True, "lines": {str(line.id): 1}})
    assert bought.status_code == 200, bought.json
    db.session.refresh(order)
    assert order.state == "collected" and order.lines[0].collected_quantity == 1
    assert order.settled_total == line.unit_price


def test_wrong_codes_at_the_voucher_quote_count_against_the_entry_limits(
        throttled_app, selling_shop, owner_of, api_token):
    merchant, (store, _other), _listing = selling_shop()
    token = api_token(owner_of(merchant))
    db.session.commit()
    client = throttled_app.test_client()
    answers = [client.post("/api/v1/vouchers/quote", json={
        "code": f"ABCDE-FGH{c}", "store_id": store.id, "amount": 100000},
        headers={"Authorization": f"Bearer {token}"}).status_code for c in "JKMN"]
    assert answers == [422, 422, 422, 429]
