"""Accounts: registration, login, passwords and personal access tokens."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ..database import utcnow
from ..errors import AuthenticationFailed, Conflict, ValidationError
from ..extensions import db
from ..security import hash_password, hash_token, new_token, password_needs_rehash, verify_password
from ..validation import optional_text, required_text, valid_email, valid_phone
from .models import PersonalAccessToken, User

MIN_PASSWORD = 10
TOKEN_PREFIX = "mkp"  # noqa: S105 - a label, not a secret


def validate_password(password: str, field: str = "password") -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationError.field(field, _l("Use at least %(n)d characters.", n=MIN_PASSWORD))
    if len(password) > 1024:
        raise ValidationError.field(field, _l("At most %(n)d characters.", n=1024))
    return password


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(sa.select(User).where(User.email == email.strip().lower())).first()


def register_user(*, email: str, password: str, full_name: str, phone: str | None = None,
                  locale: str | None = None) -> User:
    email = valid_email(email)
    full_name = required_text(full_name, "full_name", max_length=120)
    phone = valid_phone(phone)
    validate_password(password)
    if find_user_by_email(email) is not None:
        raise Conflict(_l("An account with this e-mail already exists."),
                       fields={"email": [_l("An account with this e-mail already exists.")]})
    user = User(email=email, password_hash=hash_password(password), full_name=full_name,
                phone=phone, locale=optional_text(locale, "locale", max_length=10))
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(*, email: str, password: str) -> User:
    """Return the user for a correct e-mail and password; one vague error for everything else."""
    user = find_user_by_email(email or "")
    if not verify_password(user.password_hash if user else None, password or "") or (
            user is None or not user.is_enabled):
        raise AuthenticationFailed(_l("Wrong e-mail or password."))
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def change_password(user: User, *, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current or ""):
        raise ValidationError.field("current_password", _l("The current password is wrong."))
    user.password_hash = hash_password(validate_password(new, "new_password"))
    user.session_version += 1  # log out every other session


def create_admin(*, email: str, password: str, full_name: str) -> User:
    """Create a platform admin, or promote the existing account with that e-mail."""
    user = find_user_by_email(valid_email(email))
    if user is None:
        user = register_user(email=email, password=password, full_name=full_name)
    else:
        user.password_hash = hash_password(validate_password(password))
    user.is_platform_admin = True
    db.session.flush()
    return user


def create_token(*, user: User, merchant_id: int, name: str,
                 expires_in_days: int | None = None) -> tuple[PersonalAccessToken, str]:
    """Create a token; the plaintext is returned once and never stored."""
    name = required_text(name, "name", max_length=80)
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise ValidationError.field("expires_in_days", _l("Between 1 and 3650 days."))
    plaintext = new_token(TOKEN_PREFIX)
    token = PersonalAccessToken(
        user_id=user.id, merchant_id=merchant_id, name=name,
        token_prefix=plaintext[:12], token_hash=hash_token(plaintext),
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.session.add(token)
    db.session.flush()
    return token, plaintext


def revoke_token(token: PersonalAccessToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()


def token_from_plaintext(plaintext: str) -> PersonalAccessToken:
    """The valid token row for a presented secret, or ``AuthenticationFailed``."""
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX + "_"):
        raise AuthenticationFailed(_l("Invalid or expired token."))
    token = db.session.scalars(
        sa.select(PersonalAccessToken).options(joinedload(PersonalAccessToken.user))
        .where(PersonalAccessToken.token_hash == hash_token(plaintext))).first()
    now = utcnow()
    if token is None or not token.is_valid(now) or not token.user.is_enabled:
        raise AuthenticationFailed(_l("Invalid or expired token."))
    # Write last-use at most once a minute: a busy integration should not write every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token
