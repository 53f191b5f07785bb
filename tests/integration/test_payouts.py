"""Payouts: where a merchant's money goes, batches of settled ledger rows paid by bank file or
by a payout method, and what each side may see.

A batch pays the ``due`` of its rows (the merchant's part of what the platform collected,
less the commission the merchant owes on what it collected itself; refunds netted); a ledger
row is in at most one live batch (the database says so too); the ledger is never changed."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from marketplace.errors import Conflict, PermissionDenied, ValidationError
from marketplace.money import format_money
from marketplace.outbox.services import drain
from marketplace.payments import services as payments
from marketplace.plugins.manager import current_platform
from marketplace.settlement import payout_accounts, payouts
from marketplace.settlement import services as settlement
from marketplace.settlement.models import LedgerEntry, Payout, PayoutAccount, PayoutEntry
from tests.support.payouts import (
    NOVEMBER,
    VND_ACCOUNT,
    backdate,
    card_sale,
    counter_sale,
    with_account,
)
from tests.support.plugin_apps import PAYOUTS, plugin_config

ZONE = "Asia/Ho_Chi_Minh"
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def sales(db, selling_shop, buyer, owner_of):
    """A merchant (10 %) with a card sale (the platform holds it) and a counter sale (the
    merchant holds it) in November, and a VND payout account."""
    merchant, (store, _second), listing = selling_shop()
    owner = owner_of(merchant)
    variant = listing.variants[0]
    card = card_sale(merchant, store, variant, buyer)
    counter = counter_sale(merchant, store, variant, buyer, owner)
    backdate(merchant)
    with_account(merchant)
    db.session.commit()
    return merchant, owner, card, counter


def expected_amount(card, counter, bp=1000):
    return (card.total - settlement.commission_of(card.total, bp)
            - settlement.commission_of(counter.total, bp))


def make(merchant, admin, *, first=None, last=NOVEMBER[1], currency="VND"):
    return payouts.create(merchant, currency=currency, first=first, last=last, zone=ZONE,
                          actor=admin)


def ledger_snapshot(db):
    db.session.expire_all()
    return [(e.id, e.gross, e.commission, e.net, e.created_at) for e in
            db.session.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.id))]


def live_rows(db, merchant) -> dict[int, int]:
    """ledger entry id → the live payout it is in."""
    return dict(db.session.execute(sa.select(PayoutEntry.ledger_entry_id, PayoutEntry.payout_id)
                                   .where(PayoutEntry.merchant_id == merchant.id,
                                          PayoutEntry.live.is_(True))).all())


# --- the payout account ---------------------------------------------------------------------------

def test_owner_enters_the_payout_account_normalised(client, db, make_merchant, owner_of, login):
    merchant = make_merchant()
    db.session.commit()
    login(owner_of(merchant).user)
    page = client.get(f"/dashboard/{merchant.slug}/payout-account")
    assert page.status_code == 200 and "Vietcombank" in page.get_data(as_text=True)
    saved = client.post(f"/dashboard/{merchant.slug}/payout-account", data={
        "currency": "VND", "bank_code": "970418", "account_number": " 1234 5678 901 ",
        "holder": "  nguyễn   thị  đào "})
    assert saved.status_code == 303
    (account,) = payout_accounts.accounts(merchant.id)
    assert (account.bank_code, account.bank_name, account.account_number, account.holder) == (
        "970418", "BIDV", "12345678901", "NGUYEN THI DAO")


def test_a_bad_account_is_refused_whole_and_changes_nothing(client, db, make_merchant,
                                                             owner_of, login):
    merchant = make_merchant()
    with_account(merchant)
    db.session.commit()
    login(owner_of(merchant).user)
    refused = client.post(f"/dashboard/{merchant.slug}/payout-account", data={
        "currency": "VND", "bank_code": "999999", "account_number": "12-34",
        "holder": "x"})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Choose the bank from the list." in text and "4 to 19 digits" in text
    assert "2 to 50 letters" in text
    db.session.expire_all()
    (account,) = payout_accounts.accounts(merchant.id)
    assert (account.bank_code, account.account_number) == ("970436", "0071001234567")


def test_other_currencies_type_the_bank(db, make_merchant):
    merchant = make_merchant()
    with pytest.raises(ValidationError) as caught:
        payout_accounts.save(merchant, {"currency": "USD", "account_number": "DE89 3704 0044 "
                                        "0532 0130 00", "holder": "Suong Som GmbH"})
    assert set(caught.value.fields) == {"bank_name"}
    account = payout_accounts.save(merchant, {
        "currency": "usd", "bank_name": " DEUTDEFF ", "account_number": "DE89 3704 0044 0532 "
                                                                     "0130 00",
        "holder": "Suong Som GmbH"})
    assert (account.currency, account.bank_code, account.bank_name, account.account_number,
            account.holder) == ("USD", None, "DEUTDEFF", "DE89370400440532013000",
                                "SUONG SOM GMBH")
    with pytest.raises(ValidationError):
        payout_accounts.save(merchant, {"currency": "XXQ", "bank_name": "x"})


def test_only_owners_reach_payouts(client, db, sales, make_member, make_merchant, owner_of,
                                   login, admin_user):
    merchant, _owner, _card, _counter = sales
    payout = make(merchant, admin_user)
    manager = make_member(merchant, role="manager")
    db.session.commit()
    login(manager.user)
    for url in (f"/dashboard/{merchant.slug}/payouts", f"/dashboard/{merchant.slug}/payout-account",
                f"/dashboard/{merchant.slug}/payouts/{payout.id}",
                f"/dashboard/{merchant.slug}/payouts/{payout.id}.csv"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/dashboard/{merchant.slug}/payout-account",
                       data=VND_ACCOUNT).status_code == 403
    assert client.get("/admin/payouts").status_code == 404  # the admin area is not advertised


# --- making a batch -------------------------------------------------------------------------------

def test_a_batch_pays_what_the_balance_says_for_its_rows(db, sales, admin_user):
    merchant, _owner, card, counter = sales
    before = ledger_snapshot(db)
    payout = make(merchant, admin_user, first=NOVEMBER[0])
    assert payout.state == "draft" and payout.entry_count == 2
    assert payout.amount == expected_amount(card, counter)
    (balance,) = settlement.balances(merchant.id)
    assert payout.amount == balance.due  # every row of the merchant is in it
    assert (payout.bank_code, payout.account_number, payout.holder) == (
        "970436", "0071001234567", "CONG TY TNHH SUONG SOM")
    assert payout.transfer_message == f"{payout.code} 20261101-20261130"
    assert set(live_rows(db, merchant).values()) == {payout.id}
    with pytest.raises(ValidationError, match="Nothing to pay out"):
        make(merchant, admin_user)  # every settled row is taken
    assert ledger_snapshot(db) == before  # the ledger is read, never written


def test_refunds_are_netted_and_rows_after_the_period_wait(db, sales, admin_user, owner_of):
    merchant, owner, card, counter = sales
    staff = payments.Actor.staff(owner.user)
    payments.refund(card.payments[0], 50_000, actor=staff, reason="trả một phần")
    backdate(merchant)  # the refund is November's too
    payments.refund(counter.payments[0], 10_000, actor=staff, reason="đổi ý")  # December's
    payout = make(merchant, admin_user)
    card_net = (card.total - 50_000) - (settlement.commission_of(card.total, 1000)
                                        - settlement.commission_of(50_000, 1000))
    assert payout.entry_count == 3
    assert payout.amount == card_net - settlement.commission_of(counter.total, 1000)
    december = db.session.scalars(sa.select(LedgerEntry.id).where(
        LedgerEntry.refund_id.is_not(None), LedgerEntry.gross == -10_000)).one()
    assert december not in live_rows(db, merchant)


def test_a_merchant_that_owes_the_platform_gets_no_payout(db, selling_shop, buyer, owner_of,
                                                          admin_user):
    merchant, (store, _), listing = selling_shop()
    counter = counter_sale(merchant, store, listing.variants[0], buyer, owner_of(merchant))
    backdate(merchant)
    with_account(merchant)
    owed = settlement.commission_of(counter.total, 1000)
    with pytest.raises(ValidationError) as caught:
        make(merchant, admin_user)
    assert "owes the platform" in str(caught.value.message)
    assert format_money(owed, "VND") in str(caught.value.message)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 0


def test_refused_batches(db, sales, admin_user, make_merchant, make_user):
    merchant, _owner, _card, _counter = sales
    with pytest.raises(ValidationError, match="not over"):
        make(merchant, admin_user, last=date(2099, 1, 1))
    with pytest.raises(ValidationError, match="before the first"):
        make(merchant, admin_user, first=date(2026, 11, 30), last=date(2026, 11, 1))
    with pytest.raises(ValidationError, match="no payout account in USD"):
        make(merchant, admin_user, currency="USD")
    with pytest.raises(ValidationError, match="Nothing to pay out"):
        make(merchant, admin_user, first=date(2026, 10, 1), last=date(2026, 10, 31))
    with pytest.raises(PermissionDenied):
        make(merchant, make_user())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 0


def test_the_database_keeps_a_row_in_one_live_batch(db, sales, admin_user):
    merchant, _owner, _card, _counter = sales
    payout = make(merchant, admin_user)
    taken = next(iter(live_rows(db, merchant)))
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(PayoutEntry(merchant_id=merchant.id, payout_id=payout.id,
                                   ledger_entry_id=taken, live=True))
        db.session.flush()
    with db.session.begin_nested():  # a cancelled batch's rows are history, not a claim
        db.session.add(PayoutEntry(merchant_id=merchant.id, payout_id=payout.id,
                                   ledger_entry_id=taken, live=False))
        db.session.flush()


def test_a_row_taken_meanwhile_is_a_conflict_not_a_crash(db, sales, admin_user, monkeypatch):
    """Without the merchant lock two batches could race; the unique index then refuses the
    second with a 409, which the lock makes unreachable in practice (see the concurrency
    test)."""
    merchant, _owner, _card, _counter = sales
    make(merchant, admin_user)
    # As if the other batch's rows were not seen: every row of the merchant is offered.
    monkeypatch.setattr(payouts, "_settled", lambda m, c, p: sa.select(
        LedgerEntry.id, LedgerEntry.collected_by, LedgerEntry.net, LedgerEntry.commission)
        .where(LedgerEntry.merchant_id == m).order_by(LedgerEntry.id))
    with pytest.raises(Conflict), db.session.begin_nested():
        make(merchant, admin_user)


def test_cancelling_frees_the_rows(db, sales, admin_user):
    merchant, _owner, _card, _counter = sales
    first = make(merchant, admin_user)
    payouts.cancel(first, actor=admin_user, reason="sai tài khoản")
    assert first.state == "cancelled" and live_rows(db, merchant) == {}
    second = make(merchant, admin_user)
    assert second.amount == first.amount and set(live_rows(db, merchant).values()) == {
        second.id}
    assert [(h.from_state, h.to_state, h.note) for h in payouts.history(first)] == [
        (None, "draft", None), ("draft", "cancelled", "sai tài khoản")]


# --- admin pages --------------------------------------------------------------------------------

@pytest.fixture
def admin_client(client, login, admin_user, db):
    db.session.commit()
    login(admin_user)
    return client


def test_admin_makes_exports_and_pays_a_batch(admin_client, db, sales):
    merchant, _owner, card, counter = sales
    client = admin_client
    assert client.get("/admin/payouts").status_code == 200
    created = client.post("/admin/payouts", data={
        "merchant_id": merchant.id, "currency": "VND", "from": "", "to": "2026-11-30"})
    assert created.status_code == 303
    payout = db.session.scalars(sa.select(Payout)).one()
    page = client.get(f"/admin/payouts/{payout.id}").get_data(as_text=True)
    assert card.number in page and counter.number in page
    assert f"₫{expected_amount(card, counter):,}" in page

    exported = client.post("/admin/payouts/export", data={"payout_ids": [payout.id]})
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    (row,) = csv.DictReader(io.StringIO(exported.get_data(as_text=True)))
    assert row == {"no": "1", "payout": payout.code, "merchant": merchant.name,
                   "bank_bin": "970436", "bank_name": "Vietcombank",
                   "account_number": "0071001234567", "account_holder": "CONG TY TNHH SUONG SOM",
                   "amount": str(expected_amount(card, counter)), "currency": "VND",
                   "message": f"{payout.code} 20261130"}
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).state == "exported"

    missing = client.post(f"/admin/payouts/{payout.id}/pay", data={"reference": "  "})
    assert missing.status_code == 422 and "reference" in missing.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).state == "exported"
    paid = client.post(f"/admin/payouts/{payout.id}/pay", data={"reference": "FT2633512345"})
    assert paid.status_code == 303
    db.session.expire_all()
    done = db.session.get(Payout, payout.id)
    assert (done.state, done.reference) == ("paid", "FT2633512345") and done.paid_at
    again = client.post(f"/admin/payouts/{payout.id}/cancel", data={})
    assert again.status_code == 409  # paid is final
    assert client.post("/admin/payouts/export",
                       data={"payout_ids": [payout.id]}).status_code == 422


def test_admin_errors_are_clear_and_change_nothing(admin_client, db, selling_shop, buyer,
                                                   owner_of):
    merchant, (store, _), listing = selling_shop()
    counter_sale(merchant, store, listing.variants[0], buyer, owner_of(merchant))
    backdate(merchant)
    with_account(merchant)
    db.session.commit()
    owes = admin_client.post("/admin/payouts", data={"merchant_id": merchant.id,
                                                     "currency": "VND", "to": "2026-11-30"})
    assert owes.status_code == 422 and "owes the platform" in owes.get_data(as_text=True)
    bad_day = admin_client.post("/admin/payouts", data={"merchant_id": merchant.id,
                                                        "currency": "VND", "to": "30/11"})
    assert bad_day.status_code == 422 and "YYYY-MM-DD" in bad_day.get_data(as_text=True)
    assert admin_client.post("/admin/payouts", data={"merchant_id": 987654,
                                                     "to": "2026-11-30"}).status_code == 404
    assert admin_client.post("/admin/payouts/export", data={}).status_code == 422
    assert admin_client.get("/admin/payouts/987654").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payout)) == 0


def test_one_bank_file_for_many_batches(admin_client, db, sales, selling_shop, buyer,
                                        owner_of, admin_user):
    merchant, _owner, _card, _counter = sales
    other, (store, _), listing = selling_shop()
    card_sale(other, store, listing.variants[0], buyer)
    backdate(other)
    with_account(other, bank_code="970422", account_number="9999888877")
    one, two = make(merchant, admin_user), make(other, admin_user)
    db.session.commit()
    body = admin_client.post("/admin/payouts/export",
                             data={"payout_ids": [two.id, one.id]}).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["no"], r["payout"], r["bank_name"]) for r in rows] == [
        ("1", one.code, "Vietcombank"), ("2", two.code, "MB Bank")]


def test_admin_forms_carry_the_csrf_token(make_app, db, sales, admin_user):
    from tests.support.plugin_apps import log_in

    merchant, _owner, _card, _counter = sales
    payout = make(merchant, admin_user)
    db.session.commit()
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"email": admin_user.email, "csrf_token": token,
                                       "password": "correct horse battery staple"}
                       ).status_code == 303
    for url in ("/admin/payouts", f"/admin/payouts/{payout.id}"):
        html = client.get(url).get_data(as_text=True)
        assert html.count("<form method=\"post\"") == html.count('name="csrf_token"') > 0, url
    assert client.post(f"/admin/payouts/{payout.id}/cancel").status_code == 400
    assert log_in  # the helper stays importable for other tests


# --- the merchant's side -------------------------------------------------------------------------

def test_owner_sees_each_payout_and_downloads_its_statement(client, db, sales, login,
                                                           admin_user):
    merchant, owner, card, counter = sales
    payout = make(merchant, admin_user)
    db.session.commit()
    login(owner.user)
    listing = client.get(f"/dashboard/{merchant.slug}/payouts").get_data(as_text=True)
    assert payout.code in listing and "Vietcombank" in listing
    page = client.get(f"/dashboard/{merchant.slug}/payouts/{payout.id}").get_data(as_text=True)
    assert card.number in page and counter.number in page
    assert f"₫{payout.amount:,}" in page
    download = client.get(f"/dashboard/{merchant.slug}/payouts/{payout.id}.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert sorted((r["order"], r["collected_by"]) for r in rows) == sorted(
        [(card.number, "platform"), (counter.number, "merchant")])


def test_merchant_b_never_sees_merchant_a_payout(client, db, sales, make_merchant, owner_of,
                                                 login, admin_user, api_token):
    merchant, _owner, _card, _counter = sales
    payout = make(merchant, admin_user)
    stranger = owner_of(make_merchant())
    token = api_token(stranger)
    db.session.commit()
    login(stranger.user)
    slug = stranger.merchant.slug
    for url in (f"/dashboard/{slug}/payouts/{payout.id}",
                f"/dashboard/{slug}/payouts/{payout.id}.csv",
                f"/dashboard/{merchant.slug}/payouts/{payout.id}",
                f"/dashboard/{merchant.slug}/payouts"):
        assert client.get(url).status_code == 404, url
    assert payout.code not in client.get(f"/dashboard/{slug}/payouts").get_data(as_text=True)
    headers = {"Authorization": f"Bearer {token}"}
    for url in (f"/api/v1/payouts/{payout.id}", f"/api/v1/payouts/{payout.id}/entries"):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 404 and answer.get_json()["code"] == "not_found", url
    assert client.get("/api/v1/payouts", headers=headers).get_json()["items"] == []


def test_payouts_and_account_through_the_api(client, db, sales, make_member, admin_user,
                                             api_token):
    merchant, owner, card, counter = sales
    payout = make(merchant, admin_user)
    headers = {"Authorization": f"Bearer {api_token(owner)}"}
    manager = {"Authorization": f"Bearer {api_token(make_member(merchant, role='manager'))}"}
    db.session.commit()
    items = client.get("/api/v1/payouts", headers=headers).get_json()["items"]
    assert [(i["id"], i["code"], i["state"], i["amount"]) for i in items] == [
        (payout.id, payout.code, "draft", expected_amount(card, counter))]
    one = client.get(f"/api/v1/payouts/{payout.id}", headers=headers).get_json()
    assert one["transfer_message"] == payout.transfer_message
    entries = client.get(f"/api/v1/payouts/{payout.id}/entries", headers=headers).get_json()
    assert sorted(e["order_id"] for e in entries["items"]) == sorted([card.id, counter.id])
    assert client.get("/api/v1/payouts", headers=manager).status_code == 403

    accounts = client.get("/api/v1/payout-accounts", headers=headers).get_json()["items"]
    assert [(a["currency"], a["bank_code"]) for a in accounts] == [("VND", "970436")]
    bad = client.put("/api/v1/payout-accounts", headers=headers,
                     json={"currency": "VND", "bank_code": "970436", "account_number": "1",
                           "holder": "ok"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"account_number"}
    good = client.put("/api/v1/payout-accounts", headers=headers,
                      json={"currency": "VND", "bank_code": "970407",
                            "account_number": "1903 1234 5678", "holder": "Trần Bình"})
    assert good.status_code == 200
    assert (good.get_json()["bank_name"], good.get_json()["holder"]) == ("Techcombank",
                                                                         "TRAN BINH")
    assert client.put("/api/v1/payout-accounts", headers=manager,
                      json=VND_ACCOUNT).status_code == 403
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).bank_code == "970436"  # made with the old one
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PayoutAccount)) == 1


# --- a payout method (the test plugin) ------------------------------------------------------------

@pytest.fixture
def papp(make_app, db):
    """An app whose only plugin is the test payout method."""
    app = make_app(**plugin_config(PAYOUTS))
    with app.app_context():
        module = current_platform().plugins["test_payouts"].module
    module.SENT.clear()
    module.REFUSAL.clear()
    yield app, module
    module.SENT.clear()
    module.REFUSAL.clear()


def admin_of(app, admin_user):
    client = app.test_client()
    response = client.post("/login", data={"email": admin_user.email,
                                           "password": "correct horse battery staple"})
    assert response.status_code == 303
    return client


def test_a_payout_method_pays_after_the_commit(papp, db, sales, admin_user):
    app, plugin = papp
    merchant, _owner, _card, _counter = sales
    payout = make(merchant, admin_user)
    db.session.commit()
    client = admin_of(app, admin_user)
    page = client.get(f"/admin/payouts/{payout.id}").get_data(as_text=True)
    assert "Test transfer (records, pays nobody)" in page
    sent = client.post(f"/admin/payouts/{payout.id}/send", data={"method": "test_transfer"})
    assert sent.status_code == 303
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).state == "sending" and plugin.SENT == []
    assert client.post(f"/admin/payouts/{payout.id}/cancel").status_code == 409
    with app.app_context():
        drain()
    asked = (payout.id, payout.code, payout.amount, "VND", "0071001234567",
             payout.transfer_message)
    assert [asked] == plugin.SENT
    db.session.expire_all()
    done = db.session.get(Payout, payout.id)
    assert (done.state, done.reference, done.method) == ("paid", f"TEST-{payout.code}",
                                                         "test_transfer")
    assert [h.actor_id for h in payouts.history(done)] == [admin_user.id, admin_user.id, None]
    with app.app_context():
        drain()
    assert len(plugin.SENT) == 1  # never twice


def test_a_refused_payout_goes_back_to_draft_with_the_reason(papp, db, sales, admin_user):
    app, plugin = papp
    merchant, _owner, _card, _counter = sales
    payout = make(merchant, admin_user)
    db.session.commit()
    plugin.REFUSAL.append("Tài khoản người nhận không hợp lệ")
    client = admin_of(app, admin_user)
    client.post(f"/admin/payouts/{payout.id}/send", data={"method": "test_transfer"})
    with app.app_context():
        drain()
    db.session.expire_all()
    back = db.session.get(Payout, payout.id)
    assert (back.state, back.failure) == ("draft", "Tài khoản người nhận không hợp lệ")
    assert "Tài khoản người nhận không hợp lệ" in client.get(
        f"/admin/payouts/{payout.id}").get_data(as_text=True)
    assert set(live_rows(db, merchant).values()) == {payout.id}  # still this batch's rows
    assert client.post(f"/admin/payouts/{payout.id}/send",
                       data={"method": "no_such_method"}).status_code == 422


def test_an_exported_batch_cannot_go_to_a_payout_method(papp, db, sales, admin_user):
    app, plugin = papp
    merchant, _owner, _card, _counter = sales
    payout = make(merchant, admin_user)
    payouts.export([payout.id], actor=admin_user)
    db.session.commit()
    client = admin_of(app, admin_user)
    answer = client.post(f"/admin/payouts/{payout.id}/send", data={"method": "test_transfer"})
    assert answer.status_code == 409
    with app.app_context():
        drain()
    assert plugin.SENT == []
