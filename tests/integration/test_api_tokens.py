"""The caller's own tokens: listed without secrets, revocable; other people's are 404."""

from __future__ import annotations

from marketplace.accounts import services as accounts
from marketplace.accounts.models import PersonalAccessToken


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_list_and_revoke_own_tokens(client, db, make_merchant, owner_of):
    merchant = make_merchant()
    owner = owner_of(merchant)
    current, current_secret = accounts.create_token(user=owner.user, merchant_id=merchant.id,
                                                    name="máy POS")
    spare, spare_secret = accounts.create_token(user=owner.user, merchant_id=merchant.id,
                                                name="kế toán", expires_in_days=30)
    other_merchant = make_merchant(owner=owner.user)
    accounts.create_token(user=owner.user, merchant_id=other_merchant.id, name="other shop")
    db.session.commit()

    response = client.get("/api/v1/tokens", headers=bearer(current_secret))
    assert response.status_code == 200
    tokens = response.get_json()["items"]
    assert [(t["id"], t["name"], t["current"]) for t in tokens] == [
        (spare.id, "kế toán", False), (current.id, "máy POS", True)]
    assert tokens[0]["expires_at"] and tokens[0]["token_prefix"] == spare_secret[:12]
    text = response.get_data(as_text=True)
    assert spare_secret not in text and spare.token_hash not in text and "hash" not in text

    assert client.delete(f"/api/v1/tokens/{spare.id}",
                         headers=bearer(current_secret)).status_code == 204
    assert db.session.get(PersonalAccessToken, spare.id).revoked_at is not None
    assert client.get("/api/v1/me", headers=bearer(spare_secret)).status_code == 401
    # Revoking the token in use works, and it stops working at once.
    assert client.delete(f"/api/v1/tokens/{current.id}",
                         headers=bearer(current_secret)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(current_secret)).status_code == 401


def test_other_peoples_tokens_are_404(client, db, make_merchant, owner_of, make_member,
                                      api_token):
    merchant = make_merchant()
    colleague = make_member(merchant, role="manager")
    theirs, their_secret = accounts.create_token(user=colleague.user, merchant_id=merchant.id,
                                                 name="colleague")
    mine = bearer(api_token(owner_of(merchant)))
    assert [t["name"] for t in client.get("/api/v1/tokens", headers=mine).get_json()[
        "items"]] == ["test token"]
    response = client.delete(f"/api/v1/tokens/{theirs.id}", headers=mine)
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
    assert db.session.get(PersonalAccessToken, theirs.id).revoked_at is None
    assert client.get("/api/v1/me", headers=bearer(their_secret)).status_code == 200
