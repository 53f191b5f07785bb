"""Dashboard staff: members, roles and stores, invitations by e-mail, and the rules about owners."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from marketplace.merchants import services as merchants
from marketplace.merchants.models import Invitation, Membership
from marketplace.outbox.models import OutboxMessage
from marketplace.security import hash_token


def mails(db) -> list[dict]:
    return [m.payload for m in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.topic == "mail.send")
        .order_by(OutboxMessage.id))]


@pytest.fixture
def shop(db, make_merchant, make_user):
    merchant = make_merchant(owner=make_user(locale="en"), name="Giày Bình Tiên")
    db.session.commit()
    return merchant


@pytest.fixture
def base(shop):
    return f"/dashboard/{shop.slug}/staff"


def test_page_lists_members_with_roles_and_stores(as_owner, db, shop, base, make_member,
                                                  make_store, make_user):
    store = make_store(shop, name="Chi nhánh Quận 3")
    make_member(shop, role="staff", stores_=[store],
                user=make_user(email="thu.ngan@example.vn", full_name="Lê Thu Ngân"))
    db.session.commit()
    response = as_owner.get(base)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Lê Thu Ngân" in html and "thu.ngan@example.vn" in html
    assert "Chi nhánh Quận 3" in html and "All stores" in html  # the owner sees all stores


def test_change_role_and_stores(as_owner, db, shop, base, make_member, make_store):
    first, second = make_store(shop), make_store(shop)
    member = make_member(shop, role="staff")
    db.session.commit()
    response = as_owner.post(f"{base}/{member.id}",
                             data={"role": "manager", "store_ids": [str(first.id),
                                                                     str(second.id)]})
    assert response.status_code == 303
    db.session.refresh(member)
    assert member.role == "manager" and not member.all_stores
    assert {s.id for s in member.stores} == {first.id, second.id}
    # no store ticked: all stores again
    assert as_owner.post(f"{base}/{member.id}", data={"role": "staff"}).status_code == 303
    db.session.refresh(member)
    assert member.all_stores and member.stores == []


def test_bad_role_or_store_changes_nothing(as_owner, db, shop, base, make_member,
                                           make_merchant, make_store):
    member = make_member(shop, role="staff")
    foreign_store = make_store(make_merchant())
    db.session.commit()
    assert as_owner.post(f"{base}/{member.id}", data={"role": "emperor"}).status_code == 422
    response = as_owner.post(f"{base}/{member.id}", data={
        "role": "manager", "store_ids": [str(foreign_store.id)]})
    assert response.status_code == 422
    assert as_owner.post(f"{base}/{member.id}", data={
        "role": "manager", "store_ids": ["abc"]}).status_code == 422
    db.session.refresh(member)
    assert member.role == "staff" and member.all_stores


def test_remove_member(as_owner, db, shop, base, make_member):
    member = make_member(shop, role="staff")
    db.session.commit()
    assert as_owner.post(f"{base}/{member.id}/delete").status_code == 303
    assert db.session.get(Membership, member.id) is None


def test_last_owner_cannot_be_removed_or_demoted(as_owner, db, shop, base, owner):
    response = as_owner.post(f"{base}/{owner.id}/delete")
    assert response.status_code == 409
    response = as_owner.post(f"{base}/{owner.id}", data={"role": "manager"})
    assert response.status_code == 409
    db.session.refresh(owner)
    assert db.session.get(Membership, owner.id) is not None and owner.role == "owner"


def test_manager_cannot_touch_owners_or_make_owners(client, db, shop, base, owner, make_member,
                                                    login):
    manager = make_member(shop, role="manager")
    staff = make_member(shop, role="staff")
    db.session.commit()
    login(manager.user)
    html = client.get(base).get_data(as_text=True)
    assert f'action="{base}/{owner.id}"' not in html  # no form for the owner's row
    assert f'action="{base}/{staff.id}"' in html
    assert client.post(f"{base}/{owner.id}/delete").status_code == 403
    assert client.post(f"{base}/{staff.id}", data={"role": "owner"}).status_code == 403
    response = client.post(f"{base}/invitations", data={"email": "sep@example.vn",
                                                        "role": "owner"})
    assert response.status_code == 403
    db.session.refresh(staff)
    assert staff.role == "staff" and db.session.get(Membership, owner.id) is not None
    assert db.session.scalars(sa.select(Invitation)).first() is None


def test_staff_role_cannot_open_the_staff_page(client, db, shop, base, make_member, login):
    staff = make_member(shop, role="staff")
    db.session.commit()
    login(staff.user)
    assert client.get(base).status_code == 403
    assert client.post(f"{base}/invitations", data={"email": "a@example.vn",
                                                    "role": "staff"}).status_code == 403


def test_invitation_mails_the_link_and_stores_only_its_hash(as_owner, db, shop, base,
                                                            make_store):
    store = make_store(shop, name="Chi nhánh Hà Đông")
    db.session.commit()
    response = as_owner.post(f"{base}/invitations", data={
        "email": "Nhan.Vien@Example.vn", "role": "staff", "store_ids": [str(store.id)]})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    link = re.search(r'id="invite-url">([^<]+)<', html).group(1)
    token = link.rsplit("/", 1)[1]
    assert link.startswith("http") and token.startswith("inv_")

    invitation = db.session.scalars(sa.select(Invitation).where(
        Invitation.merchant_id == shop.id)).one()
    assert invitation.email == "nhan.vien@example.vn" and invitation.role == "staff"
    assert invitation.store_ids == [store.id] and not invitation.all_stores
    assert invitation.token_hash == hash_token(token)
    # the secret is nowhere in the invitations table
    for row in db.session.execute(sa.select(Invitation.__table__)).all():
        assert all(token not in str(value) for value in row)
    # nor in the session cookie (no flash, no redirect)
    assert not any(token in c.value for c in as_owner._cookies.values())

    [mail] = mails(db)
    assert mail["to"] == "nhan.vien@example.vn"
    assert link in mail["body"] and shop.name in mail["body"]
    assert shop.name in mail["subject"]

    # the link works: it opens the acceptance page
    assert as_owner.get(f"/invitations/{token}").status_code == 200
    # and the open invitation is listed on the staff page
    open_list = as_owner.get(base).get_data(as_text=True).split('id="invitations"')[1]
    assert "nhan.vien@example.vn" in open_list


def test_bad_invitation_creates_and_sends_nothing(as_owner, db, shop, base, make_member,
                                                  make_user):
    make_member(shop, user=make_user(email="da.co@example.vn"))
    db.session.commit()
    for form, status in (({"email": "not-an-email", "role": "staff"}, 422),
                         ({"email": "moi@example.vn", "role": "boss"}, 422),
                         ({"email": "da.co@example.vn", "role": "staff"}, 409)):
        response = as_owner.post(f"{base}/invitations", data=form)
        assert response.status_code == status, form
        assert f'value="{form["email"]}"' in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Invitation)).first() is None
    assert mails(db) == []


def test_revoke_invitation(as_owner, db, shop, base, owner):
    invitation, token = merchants.invite_staff(shop, actor=owner, email="tam@example.vn",
                                               role="staff", ttl_hours=72)
    db.session.commit()
    response = as_owner.post(f"{base}/invitations/{invitation.id}/revoke")
    assert response.status_code == 303
    db.session.refresh(invitation)
    assert invitation.revoked_at is not None
    open_list = as_owner.get(base).get_data(as_text=True).split('id="invitations"')[1]
    assert "tam@example.vn" not in open_list
    assert as_owner.get(f"/invitations/{token}").status_code == 404


def test_store_limited_manager_hands_out_only_their_stores(client, db, shop, base, make_store,
                                                           make_member, login):
    mine, other = make_store(shop, name="Cửa hàng của tôi"), make_store(shop, name="Kho khác")
    manager = make_member(shop, role="manager", stores_=[mine])
    db.session.commit()
    login(manager.user)
    html = client.get(base).get_data(as_text=True)
    assert f'value="{mine.id}"' in html and f'value="{other.id}"' not in html
    response = client.post(f"{base}/invitations", data={
        "email": "b@example.vn", "role": "staff", "store_ids": [str(other.id)]})
    assert response.status_code == 403
    response = client.post(f"{base}/invitations", data={
        "email": "b@example.vn", "role": "staff", "store_ids": [str(mine.id)]})
    assert response.status_code == 200
    assert db.session.scalars(sa.select(Invitation.store_ids)).one() == [mine.id]


def test_another_merchants_member_is_404(as_owner, db, base, make_merchant, make_member):
    theirs = make_member(make_merchant(), role="staff")
    db.session.commit()
    assert as_owner.post(f"{base}/{theirs.id}/delete").status_code == 404
    assert db.session.get(Membership, theirs.id) is not None
