"""The account pages: sign up, log in and out, merchant sign-up, language, invitations,
password change. Each checks what the page shows and what it changed (or did not)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.accounts.services import authenticate, find_user_by_email
from marketplace.merchants import services as merchants
from marketplace.merchants.models import Membership, Merchant
from tests.factories import PASSWORD

LANG = re.compile(r'<html lang="([a-z]+)"')


def page_lang(response) -> str:
    return LANG.search(response.get_data(as_text=True)).group(1)


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def users_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


# --- register ----------------------------------------------------------------------------------

def test_register_creates_the_account_and_logs_in(client, db):
    assert client.get("/register").status_code == 200
    response = client.post("/register", data={"email": "Moi@Example.vn", "full_name": "Người Mới",
                                              "phone": "0901 234 567", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    user = find_user_by_email("moi@example.vn")
    assert (user.full_name, user.phone) == ("Người Mới", "0901 234 567")
    assert signed_in(client)


@pytest.mark.parametrize(("data", "status", "field"), [
    ({"email": "taken@example.vn", "full_name": "X", "password": PASSWORD}, 409, "email"),
    ({"email": "new@example.vn", "full_name": "X", "password": "short"}, 422, "password"),
    ({"email": "not-an-email", "full_name": "X", "password": PASSWORD}, 422, "email"),
    ({"email": "new@example.vn", "full_name": "", "password": PASSWORD}, 422, "full_name"),
])
def test_register_errors_rerender_the_form_and_create_nothing(client, db, make_user, data,
                                                               status, field):
    make_user(email="taken@example.vn")
    db.session.commit()  # the view rolls back on the error: keep the set-up out of it
    before = users_count(db)
    response = client.post("/register", data=data)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f'id="e-{field}"' in html and 'aria-invalid="true"' in html
    assert f'value="{data["email"]}"' in html  # what was typed is kept (not the password)
    assert data["password"] not in html
    assert users_count(db) == before
    assert not signed_in(client)


# --- log in and out ----------------------------------------------------------------------------

def test_login_and_logout(client, db, make_user):
    user = make_user()
    assert client.get("/login").status_code == 200
    response = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert user.last_login_at is not None
    assert signed_in(client)
    assert client.post("/logout").status_code == 303
    assert not signed_in(client)


def test_member_lands_on_the_dashboard(client, db, make_merchant, owner_of):
    owner = owner_of(make_merchant())
    response = client.post("/login", data={"email": owner.user.email, "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/dashboard")


@pytest.mark.parametrize("email", ["known", "nobody@example.vn"])
def test_wrong_password_or_unknown_email_gives_401_and_sets_nothing(client, db, make_user,
                                                                     email):
    user = make_user()
    response = client.post("/login", data={"email": user.email if email == "known" else email,
                                           "password": "not the password"})
    assert response.status_code == 401
    assert 'role="alert"' in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" not in session  # the form's CSRF token is all the session holds
    assert user.last_login_at is None
    assert not signed_in(client)


def test_disabled_user_cannot_log_in_and_loses_the_session(client, db, make_user, login):
    user = make_user()
    login(user)
    user.is_enabled = False
    db.session.commit()
    assert not signed_in(client)
    assert client.post("/login", data={"email": user.email,
                                       "password": PASSWORD}).status_code == 401


def test_protected_page_redirects_to_login_with_next(client, db):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# --- merchant sign-up --------------------------------------------------------------------------

def test_merchant_signup_creates_a_pending_merchant_and_its_owner(client, db):
    response = client.post("/sell", data={
        "email": "chu@example.vn", "full_name": "Chủ Quán", "password": PASSWORD,
        "name": "Cà phê Sáng", "description": "Cà phê rang xay", "phone": "028 1234 5678"})
    assert response.status_code == 303
    merchant = db.session.scalars(sa.select(Merchant).where(Merchant.slug == "ca-phe-sang")).one()
    assert merchant.status == "pending" and merchant.commission_bp == 1000
    assert response.headers["Location"].endswith("/ca-phe-sang") or \
        "ca-phe-sang" in response.headers["Location"]
    owner = find_user_by_email("chu@example.vn")
    [membership] = merchant.memberships
    assert (membership.user_id, membership.role) == (owner.id, "owner")
    assert signed_in(client)


def test_logged_in_user_opens_a_merchant_without_a_new_account(client, db, make_user, login):
    user = make_user()
    login(user)
    before = users_count(db)
    response = client.post("/sell", data={"name": "Tiệm Bánh", "slug": "tiem-banh"})
    assert response.status_code == 303
    merchant = db.session.scalars(sa.select(Merchant).where(Merchant.slug == "tiem-banh")).one()
    assert merchant.memberships[0].user_id == user.id
    assert users_count(db) == before


def test_merchant_signup_errors_create_neither_user_nor_merchant(client, db, make_merchant):
    make_merchant(slug="da-co")
    db.session.commit()
    merchants_before = db.session.scalar(sa.select(sa.func.count()).select_from(Merchant))
    users_before = users_count(db)
    response = client.post("/sell", data={"email": "x@example.vn", "full_name": "X",
                                          "password": PASSWORD, "name": "Đã có",
                                          "slug": "da-co"})
    assert response.status_code == 409
    assert 'id="e-slug"' in response.get_data(as_text=True)
    assert users_count(db) == users_before  # the owner's account was rolled back too
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Merchant)) == \
        merchants_before
    assert not signed_in(client)


# --- language ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("accept", "lang"), [
    (None, "vi"), ("en-US,en;q=0.9", "en"), ("vi-VN,vi;q=0.9,en;q=0.8", "vi"),
    ("fr-FR,fr;q=0.9", "vi"), ("fr;q=1,en;q=0.5", "en"),
])
def test_language_from_accept_language(client, db, accept, lang):
    # The test client says "en" unless told otherwise; None stands for a browser that sends
    # no preference (an empty header), which gets the configured default.
    headers = {"Accept-Language": accept or ""}
    assert page_lang(client.get("/login", headers=headers)) == lang


def test_language_switch_is_kept_in_the_session_and_on_the_account(client, db, make_user,
                                                                  login):
    response = client.post("/language", data={"locale": "en", "next": "/register"})
    assert response.status_code == 303 and response.headers["Location"] == "/register"
    assert page_lang(client.get("/login", headers={"Accept-Language": "vi"})) == "en"
    client.post("/language", data={"locale": "de"})  # not offered: ignored
    assert page_lang(client.get("/login")) == "en"
    user = make_user()
    login(user)  # logging in starts a fresh session; the account's language is used
    client.post("/language", data={"locale": "vi", "next": "https://evil.example"})
    assert user.locale == "vi"
    other = login(user, with_client=client.application.test_client())
    assert page_lang(other.get("/account", headers={"Accept-Language": "en"})) == "vi"


def test_registration_keeps_the_chosen_language(client, db):
    client.post("/language", data={"locale": "en"})
    client.post("/register", data={"email": "lang@example.vn", "full_name": "L",
                                   "password": PASSWORD})
    assert find_user_by_email("lang@example.vn").locale == "en"


# --- invitations -------------------------------------------------------------------------------

@pytest.fixture
def invite(db, make_merchant, make_store, owner_of):
    merchant = make_merchant()
    store = make_store(merchant)

    def create(email, role="staff", stores=True):
        _inv, token = merchants.invite_staff(merchant, actor=owner_of(merchant), email=email,
                                             role=role, store_ids=[store.id] if stores else [],
                                             ttl_hours=72)
        db.session.commit()
        return merchant, store, token

    return create


def membership(db, merchant, user) -> Membership | None:
    return db.session.scalars(sa.select(Membership).where(
        Membership.merchant_id == merchant.id, Membership.user_id == user.id)).first()


def test_invitation_for_a_new_person_creates_the_account(client, db, invite):
    merchant, store, token = invite("nhanvien@example.vn")
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200 and 'name="full_name"' in page.get_data(as_text=True)
    refused = client.post(f"/invitations/{token}", data={"full_name": "Nhân Viên",
                                                         "password": "short"})
    assert refused.status_code == 422
    assert find_user_by_email("nhanvien@example.vn") is None
    response = client.post(f"/invitations/{token}", data={"full_name": "Nhân Viên",
                                                          "password": PASSWORD})
    assert response.status_code == 303
    assert merchant.slug in response.headers["Location"]
    user = find_user_by_email("nhanvien@example.vn")
    joined = membership(db, merchant, user)
    assert (joined.role, joined.store_ids) == ("staff", {store.id})
    assert signed_in(client)
    assert client.get(f"/invitations/{token}").status_code == 404  # used


def test_invitation_for_an_existing_account_needs_its_password(client, db, make_user, invite):
    user = make_user(email="cu@example.vn")
    merchant, _store, token = invite("cu@example.vn", role="manager", stores=False)  # commits
    page = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert 'name="password"' in page and 'name="full_name"' not in page
    for password in ("", "wrong password!"):
        response = client.post(f"/invitations/{token}", data={"password": password})
        assert response.status_code == 401
        assert membership(db, merchant, user) is None
    response = client.post(f"/invitations/{token}", data={"password": PASSWORD})
    assert response.status_code == 303
    assert membership(db, merchant, user).role == "manager"
    assert signed_in(client)


def test_invitation_while_logged_in(client, db, make_user, login, invite):
    merchant, _store, token = invite("dung@example.vn")
    stranger = make_user()
    db.session.commit()
    login(stranger)
    assert client.post(f"/invitations/{token}").status_code == 403
    assert membership(db, merchant, stranger) is None
    client.post("/logout")
    invited = make_user(email="dung@example.vn")
    login(invited)
    assert client.post(f"/invitations/{token}").status_code == 303
    assert membership(db, merchant, invited) is not None


@pytest.mark.parametrize("token", ["inv_nope", "x"])
def test_unknown_invitation_is_404(client, db, token):
    assert client.get(f"/invitations/{token}").status_code == 404
    assert client.post(f"/invitations/{token}", data={"password": PASSWORD}).status_code == 404


# --- password change ---------------------------------------------------------------------------

@pytest.mark.parametrize(("current", "new", "field"), [
    ("wrong password", "a new long passphrase", "current_password"),
    (PASSWORD, "short", "new_password"),
    ("", "a new long passphrase", "current_password"),
])
def test_password_change_errors_change_nothing(client, db, make_user, login, current, new,
                                               field):
    user = make_user()
    db.session.commit()
    login(user)
    response = client.post("/account", data={"current_password": current, "new_password": new})
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.session_version == 1
    assert authenticate(email=user.email, password=PASSWORD) is user
    assert signed_in(client)


def test_password_change_works_and_the_new_password_logs_in(client, db, make_user, login):
    user = make_user()
    login(user)
    response = client.post("/account", data={"current_password": PASSWORD,
                                             "new_password": "a new long passphrase"})
    assert response.status_code == 303
    assert signed_in(client)
    client.post("/logout")
    assert client.post("/login", data={"email": user.email,
                                       "password": PASSWORD}).status_code == 401
    assert client.post("/login", data={"email": user.email,
                                       "password": "a new long passphrase"}).status_code == 303
