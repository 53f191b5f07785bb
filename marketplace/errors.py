"""One error root for the whole marketplace.

Services raise these; the API turns them into ``application/problem+json`` (RFC 9457) with a
stable ``code``; web pages show a friendly message. The messages are lazily translated, so a
service can raise before the request's language is known.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


class MarketplaceError(Exception):
    status: int = 400
    code: str = "error"
    title = _l("The request could not be completed.")

    def __init__(self, message: Any = None, *, fields: dict[str, list[str]] | None = None,
                 **extra: Any) -> None:
        self.message = message if message is not None else self.title
        self.fields = fields or {}
        self.extra = extra
        super().__init__(str(self.message))

    def to_problem(self) -> dict[str, Any]:
        problem = {
            "type": f"https://o2o-marketplace.dev/problems/{self.code}",
            "title": str(self.title),
            "status": self.status,
            "code": self.code,
            "detail": str(self.message),
        }
        if self.fields:
            problem["errors"] = {k: [str(m) for m in v] for k, v in self.fields.items()}
        problem.update(self.extra)
        return problem


class ValidationError(MarketplaceError):
    """Bad input. ``fields`` maps each offending field to its messages."""

    status = 422
    code = "validation_failed"
    title = _l("Some fields are not valid.")

    @classmethod
    def field(cls, name: str, message: Any) -> ValidationError:
        return cls(message, fields={name: [message]})


class NotFound(MarketplaceError):
    status = 404
    code = "not_found"
    title = _l("Not found.")

    def __init__(self, what: str = "object", message: Any = None) -> None:
        # ``what`` is a code for API clients ("store", "listing"), never shown in a sentence:
        # it would be English inside a translated message.
        super().__init__(message or self.title, object=what)


class Conflict(MarketplaceError):
    status = 409
    code = "conflict"
    title = _l("This conflicts with existing data.")


class AuthenticationFailed(MarketplaceError):
    status = 401
    code = "authentication_failed"
    title = _l("Authentication failed.")


class PermissionDenied(MarketplaceError):
    status = 403
    code = "permission_denied"
    title = _l("You are not allowed to do this.")


class InvalidTransition(MarketplaceError):
    status = 409
    code = "invalid_transition"
    title = _l("This action is not possible in the current state.")


class InsufficientStock(MarketplaceError):
    status = 409
    code = "insufficient_stock"
    title = _l("Not enough stock.")
