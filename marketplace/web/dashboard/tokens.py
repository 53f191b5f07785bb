"""API tokens: the logged-in member's own personal access tokens for this merchant.

A new token's secret is shown once, on the page that answers the create request; it is never
flashed, kept in the session, logged or stored (only its hash is). Tokens of other people, even
at this merchant, are not listed and give 404.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...accounts import services as accounts
from ...accounts.models import PersonalAccessToken
from ...database import MAX_ID, scoped, utcnow
from ...errors import MarketplaceError, NotFound
from ...extensions import db
from ...merchants.roles import Permission
from ...validation import valid_int
from . import bp, requires


def _own_tokens():
    return scoped(PersonalAccessToken, g.merchant.id).where(
        PersonalAccessToken.user_id == current_user.id)


def _render(*, created=None, plaintext=None, values=None, errors=None, message=None,
            status: int = 200):
    tokens = list(db.session.scalars(_own_tokens().order_by(PersonalAccessToken.id.desc())))
    response = render_template(
        "dashboard/tokens/index.html", tokens=tokens, now=utcnow(), created=created,
        plaintext=plaintext, values=values or {}, errors=errors or {}, message=message)
    # The page may carry a secret: no cache (browser or proxy) may keep it.
    return response, status, {"Cache-Control": "no-store"}


@bp.get("/<merchant_slug>/tokens")
@requires(Permission.MANAGE_TOKENS)
def tokens(merchant_slug: str):
    return _render()


@bp.post("/<merchant_slug>/tokens")
@requires(Permission.MANAGE_TOKENS)
def token_create(merchant_slug: str):
    values = {"name": (request.form.get("name") or "").strip(),
              "expires_in_days": (request.form.get("expires_in_days") or "").strip()}
    try:
        days = valid_int(values["expires_in_days"], "expires_in_days", minimum=1,
                         maximum=3650, required=False)
        token, plaintext = accounts.create_token(user=current_user, merchant_id=g.merchant.id,
                                                 name=values["name"], expires_in_days=days)
    except MarketplaceError as exc:
        db.session.rollback()
        return _render(values=values, errors=exc.fields, message=exc.message,
                       status=exc.status)
    db.session.commit()
    return _render(created=token, plaintext=plaintext)


@bp.post("/<merchant_slug>/tokens/<int:token_id>/revoke")
@requires(Permission.MANAGE_TOKENS)
def token_revoke(merchant_slug: str, token_id: int):
    token = db.session.scalars(_own_tokens().where(PersonalAccessToken.id == token_id)).first() \
        if token_id <= MAX_ID else None
    if token is None:
        raise NotFound("token")
    accounts.revoke_token(token)
    db.session.commit()
    flash(_("The token “%(name)s” was revoked.", name=token.name), "success")
    return redirect(url_for("dashboard.tokens"), code=303)
