"""Absolute links for e-mails, also from background jobs where there is no request.

Inside a request the link uses the host the visitor used. A job (the expiry worker, the
outbox) has no request, so it builds links against ``PUBLIC_URL``, the address people reach
the marketplace at, without setting ``SERVER_NAME`` (which would make Flask refuse requests
for any other host name).
"""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


def public_url(endpoint: str, **values) -> str:
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context("/", base_url=current_app.config["PUBLIC_URL"]):
        return url_for(endpoint, _external=True, **values)
