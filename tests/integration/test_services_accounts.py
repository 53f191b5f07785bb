"""Accounts: registration, authentication, passwords and personal access tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts import services as accounts
from marketplace.accounts.models import PersonalAccessToken, User
from marketplace.cli import main
from marketplace.database import utcnow
from marketplace.errors import AuthenticationFailed, Conflict, ValidationError
from marketplace.security import hash_token
from tests.factories import PASSWORD


def users_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_register_stores_an_argon2id_hash_never_the_password(db):
    user = accounts.register_user(email="an@example.vn", password=PASSWORD, full_name="An")
    stored = db.session.scalar(sa.select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert user.session_version == 1


def test_register_normalizes_the_email(db):
    user = accounts.register_user(email="  Chi.Nguyen@Example.VN ", password=PASSWORD,
                                  full_name="Chi")
    assert user.email == "chi.nguyen@example.vn"
    assert accounts.find_user_by_email("CHI.NGUYEN@example.vn ") is user


def test_register_duplicate_email_is_a_conflict_even_with_other_case(db):
    accounts.register_user(email="binh@example.vn", password=PASSWORD, full_name="Bình")
    before = users_count(db)
    with pytest.raises(Conflict) as info:
        accounts.register_user(email="BINH@example.vn", password=PASSWORD, full_name="Bình 2")
    assert "email" in info.value.fields
    assert users_count(db) == before


@pytest.mark.parametrize("password", ["", "short", "123456789", None])
def test_register_refuses_weak_passwords(db, password):
    before = users_count(db)
    with pytest.raises(ValidationError) as info:
        accounts.register_user(email="weak@example.vn", password=password, full_name="W")
    assert set(info.value.fields) == {"password"}
    assert users_count(db) == before


@pytest.mark.parametrize("email", ["", "not-an-email", "a@", "@example.vn"])
def test_register_refuses_bad_emails(db, email):
    with pytest.raises(ValidationError) as info:
        accounts.register_user(email=email, password=PASSWORD, full_name="X")
    assert "email" in info.value.fields


def test_authenticate_accepts_the_right_password_and_records_the_login(db, make_user):
    user = make_user(email="dung@example.vn")
    assert user.last_login_at is None
    assert accounts.authenticate(email="Dung@Example.vn", password=PASSWORD) is user
    assert user.last_login_at is not None


def test_wrong_password_and_unknown_email_fail_the_same_way(db, make_user):
    make_user(email="giang@example.vn")
    with pytest.raises(AuthenticationFailed) as wrong_password:
        accounts.authenticate(email="giang@example.vn", password="wrong password!!")
    with pytest.raises(AuthenticationFailed) as unknown_email:
        accounts.authenticate(email="nobody@example.vn", password=PASSWORD)
    assert str(wrong_password.value.message) == str(unknown_email.value.message)
    assert wrong_password.value.fields == unknown_email.value.fields == {}
    assert wrong_password.value.status == unknown_email.value.status == 401


def test_disabled_account_cannot_log_in(db, make_user):
    user = make_user(email="ha@example.vn")
    user.is_enabled = False
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(email="ha@example.vn", password=PASSWORD)


def test_change_password_bumps_the_session_version(db, make_user):
    user = make_user()
    old_id = user.get_id()
    accounts.change_password(user, current=PASSWORD, new="a brand new passphrase")
    assert user.session_version == 2
    assert user.get_id() != old_id
    assert user.password_hash.startswith("$argon2id$")
    assert accounts.authenticate(email=user.email, password="a brand new passphrase") is user
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(email=user.email, password=PASSWORD)


def test_change_password_errors_change_nothing(db, make_user):
    user = make_user()
    old_hash = user.password_hash
    with pytest.raises(ValidationError) as wrong:
        accounts.change_password(user, current="not my password", new="a brand new passphrase")
    assert "current_password" in wrong.value.fields
    with pytest.raises(ValidationError) as weak:
        accounts.change_password(user, current=PASSWORD, new="short")
    assert "new_password" in weak.value.fields
    assert user.password_hash == old_hash
    assert user.session_version == 1


def test_create_admin_creates_or_promotes(db, make_user):
    admin = accounts.create_admin(email="root@example.vn", password=PASSWORD, full_name="Root")
    assert admin.is_platform_admin
    existing = make_user(email="lan@example.vn")
    promoted = accounts.create_admin(email="LAN@example.vn", password="another good one",
                                     full_name="ignored")
    assert promoted is existing and promoted.is_platform_admin
    assert accounts.authenticate(email="lan@example.vn", password="another good one") is existing


# --- personal access tokens -------------------------------------------------------------------

def test_token_plaintext_is_returned_once_and_only_its_sha256_is_stored(db, make_merchant,
                                                                       owner_of):
    membership = owner_of(make_merchant())
    token, plaintext = accounts.create_token(user=membership.user,
                                             merchant_id=membership.merchant_id, name="POS")
    assert plaintext.startswith("mkp_")
    assert len(plaintext) > 40
    row = db.session.execute(sa.select(PersonalAccessToken.__table__)
                             .where(PersonalAccessToken.id == token.id)).one()
    assert row.token_hash == hash_token(plaintext)
    assert len(row.token_hash) == 64
    assert plaintext not in {str(v) for v in row}
    assert row.token_prefix == plaintext[:12]
    assert accounts.token_from_plaintext(plaintext) == token
    assert token.last_used_at is not None


def test_unknown_or_malformed_tokens_are_rejected(db):
    for bad in ["", "nonsense", "mkp_" + "x" * 43, "inv_abc"]:
        with pytest.raises(AuthenticationFailed):
            accounts.token_from_plaintext(bad)


def test_revoked_token_is_rejected(db, make_merchant, owner_of):
    membership = owner_of(make_merchant())
    token, plaintext = accounts.create_token(user=membership.user,
                                             merchant_id=membership.merchant_id, name="x")
    accounts.revoke_token(token)
    assert token.revoked_at is not None
    with pytest.raises(AuthenticationFailed):
        accounts.token_from_plaintext(plaintext)


def test_expired_token_is_rejected(db, make_merchant, owner_of):
    membership = owner_of(make_merchant())
    token, plaintext = accounts.create_token(user=membership.user,
                                             merchant_id=membership.merchant_id, name="x",
                                             expires_in_days=1)
    assert accounts.token_from_plaintext(plaintext) == token
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    with pytest.raises(AuthenticationFailed):
        accounts.token_from_plaintext(plaintext)


def test_token_of_a_disabled_user_is_rejected(db, make_merchant, owner_of):
    membership = owner_of(make_merchant())
    _token, plaintext = accounts.create_token(user=membership.user,
                                              merchant_id=membership.merchant_id, name="x")
    membership.user.is_enabled = False
    with pytest.raises(AuthenticationFailed):
        accounts.token_from_plaintext(plaintext)


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_token_expiry_bounds(db, make_merchant, owner_of, days):
    membership = owner_of(make_merchant())
    with pytest.raises(ValidationError) as info:
        accounts.create_token(user=membership.user, merchant_id=membership.merchant_id,
                              name="x", expires_in_days=days)
    assert "expires_in_days" in info.value.fields


def test_token_needs_a_name(db, make_merchant, owner_of):
    membership = owner_of(make_merchant())
    with pytest.raises(ValidationError) as info:
        accounts.create_token(user=membership.user, merchant_id=membership.merchant_id,
                              name="  ")
    assert "name" in info.value.fields


def test_errors_render_outside_a_request_like_in_the_cli(app, db):
    """A service error raised in a CLI command (no request, so no session or Accept-Language)
    still has a readable message."""
    result = app.test_cli_runner().invoke(
        main, args=["create-admin", "--email", "cli@example.vn", "--password", "short"])
    assert result.exit_code != 0
    assert "password" in result.output and "10" in result.output
    assert accounts.find_user_by_email("cli@example.vn") is None
    ok = app.test_cli_runner().invoke(
        main, args=["create-admin", "--email", "cli@example.vn", "--password", PASSWORD])
    assert ok.exit_code == 0, ok.output
    assert accounts.find_user_by_email("cli@example.vn").is_platform_admin
