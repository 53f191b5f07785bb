"""The API's blueprint class: token authentication, documented problems, throttled guessing.

Every merchant operation is decorated with ``authorize(permission)``. Before the body or the
query is parsed it authenticates the bearer token (401), turns the URL's ids into the
caller's objects (404 for anyone else's) and checks the member's role (403), so a stranger
learns nothing from validation errors; it also writes the ``token`` security requirement, the
permission and those answers into the OpenAPI document.
"""

from __future__ import annotations

from functools import wraps
from http import HTTPStatus

from flask import current_app, g
from flask_smorest import Blueprint

from ..auth import ApiPrincipal, api_principal
from ..extensions import csrf, limiter
from ..merchants.roles import Permission, Role, allowed
from ..merchants.services import require
from .lookups import LOADERS, load_url_objects

TOKEN_SECURITY = [{"token": []}]


def _token_rate_limit() -> str:
    return current_app.config["TOKEN_RATE_LIMIT"]


def _failed_authentication(response) -> bool:
    return response.status_code == 401


# One counter per client address for every token-authenticated blueprint: a guesser cannot
# spread attempts over endpoints. Only failed authentications count, so a busy integration
# with a valid token is never throttled by this limit.
token_guessing_limit = limiter.shared_limit(_token_rate_limit, scope="api-token",
                                            deduct_when=_failed_authentication)


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint for /api/v1: CSRF-exempt (no cookies are involved)."""

    def __init__(self, *args, token_authenticated: bool = True, read_only: bool = False,
                 url_loaders: dict | None = None, caller_check=None, store_of=None,
                 **kwargs) -> None:
        """A plugin's blueprint may bring ``url_loaders`` for its own URL ids (as
        ``lookups.LOADERS``), a ``caller_check(caller)`` run before any id is loaded (the
        merchant runs the plugin at all), and ``store_of(objects)``: the store whose access
        the permission is weighed at (default: the URL's ``store``)."""
        super().__init__(*args, **kwargs)
        taken = set(url_loaders or ()) & set(LOADERS)
        if taken:  # a plugin must never swap the core's merchant-scoped lookup for its own
            raise ValueError(f"{self.name}: URL parameter(s) {sorted(taken)} are the core's")
        self.url_loaders = url_loaders
        self.caller_check = caller_check
        self.store_of = store_of or _url_store
        # Nothing under this blueprint writes (no token to record, GETs only): its
        # transactions need not take SQLite's write lock (database._may_write).
        self.read_only = read_only
        # Clients send a bearer token, never a session cookie, so there is no CSRF to forge.
        csrf.exempt(self)
        if token_authenticated:
            token_guessing_limit(self)

    def authorize(self, permission: Permission):
        """Authenticate the token, load the URL's objects, require ``permission``, then run
        the operation. The view receives the objects instead of the ids (``store_id`` →
        ``store``), already checked to be the caller's."""

        def decorator(func):
            @wraps(func)
            def wrapper(*args, **kwargs):
                # api_principal() caches on g, and g outlives a request when an app context
                # was already pushed (CLI, some tests): authenticate every operation afresh.
                g.pop("api_principal", None)
                caller = api_principal()  # AuthenticationFailed → 401 problem+json
                if self.caller_check is not None:
                    self.caller_check(caller)
                objects = load_url_objects(caller, kwargs, self.url_loaders)  # NotFound → 404
                require(caller.membership, permission, store_id=self.store_of(objects))
                return func(*args, **objects)

            documented = wrapper
            if not all(allowed(role, permission) for role in Role):
                documented = self.alt_response(403, response="FORBIDDEN")(documented)
            documented = self.alt_response(429, response="TOO_MANY_REQUESTS")(documented)
            documented = self.alt_response(401, response="UNAUTHORIZED")(documented)
            return self.doc(security=TOKEN_SECURITY, **{
                "x-permission": str(permission),
                "x-roles": [str(r) for r in Role if allowed(r, permission)],
            })(documented)

        return decorator

    def problems(self, *statuses: int):
        """Document the problem+json answers an operation can give besides its success."""

        def decorator(func):
            for status in statuses:
                func = self.alt_response(status, response=HTTPStatus(status).name)(func)
            return func

        return decorator


def _url_store(objects: dict) -> int | None:
    store = objects.get("store")
    return store.id if store is not None else None


def principal() -> ApiPrincipal:
    """The authenticated caller of the current request (after ``authorize``)."""
    return api_principal()
