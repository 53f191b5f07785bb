"""The error root's problem documents, and the ``next`` check that prevents open redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.errors import (
    AuthenticationFailed,
    Conflict,
    InsufficientStock,
    InvalidTransition,
    MarketplaceError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from marketplace.web.forms import safe_next


@pytest.mark.parametrize(("cls", "status", "code"), [
    (ValidationError, 422, "validation_failed"), (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"), (AuthenticationFailed, 401, "authentication_failed"),
    (PermissionDenied, 403, "permission_denied"), (InvalidTransition, 409, "invalid_transition"),
    (InsufficientStock, 409, "insufficient_stock"),
])
def test_every_error_has_a_status_and_a_stable_code(app, cls, status, code):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        error = cls()
        problem = error.to_problem()
    assert issubclass(cls, MarketplaceError)
    assert (error.status, error.code) == (status, code)
    assert problem["status"] == status and problem["code"] == code
    assert problem["type"].endswith("/" + code)
    assert problem["title"] and problem["detail"]


def test_validation_problem_lists_the_fields_and_extras(app):
    with app.test_request_context():
        error = ValidationError("Bad", fields={"price": ["Too low", "Not a number"]})
        problem = InsufficientStock("Only 2", available=2, store_id=7).to_problem()
        assert error.to_problem()["errors"] == {"price": ["Too low", "Not a number"]}
    assert problem["available"] == 2 and problem["store_id"] == 7
    assert "errors" not in problem


@pytest.mark.parametrize("target", ["/", "/account", "/m/pho-24?tab=hours#map",
                                    "/dashboard/a%2Fb"])
def test_local_paths_are_followed(target):
    assert safe_next(target, "/default") == target


@pytest.mark.parametrize("target", [
    None, "", "https://evil.example/", "//evil.example", "///evil.example", "/\\evil.example",
    "\\/evil.example", "javascript:alert(1)", "evil.example", "/\t/evil.example",
    "/\r\n/evil.example", "http:/evil.example", "/x\x00y",
])
def test_anything_else_goes_to_the_default(target):
    assert safe_next(target, "/default") == "/default"


@given(st.text(max_size=60))
def test_safe_next_never_leaves_the_site(target):
    result = safe_next(target, "/default")
    parts = urlsplit(result)
    assert result == "/default" or (
        result.startswith("/") and not result.startswith("//") and not parts.netloc
        and not parts.scheme and "\\" not in result
        and all(ord(ch) >= 32 and ord(ch) != 127 for ch in result))
