"""Turn errors into responses: problem+json under /api, friendly pages elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from .errors import MarketplaceError
from .extensions import db

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"

# Stable codes for the HTTP errors Flask or an extension raises on its own.
HTTP_CODES = {400: "bad_request", 401: "authentication_required", 403: "permission_denied",
              404: "not_found", 405: "method_not_allowed", 409: "conflict",
              413: "payload_too_large", 415: "unsupported_media_type",
              422: "validation_failed", 429: "rate_limited", 500: "internal_error"}


def wants_problem() -> bool:
    return request.path.startswith("/api/")


def problem_response(problem: dict, status: int, headers=None):
    response = jsonify(problem)
    response.status_code = status
    response.mimetype = PROBLEM
    if headers:
        for key, value in headers:
            if key.lower() in ("retry-after", "www-authenticate", "allow") or \
                    key.lower().startswith("x-ratelimit"):
                response.headers[key] = value
    return response


def http_problem(exc: HTTPException) -> dict:
    problem = {"type": "about:blank", "title": exc.name, "status": exc.code,
               "code": HTTP_CODES.get(exc.code, "http_error"), "detail": exc.description}
    # webargs/flask-smorest put field messages on the exception's data.
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if messages:
        fields: dict = {}
        for location in messages.values():
            for field, errors in _flatten(location):
                fields[field] = errors
        problem["errors"] = fields
        problem["code"] = "validation_failed"
    return problem


def _flatten(messages, prefix=""):
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(key, int):
                name = f"{prefix}[{key}]"
            yield from _flatten(value, name)
    else:
        yield prefix or "_schema", [str(m) for m in messages]


def handle_http_error(exc: HTTPException):
    if wants_problem():
        return problem_response(http_problem(exc), exc.code or 500, exc.get_headers())
    return render_template("errors/error.html", error=exc, status=exc.code), exc.code


def init_app(app: Flask) -> None:
    @app.errorhandler(MarketplaceError)
    def _marketplace_error(exc: MarketplaceError):
        db.session.rollback()
        if wants_problem():
            headers = [("WWW-Authenticate", 'Bearer realm="api"')] if exc.status == 401 else None
            return problem_response(exc.to_problem(), exc.status, headers)
        return render_template("errors/error.html", error=exc, status=exc.status), exc.status

    app.register_error_handler(HTTPException, handle_http_error)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_problem():
            return problem_response({"type": "about:blank", "title": "Internal Server Error",
                                     "status": 500, "code": "internal_error",
                                     "detail": "Something went wrong on our side."}, 500)
        return render_template("errors/error.html", error=None, status=500), 500
