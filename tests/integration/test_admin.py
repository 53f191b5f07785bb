"""Platform admin: merchant review, status changes with reasons and e-mails, commissions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.merchants import services as merchants
from marketplace.merchants.models import MerchantStatusChange
from marketplace.outbox.models import OutboxMessage
from marketplace.web.admin import basis_points_to_percent, percent_to_basis_points


def mails(db) -> list[dict]:
    return [m.payload for m in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.topic == "mail.send")
        .order_by(OutboxMessage.id))]


def history(db, merchant) -> list[MerchantStatusChange]:
    return list(db.session.scalars(sa.select(MerchantStatusChange).where(
        MerchantStatusChange.merchant_id == merchant.id).order_by(MerchantStatusChange.id)))


@pytest.fixture
def as_admin(client, login, admin_user):
    login(admin_user)
    return client


@pytest.fixture
def pending(db, make_merchant, make_user):
    owner = make_user(email="chu.cuahang@example.vn", full_name="Trần Thị Bình", locale="en")
    merchant = make_merchant(owner=owner, name="Bánh Mì Cô Ba", approved=False)
    # Commit the set-up: a view that rolls back after an error must not take it along.
    db.session.commit()
    return merchant


def post_status(client, merchant, event, reason=None):
    data = {"event": event} | ({"reason": reason} if reason is not None else {})
    return client.post(f"/admin/merchants/{merchant.id}/status", data=data)


# --- access ------------------------------------------------------------------------------------

def test_non_admins_get_404_and_change_nothing(client, login, make_user, pending):
    assert client.get("/admin/").status_code in (302, 303)  # anonymous: log in first
    login(make_user())
    assert client.get("/admin/").status_code == 404
    assert client.get(f"/admin/merchants/{pending.id}").status_code == 404
    assert post_status(client, pending, "approve").status_code == 404
    response = client.post(f"/admin/merchants/{pending.id}/commission",
                           data={"commission_percent": "50"})
    assert response.status_code == 404
    assert pending.status == "pending" and pending.commission_bp == 1000


def test_unknown_merchant_is_404(as_admin):
    assert as_admin.get("/admin/merchants/999999").status_code == 404


# --- list and detail ---------------------------------------------------------------------------

def test_merchant_list_puts_pending_first_with_owner_email(as_admin, db, pending,
                                                           make_merchant):
    approved = make_merchant(name="Phở Hà Nội 1985")
    db.session.commit()
    html = as_admin.get("/admin/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "chu.cuahang@example.vn" in html
    assert html.index('id="status-pending"') < html.index('id="status-approved"')
    assert html.index("Bánh Mì Cô Ba") < html.index("Phở Hà Nội 1985")
    only_pending = as_admin.get("/admin/?status=pending").get_data(as_text=True)
    assert "Bánh Mì Cô Ba" in only_pending and approved.name not in only_pending


def test_detail_shows_counts_history_and_allowed_actions(as_admin, db, pending, admin_user,
                                                         make_store, make_listing):
    make_store(pending)
    make_listing(pending)
    make_listing(pending, publish=False)
    db.session.commit()
    html = as_admin.get(f"/admin/merchants/{pending.id}",
                        headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'name="event" value="approve"' in html and 'name="event" value="reject"' in html
    assert 'value="suspend"' not in html and 'value="reinstate"' not in html
    assert "2 (1 published)" in html
    merchants.change_status(pending, "approve", actor=admin_user, reason="Hồ sơ đầy đủ")
    db.session.commit()
    html = as_admin.get(f"/admin/merchants/{pending.id}").get_data(as_text=True)
    assert admin_user.email in html and "Hồ sơ đầy đủ" in html
    assert 'value="suspend"' in html and 'value="approve"' not in html


# --- status changes ----------------------------------------------------------------------------

def test_approve_changes_status_audits_and_mails_the_owner(as_admin, db, pending, admin_user):
    response = post_status(as_admin, pending, "approve")
    assert response.status_code == 303
    db.session.refresh(pending)
    assert pending.status == "approved" and pending.approved_at is not None
    (change,) = history(db, pending)
    assert (change.from_status, change.to_status, change.actor_id) == (
        "pending", "approved", admin_user.id)
    (mail,) = mails(db)
    assert mail["to"] == "chu.cuahang@example.vn"
    assert "Bánh Mì Cô Ba" in mail["subject"] and "approved" in mail["subject"]
    assert f"/m/{pending.slug}" in mail["body"] and "Trần Thị Bình" in mail["body"]
    assert as_admin.get(f"/m/{pending.slug}").status_code == 200


def test_reject_needs_a_reason(as_admin, db, pending):
    response = post_status(as_admin, pending, "reject", reason="  ")
    assert response.status_code == 422
    assert "Give a reason" in response.get_data(as_text=True)
    db.session.refresh(pending)
    assert pending.status == "pending" and history(db, pending) == [] and mails(db) == []

    response = post_status(as_admin, pending, "reject", reason="Thiếu giấy phép kinh doanh")
    assert response.status_code == 303
    db.session.refresh(pending)
    assert pending.status == "rejected"
    assert pending.status_reason == "Thiếu giấy phép kinh doanh"
    (mail,) = mails(db)
    assert "Thiếu giấy phép kinh doanh" in mail["body"]


def test_suspend_then_reinstate(as_admin, db, make_merchant, make_store):
    merchant = make_merchant(name="Trà Sữa Mây")
    store = make_store(merchant)
    db.session.commit()
    assert post_status(as_admin, merchant, "suspend").status_code == 422
    db.session.refresh(merchant)
    assert merchant.status == "approved"

    assert post_status(as_admin, merchant, "suspend", "Khiếu nại của khách").status_code == 303
    db.session.refresh(merchant)
    assert merchant.status == "suspended"
    assert as_admin.get(f"/m/{merchant.slug}/s/{store.slug}").status_code == 404

    assert post_status(as_admin, merchant, "reinstate").status_code == 303  # reason optional
    db.session.refresh(merchant)
    assert merchant.status == "approved" and merchant.status_reason is None
    assert [c.event for c in history(db, merchant)] == ["approve", "suspend", "reinstate"]
    assert len(mails(db)) == 2  # suspend and reinstate (the factory approved without mail)
    assert as_admin.get(f"/m/{merchant.slug}/s/{store.slug}").status_code == 200


@pytest.mark.parametrize("event", ["approve", "reinstate", "resubmit", "explode", ""])
def test_invalid_events_change_nothing(as_admin, db, make_merchant, event):
    merchant = make_merchant()  # already approved
    db.session.commit()
    before = len(history(db, merchant))
    response = post_status(as_admin, merchant, event, reason="thử")
    assert response.status_code == (409 if event in ("approve", "reinstate") else 422)
    db.session.refresh(merchant)
    assert merchant.status == "approved" and merchant.status_reason is None
    assert len(history(db, merchant)) == before and mails(db) == []


def test_every_owner_is_mailed(as_admin, db, pending, make_member):
    second = make_member(pending, role="owner").user
    make_member(pending, role="manager")  # managers are not told
    db.session.commit()
    post_status(as_admin, pending, "approve")
    assert sorted(m["to"] for m in mails(db)) == sorted(["chu.cuahang@example.vn", second.email])


# --- commission --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("12.5", 1250), ("12,34", 1234), ("0", 0), ("100", 10000), ("7 %", 700), ("15.50", 1550)])
def test_commission_is_converted_exactly(as_admin, db, make_merchant, text, expected):
    merchant = make_merchant()
    db.session.commit()
    response = as_admin.post(f"/admin/merchants/{merchant.id}/commission",
                             data={"commission_percent": text})
    assert response.status_code == 303
    db.session.refresh(merchant)
    assert merchant.commission_bp == expected


@pytest.mark.parametrize("text", ["abc", "101", "12.345", "-1", "NaN", "Infinity", "", "1e400"])
def test_bad_commission_changes_nothing(as_admin, db, make_merchant, text):
    merchant = make_merchant()
    db.session.commit()
    response = as_admin.post(f"/admin/merchants/{merchant.id}/commission",
                             data={"commission_percent": text})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    db.session.refresh(merchant)
    assert merchant.commission_bp == 1000


def test_percent_round_trip():
    assert [basis_points_to_percent(bp) for bp in (0, 1000, 1250, 1234, 10000)] == [
        "0", "10", "12.5", "12.34", "100"]
    assert percent_to_basis_points("0.01") == 1


def test_an_id_beyond_the_column_range_is_404_not_500(client, db, admin_user, login):
    db.session.commit()
    login(admin_user)
    assert client.get("/admin/merchants/100000000000000000000").status_code == 404
