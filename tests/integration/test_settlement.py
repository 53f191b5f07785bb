"""The settlement ledger: a capture and each refund booked with the commission at the rate of
the day, exact to the đồng however a payment is refunded; who collected the money decides
the balance; rows are never changed; owners see the statement (page, CSV, API), nobody else."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from marketplace.orders import codes, lifecycle
from marketplace.orders.audit import Actor
from marketplace.payments import services as payments
from marketplace.settlement import services as settlement
from marketplace.settlement.models import LedgerEntry, LedgerIsAppendOnly
from tests.support.shopping import buy, pickup_choice, slot_at


def collected_order(selling_shop, buyer, owner_of, *, commission_bp=1250, quantity=3):
    merchant, (store, _other), listing = selling_shop()
    merchant.commission_bp = commission_bp
    variant = listing.variants[0]
    order = buy(buyer, [(variant, quantity)],
                [pickup_choice(merchant, store, slot_at(store))]).orders[0]
    staff = Actor.staff(owner_of(merchant).user)
    lifecycle.mark_ready(order, actor=staff)
    lifecycle.collect(order, actor=staff, code=codes.pickup_code(order), payment_taken=True)
    return merchant, order, staff


def ledger(db, merchant) -> list[LedgerEntry]:
    return list(db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.merchant_id == merchant.id).order_by(LedgerEntry.id)))


def test_a_payment_at_the_counter_is_booked_as_collected_by_the_merchant(
        db, selling_shop, buyer, owner_of):
    merchant, order, _staff = collected_order(selling_shop, buyer, owner_of)
    (entry,) = ledger(db, merchant)
    expected = settlement.commission_of(order.total, 1250)
    assert (entry.kind, entry.collected_by, entry.gross, entry.commission, entry.net) == (
        "capture", "merchant", order.total, expected, order.total - expected)
    assert entry.order_id == order.id and entry.commission_bp == 1250
    (balance,) = settlement.balances(merchant.id)
    assert (balance.merchant_gross, balance.merchant_commission, balance.platform_net) == (
        order.total, expected, 0)
    assert balance.due == -expected  # the merchant owes the platform its commission


def test_refunds_in_pieces_give_back_exactly_the_commission_taken(
        db, selling_shop, buyer, owner_of):
    merchant, order, staff = collected_order(selling_shop, buyer, owner_of, commission_bp=1333)
    payment = order.payments[0]
    merchant.commission_bp = 500  # a new rate applies to new money, not to this payment
    pieces = [order.total // 3, order.total // 3]
    pieces.append(order.total - sum(pieces))
    for amount in pieces:
        payments.refund(payment, amount, actor=staff, reason="đổi ý")
    entries = ledger(db, merchant)
    assert [e.kind for e in entries] == ["capture", "refund", "refund", "refund"]
    assert [e.commission_bp for e in entries] == [1333] * 4
    assert sum(e.gross for e in entries) == 0
    assert sum(e.commission for e in entries) == 0
    assert all(e.net == e.gross - e.commission for e in entries)
    assert payment.state == "refunded"
    (balance,) = settlement.balances(merchant.id)
    assert balance.due == 0 and balance.merchant_gross == 0


@given(captured=st.integers(1, 10**12), rate=st.integers(0, 10_000),
       cuts=st.lists(st.floats(0.01, 0.99), max_size=6))
def test_commission_back_over_any_split_sums_to_what_was_taken(captured, rate, cuts):
    points = sorted({int(captured * c) for c in cuts} | {0, captured})
    back = [settlement.commission_of(b, rate) - settlement.commission_of(a, rate)
            for a, b in zip(points, points[1:], strict=False)]
    assert sum(back) == settlement.commission_of(captured, rate)
    assert all(x >= 0 for x in back)


def test_money_collected_by_the_platform_is_owed_to_the_merchant(
        db, selling_shop, buyer, owner_of):
    """Card payments (collected by the platform) come with the Stripe plugin; here the
    service books one directly, as that plugin's capture will, next to a counter payment."""
    merchant, counter, _staff = collected_order(selling_shop, buyer, owner_of,
                                                commission_bp=1000)
    store = counter.store
    card_order = buy(buyer, [(counter.lines[0].variant, 1)],
                     [pickup_choice(merchant, store, slot_at(store, index=1))]).orders[0]
    card = card_order.payments[0]
    card.captured_amount = card_order.total
    settlement.record_capture(card, collected_by=settlement.PLATFORM, commission_bp=1000)
    (balance,) = settlement.balances(merchant.id)
    card_net = card_order.total - settlement.commission_of(card_order.total, 1000)
    counter_commission = settlement.commission_of(counter.total, 1000)
    assert (balance.platform_gross, balance.platform_net) == (card_order.total, card_net)
    assert balance.merchant_commission == counter_commission
    assert balance.due == card_net - counter_commission
    assert balance.commission == (settlement.commission_of(card_order.total, 1000)
                                  + counter_commission)


def test_the_ledger_is_append_only(db, selling_shop, buyer, owner_of):
    merchant, _order, _staff = collected_order(selling_shop, buyer, owner_of)
    db.session.commit()
    (entry,) = ledger(db, merchant)
    entry.commission = 0
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    (entry,) = ledger(db, merchant)
    db.session.delete(entry)
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert len(ledger(db, merchant)) == 1


def test_a_capture_is_booked_once(db, selling_shop, buyer, owner_of):
    merchant, order, _staff = collected_order(selling_shop, buyer, owner_of)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        settlement.record_capture(order.payments[0], collected_by="merchant",
                                  commission_bp=1000)
    assert len(ledger(db, merchant)) == 1


def test_owner_sees_the_statement_and_downloads_it(client, db, selling_shop, buyer, owner_of,
                                                   login):
    merchant, order, staff = collected_order(selling_shop, buyer, owner_of, commission_bp=1000)
    payments.refund(order.payments[0], 10_000, actor=staff, reason="trả một phần")
    db.session.commit()
    login(owner_of(merchant).user)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/dashboard/{merchant.slug}/statement")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    owed = settlement.commission_of(order.total, 1000) - settlement.commission_of(10_000, 1000)
    assert order.number in text and "you owe the platform" in text
    assert f"₫{owed:,}" in text
    download = client.get(f"/dashboard/{merchant.slug}/statement.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [(r["kind"], r["order"], r["gross"], r["collected_by"]) for r in rows] == [
        ("capture", order.number, str(order.total), "merchant"),
        ("refund", order.number, "-10000", "merchant")]
    assert client.get(f"/dashboard/{merchant.slug}/statement?from=2020-01-01&to=2020-12-31"
                      ).get_data(as_text=True).count(order.number) == 0
    bad = client.get(f"/dashboard/{merchant.slug}/statement?from=2026-13-01")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    assert client.get(f"/dashboard/{merchant.slug}/statement.csv?from=2026-12-02&to=2026-12-01"
                      ).status_code == 400


def test_staff_and_other_merchants_cannot_see_the_statement(client, db, selling_shop, buyer,
                                                            owner_of, make_member, login,
                                                            make_merchant):
    merchant, _order, _staff = collected_order(selling_shop, buyer, owner_of)
    cashier = make_member(merchant, role="manager")
    stranger = owner_of(make_merchant())
    db.session.commit()
    login(cashier.user)
    assert client.get(f"/dashboard/{merchant.slug}/statement").status_code == 403
    assert client.get(f"/dashboard/{merchant.slug}/statement.csv").status_code == 403
    client.post("/logout")
    login(stranger.user)
    assert client.get(f"/dashboard/{merchant.slug}/statement").status_code == 404


def test_statement_through_the_api(client, db, selling_shop, buyer, owner_of, make_member,
                                   api_token):
    merchant, order, _staff = collected_order(selling_shop, buyer, owner_of)
    owner = {"Authorization": f"Bearer {api_token(owner_of(merchant))}"}
    manager = {"Authorization": f"Bearer {api_token(make_member(merchant, role='manager'))}"}
    db.session.commit()
    answer = client.get("/api/v1/statement", headers=owner)
    assert answer.status_code == 200
    body = answer.get_json()
    assert [(i["kind"], i["order_id"], i["gross"]) for i in body["items"]] == [
        ("capture", order.id, order.total)]
    assert body["balances"][0]["due"] == -settlement.commission_of(order.total, 1250)
    assert client.get("/api/v1/statement", headers=manager).status_code == 403
    empty = client.get("/api/v1/statement", headers=owner,
                       query_string={"from": "2020-01-01", "to": "2020-01-31"}).get_json()
    assert empty["items"] == [] and empty["balances"]  # the balance is all-time
    reversed_ = client.get("/api/v1/statement", headers=owner,
                           query_string={"from": "2026-02-01", "to": "2026-01-01"})
    assert reversed_.status_code == 422


def test_the_admin_sees_what_a_merchant_owes(client, db, selling_shop, buyer, owner_of, login,
                                             admin_user):
    merchant, order, _staff = collected_order(selling_shop, buyer, owner_of, commission_bp=1000)
    db.session.commit()
    login(admin_user)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/admin/merchants/{merchant.id}").get_data(as_text=True)
    owed = settlement.commission_of(order.total, 1000)
    assert f"<strong>-₫{owed:,}</strong>" in page
    assert "the merchant owes the platform" in page
