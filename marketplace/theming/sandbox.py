"""The sandbox third-party themes render in.

A package theme is code from outside the platform running on every storefront page, so it
gets Jinja's ``SandboxedEnvironment`` (no ``_private`` attributes, no unsafe callables, no
``str.format`` tricks) and three rules of ours:

1. **Templates**: it cannot load dashboard, admin, auth, API, mail or error templates (they
   render data meant for staff), with or without the ``core:`` prefix.
2. **Context**: no ``config``, ``session`` or ``g``; ``request`` is a small copy (path, query
   arguments, endpoint) without headers, cookies or the WSGI environ; ``current_user`` is a
   stand-in with only what a storefront shows (signed in or not, name, whether the person has
   a dashboard or is an admin).
3. **Attributes**: nothing whose name looks secret (password, secret, token, hash, salt, key,
   credential, session, config, environ, cookies, headers) on any object; nothing at all on
   accounts, staff, tokens, plugin records, platform switches, the outbox, audit rows, carts,
   orders, checkouts and payments; and no
   ``query``/``metadata``/``registry``/``memberships`` on any model (they lead to other rows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jinja2.sandbox import SandboxedEnvironment

FORBIDDEN_TEMPLATES = ("dashboard/", "admin/", "auth/", "api/", "mail/", "errors/")
SECRET_ATTRIBUTE = re.compile(
    r"password|secret|token|hash|salt|credential|private|api_?key|_key$|^key$|session|"
    r"config|environ|cookie|header|authorization", re.IGNORECASE)
MODEL_INTERNALS = frozenset({"query", "query_class", "metadata", "registry", "memberships",
                             "invitations"})
UNSAFE_GLOBALS = ("config", "request", "session", "g")


def _private_models() -> tuple[type, ...]:
    from ..accounts.models import PersonalAccessToken, User
    from ..cart.models import Cart, CartLine
    from ..idempotency import IdempotencyRecord
    from ..merchants.models import Invitation, Membership, MerchantStatusChange
    from ..orders.models import AuditEntry, Checkout, Order
    from ..outbox.models import OutboxMessage
    from ..payments.models import Payment, Refund
    from ..plugins.models import MerchantPlugin, PlatformPlugin, PlatformSetting

    return (User, PersonalAccessToken, Membership, Invitation, MerchantStatusChange,
            OutboxMessage, MerchantPlugin, PlatformPlugin, PlatformSetting, Cart, CartLine,
            IdempotencyRecord, AuditEntry, Checkout, Order, Payment, Refund)


class ThemeSandbox(SandboxedEnvironment):
    """The environment of a third-party theme."""

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if SECRET_ATTRIBUTE.search(attr):
            return False
        from ..extensions import db

        if isinstance(obj, _private_models()):
            return False
        return not (isinstance(obj, db.Model) and attr in MODEL_INTERNALS)


@dataclass(frozen=True)
class ThemeRequest:
    """What a theme may know about the request."""

    path: str
    full_path: str
    endpoint: str | None
    args: dict[str, str] = field(default_factory=dict)
    view_args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ThemeUser:
    """What a theme may know about the visitor."""

    is_authenticated: bool
    full_name: str = ""
    has_dashboard: bool = False
    is_platform_admin: bool = False

    @property
    def is_anonymous(self) -> bool:
        return not self.is_authenticated


def restrict_context(context: dict[str, Any]) -> dict[str, Any]:
    """The page's variables as a third-party theme sees them."""
    from flask import request
    from flask_login import current_user

    safe = {k: v for k, v in context.items() if k not in UNSAFE_GLOBALS + ("current_user",)}
    safe["request"] = ThemeRequest(path=request.path, full_path=request.full_path,
                                   endpoint=request.endpoint, args=request.args.to_dict(),
                                   view_args=dict(request.view_args or {}))
    if current_user.is_authenticated:
        safe["current_user"] = ThemeUser(
            is_authenticated=True, full_name=current_user.full_name,
            has_dashboard=current_user.has_dashboard,
            is_platform_admin=bool(current_user.is_platform_admin))
    else:
        safe["current_user"] = ThemeUser(is_authenticated=False)
    return safe
