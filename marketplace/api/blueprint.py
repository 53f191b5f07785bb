"""The API's blueprint class: token authentication, documented problems, throttled guessing.

Every merchant operation is decorated with ``token_required``; it authenticates the bearer
token *before* the body is parsed (so a stranger learns nothing from validation errors) and
writes the ``token`` security requirement and the 401 answer into the OpenAPI document.
"""

from __future__ import annotations

from functools import wraps
from http import HTTPStatus

from flask import current_app, g
from flask_smorest import Blueprint

from ..auth import ApiPrincipal, api_principal
from ..extensions import csrf, limiter

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

    def __init__(self, *args, token_authenticated: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Clients send a bearer token, never a session cookie, so there is no CSRF to forge.
        csrf.exempt(self)
        if token_authenticated:
            token_guessing_limit(self)

    def token_required(self, func):
        """Authenticate the request's personal access token, then run the operation."""

        @wraps(func)
        def wrapper(*args, **kwargs):
            # api_principal() caches on g, and g outlives a request when an app context was
            # already pushed (tests, CLI): authenticate every operation afresh.
            g.pop("api_principal", None)
            api_principal()  # raises AuthenticationFailed → 401 problem+json
            return func(*args, **kwargs)

        documented = self.alt_response(429, response="TOO_MANY_REQUESTS")(wrapper)
        documented = self.alt_response(401, response="UNAUTHORIZED")(documented)
        return self.doc(security=TOKEN_SECURITY)(documented)

    def problems(self, *statuses: int):
        """Document the problem+json answers an operation can give besides its success."""

        def decorator(func):
            for status in statuses:
                func = self.alt_response(status, response=HTTPStatus(status).name)(func)
            return func

        return decorator


def principal() -> ApiPrincipal:
    """The authenticated caller of the current request (after ``token_required``)."""
    return api_principal()
