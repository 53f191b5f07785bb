"""Staff and invitations through the API."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.merchants.models import Invitation, Membership
from marketplace.outbox.models import OutboxMessage
from marketplace.outbox.services import drain


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == code
    return response.get_json()


@pytest.fixture
def merchant(make_merchant):
    return make_merchant(name="Giày Sài Gòn")


@pytest.fixture
def owner(merchant, owner_of, api_token):
    return bearer(api_token(owner_of(merchant)))


def test_list_change_and_remove_staff(client, db, merchant, owner, make_member, make_store):
    store = make_store(merchant)
    member = make_member(merchant, role="staff")
    page = client.get("/api/v1/staff", headers=owner).get_json()
    assert [(m["role"], m["all_stores"]) for m in page["items"]] == [("owner", True),
                                                                     ("staff", True)]
    assert page["items"][1]["user"]["email"] == member.user.email

    response = client.patch(f"/api/v1/staff/{member.id}", headers=owner,
                            json={"role": "manager", "store_ids": [store.id]})
    assert response.status_code == 200, response.get_json()
    changed = response.get_json()
    assert (changed["role"], changed["all_stores"], changed["store_ids"]) == \
        ("manager", False, [store.id])
    # Leaving store_ids out keeps them; an empty list means every store.
    assert client.patch(f"/api/v1/staff/{member.id}", headers=owner,
                        json={"role": "staff"}).get_json()["store_ids"] == [store.id]
    assert client.patch(f"/api/v1/staff/{member.id}", headers=owner,
                        json={"store_ids": []}).get_json()["all_stores"] is True

    assert client.delete(f"/api/v1/staff/{member.id}", headers=owner).status_code == 204
    assert db.session.get(Membership, member.id) is None


def test_staff_rules_come_from_the_service(client, db, merchant, owner_of, owner, make_member,
                                           api_token):
    sole_owner = owner_of(merchant)
    response = client.delete(f"/api/v1/staff/{sole_owner.id}", headers=owner)
    assert_problem(response, 409, "conflict")
    response = client.patch(f"/api/v1/staff/{sole_owner.id}", headers=owner,
                            json={"role": "boss"})
    assert "role" in assert_problem(response, 422, "validation_failed")["errors"]
    manager = bearer(api_token(make_member(merchant, role="manager")))
    response = client.patch(f"/api/v1/staff/{sole_owner.id}", headers=manager,
                            json={"role": "staff"})
    assert_problem(response, 403, "permission_denied")
    assert db.session.get(Membership, sole_owner.id).role == "owner"
    staff = bearer(api_token(make_member(merchant, role="staff")))
    assert_problem(client.get("/api/v1/staff", headers=staff), 403, "permission_denied")
    assert_problem(client.get("/api/v1/invitations", headers=staff), 403, "permission_denied")


def test_invite_sends_the_mail_after_commit(app, client, db, merchant, owner, make_store):
    store = make_store(merchant)
    response = client.post("/api/v1/invitations", headers=owner, json={
        "email": "Lan.Nguyen@Example.vn", "role": "staff", "store_ids": [store.id]})
    assert response.status_code == 201, response.get_json()
    invitation = response.get_json()
    assert invitation["email"] == "lan.nguyen@example.vn"
    assert (invitation["status"], invitation["all_stores"], invitation["store_ids"]) == \
        ("open", False, [store.id])
    assert "token" not in str(invitation).lower().replace("token_", "")
    mail = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.topic == "mail.send")).all()
    assert [m.payload["to"] for m in mail] == ["lan.nguyen@example.vn"]
    assert "/invitations/inv_" in mail[0].payload["body"]
    assert "Giày Sài Gòn" in mail[0].payload["subject"]
    drain()
    db.session.refresh(mail[0])
    assert mail[0].status == "done"

    listed = client.get("/api/v1/invitations", headers=owner).get_json()["items"]
    assert [i["id"] for i in listed] == [invitation["id"]]
    assert client.delete(f"/api/v1/invitations/{invitation['id']}",
                         headers=owner).status_code == 204
    assert db.session.get(Invitation, invitation["id"]).revoked_at is not None
    assert client.get("/api/v1/invitations", headers=owner).get_json()["items"][0][
        "status"] == "revoked"


@pytest.mark.parametrize(("body", "field"), [
    ({"email": "not-an-email", "role": "staff"}, "email"),
    ({"email": "a@example.vn", "role": "king"}, "role"),
    ({"email": "a@example.vn"}, "role"),
    ({"email": "a@example.vn", "role": "staff", "store_ids": [999999]}, "store_ids"),
])
def test_invalid_invitation_is_422_and_sends_nothing(client, db, owner, body, field):
    response = client.post("/api/v1/invitations", headers=owner, json=body)
    assert field in assert_problem(response, 422, "validation_failed")["errors"]
    assert db.session.query(Invitation).count() == 0
    assert db.session.query(OutboxMessage).filter_by(topic="mail.send").count() == 0


def test_inviting_a_member_again_is_409(client, db, merchant, owner, make_member):
    member = make_member(merchant)
    response = client.post("/api/v1/invitations", headers=owner,
                           json={"email": member.user.email, "role": "staff"})
    assert "email" in assert_problem(response, 409, "conflict")["errors"]
    assert db.session.query(OutboxMessage).filter_by(topic="mail.send").count() == 0
