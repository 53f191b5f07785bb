"""Dashboard API tokens: created with the secret shown once, only a hash kept, revocable, and
nobody else's tokens are visible or revocable."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import PersonalAccessToken
from marketplace.database import utcnow
from marketplace.security import hash_token


@pytest.fixture
def shop(db, make_merchant, make_user):
    merchant = make_merchant(owner=make_user(locale="en"))
    db.session.commit()
    return merchant


@pytest.fixture
def base(shop):
    return f"/dashboard/{shop.slug}/tokens"


def tokens_of(db, user) -> list[PersonalAccessToken]:
    return list(db.session.scalars(sa.select(PersonalAccessToken).where(
        PersonalAccessToken.user_id == user.id)))


def test_token_is_shown_once_and_only_its_hash_is_kept(as_owner, db, shop, owner, base):
    response = as_owner.post(base, data={"name": "Đồng bộ POS", "expires_in_days": "30"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    plaintext = re.search(r'<p class="secret">(mkp_[^<]+)</p>', html).group(1)
    assert f"Authorization: Bearer {plaintext}" in html and "/api/v1/docs" in html

    [token] = tokens_of(db, owner.user)
    assert token.token_hash == hash_token(plaintext) and token.merchant_id == shop.id
    assert token.name == "Đồng bộ POS" and plaintext.startswith(token.token_prefix)
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
    for row in db.session.execute(sa.select(PersonalAccessToken.__table__)).all():
        assert all(plaintext not in str(value) for value in row)
    assert not any(plaintext in c.value for c in as_owner._cookies.values())

    # it works against the API, and the list page never shows it again
    me = as_owner.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"})
    assert me.status_code == 200
    listed = as_owner.get(base)
    assert listed.status_code == 200
    page = listed.get_data(as_text=True)
    assert plaintext not in page and "Đồng bộ POS" in page and token.token_prefix in page


def test_bad_token_input_creates_nothing(as_owner, db, owner, base):
    for form in ({"name": ""}, {"name": "x", "expires_in_days": "0"},
                 {"name": "x", "expires_in_days": "soon"}, {"name": "x" * 81}):
        assert as_owner.post(base, data=form).status_code == 422, form
    assert tokens_of(db, owner.user) == []


def test_token_without_expiry(as_owner, db, owner, base):
    assert as_owner.post(base, data={"name": "Mãi mãi"}).status_code == 200
    [token] = tokens_of(db, owner.user)
    assert token.expires_at is None


def test_revoke_own_token(as_owner, db, owner, base, api_token):
    plaintext = api_token(owner, name="Bảng tính")
    db.session.commit()
    [token] = tokens_of(db, owner.user)
    assert as_owner.post(f"{base}/{token.id}/revoke").status_code == 303
    db.session.refresh(token)
    assert token.revoked_at is not None
    assert as_owner.get("/api/v1/me", headers={
        "Authorization": f"Bearer {plaintext}"}).status_code == 401


def test_other_peoples_tokens_are_404(as_owner, db, shop, owner, base, make_member,
                                      make_merchant, owner_of, api_token):
    colleague = make_member(shop, role="manager")
    api_token(colleague, name="của đồng nghiệp")
    elsewhere = make_merchant(owner=owner.user)  # the same person at another merchant
    api_token(owner_of(elsewhere), name="cửa hàng khác")
    db.session.commit()
    page = as_owner.get(base).get_data(as_text=True)
    assert "của đồng nghiệp" not in page and "cửa hàng khác" not in page
    for token in db.session.scalars(sa.select(PersonalAccessToken)):
        assert as_owner.post(f"{base}/{token.id}/revoke").status_code == 404
        assert token.revoked_at is None
    assert as_owner.post(f"{base}/{2**40}/revoke").status_code == 404


def test_staff_may_create_tokens_for_themselves(client, db, shop, base, make_member, login):
    staff = make_member(shop, role="staff")
    db.session.commit()
    login(staff.user)
    assert client.post(base, data={"name": "Máy quét"}).status_code == 200
    [token] = tokens_of(db, staff.user)
    assert token.merchant_id == shop.id
