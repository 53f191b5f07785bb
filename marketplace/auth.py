"""Who is asking: a session (web pages) or a personal access token (the API)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import Flask, abort, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .accounts.models import User
from .errors import AuthenticationFailed, PermissionDenied
from .extensions import db, login_manager
from .merchants.models import Membership, Merchant


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(user_id: str):
        try:
            ident, version = (int(x) for x in user_id.split("."))
        except ValueError:
            return None
        user = db.session.get(User, ident)
        if user is None or user.session_version != version:
            return None  # the password changed since this session was made
        return user


def admin_required(view):
    """Platform admins only; anyone else gets 404 so the admin area is not advertised."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        if not current_user.is_platform_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class ApiPrincipal:
    """The caller of an API request: the token's user acting for the token's merchant."""

    user: User
    merchant: Merchant
    membership: Membership
    token_id: int


def bearer_secret() -> str | None:
    """The secret of an ``Authorization: Bearer …`` header, if the request has one."""
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


def api_principal() -> ApiPrincipal:
    """Authenticate the request's bearer token (cached per request)."""
    if "api_principal" in g:
        return g.api_principal
    from .accounts.services import token_from_plaintext
    from .merchants.services import membership_for

    secret = bearer_secret()
    if secret is None:
        raise AuthenticationFailed(_l("Send a personal access token as 'Authorization: Bearer'."))
    token = token_from_plaintext(secret)
    membership = membership_for(token.user, token.merchant_id) if token.merchant_id else None
    if membership is None:
        raise AuthenticationFailed(_l("Invalid or expired token."))  # removed from the staff
    _keep_last_use(token)
    g.api_principal = ApiPrincipal(token.user, membership.merchant, membership, token.id)
    return g.api_principal


def require_platform_admin(user) -> None:
    if not getattr(user, "is_platform_admin", False):
        raise PermissionDenied()


def consumer_user(*, required: bool = True) -> User | None:
    """The consumer behind the request's bearer token: a token without a merchant (a
    merchant's token acts for that merchant only, never for the person's own orders)."""
    from .accounts.services import token_from_plaintext

    if "consumer_user" in g:  # the decorator and the view both ask: one lookup per request
        return g.consumer_user
    secret = bearer_secret()
    if secret is None:
        if required:
            raise AuthenticationFailed(_l("Send a consumer token as 'Authorization: Bearer'."))
        return None
    token = token_from_plaintext(secret)
    if token.merchant_id is not None:
        raise AuthenticationFailed(_l("This token belongs to a merchant: use a consumer "
                                      "token."))
    _keep_last_use(token)
    g.consumer_user = token.user
    return g.consumer_user


def _keep_last_use(token) -> None:
    """Commit a new ``last_used_at`` at once, so it stays even if the request fails later.
    Most requests change nothing (it is written once a minute) and skip the commit, which
    would also expire every object loaded so far."""
    if db.session.is_modified(token):
        db.session.commit()
