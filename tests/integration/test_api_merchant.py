"""The merchant's profile through the API (owners only)."""

from __future__ import annotations

import pytest


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == code
    return response.get_json()


@pytest.fixture
def merchant(make_merchant):
    return make_merchant(name="Cà phê Sáng")


def test_owner_updates_the_profile(client, db, merchant, owner_of, api_token):
    owner = bearer(api_token(owner_of(merchant)))
    response = client.patch("/api/v1/merchant", headers=owner, json={
        "description": "Cà phê rang xay", "phone": "0909 888 777",
        "contact_email": "Lien.He@CaPheSang.vn"})
    assert response.status_code == 200, response.get_json()
    profile = response.get_json()
    assert profile["name"] == "Cà phê Sáng"  # untouched
    assert profile["description"] == "Cà phê rang xay"
    assert profile["contact_email"] == "lien.he@caphesang.vn"
    assert client.get("/api/v1/merchant", headers=owner).get_json() == profile
    db.session.expire_all()
    assert merchant.phone == "0909 888 777"


@pytest.mark.parametrize(("body", "field"), [
    ({"contact_email": "nope"}, "contact_email"),
    ({"name": ""}, "name"),
    ({"slug": "Có Dấu"}, "slug"),
    ({"default_currency": "ABC"}, "default_currency"),
    ({"phone": 123}, "phone"),
    ({"status": "approved"}, "status"),  # not the merchant's to set
    ({"commission_bp": 0}, "commission_bp"),
])
def test_invalid_profile_is_422_and_changes_nothing(client, db, merchant, owner_of, api_token,
                                                    body, field):
    owner = bearer(api_token(owner_of(merchant)))
    before = client.get("/api/v1/merchant", headers=owner).get_json()
    response = client.patch("/api/v1/merchant", headers=owner, json={"description": "x"} | body)
    assert field in assert_problem(response, 422, "validation_failed")["errors"]
    assert client.get("/api/v1/merchant", headers=owner).get_json() == before


def test_slug_taken_is_409(client, merchant, owner_of, api_token, make_merchant):
    other = make_merchant()
    owner = bearer(api_token(owner_of(merchant)))
    response = client.patch("/api/v1/merchant", headers=owner, json={"slug": other.slug})
    assert "slug" in assert_problem(response, 409, "conflict")["errors"]


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_only_owners_change_the_profile(client, db, merchant, make_member, api_token, role):
    token = bearer(api_token(make_member(merchant, role=role)))
    assert client.get("/api/v1/merchant", headers=token).status_code == 200
    response = client.patch("/api/v1/merchant", headers=token, json={"name": "Đổi tên"})
    assert_problem(response, 403, "permission_denied")
    db.session.expire_all()
    assert merchant.name == "Cà phê Sáng"
