"""The short link in a poster's QR code: count the scan, then go to the poster's page."""

from __future__ import annotations

import secrets

from flask import Blueprint, redirect, session

from ..extensions import db
from ..posters import services as posters

bp = Blueprint("poster_links", __name__)
VISITOR = "visitor"


@bp.get("/p/<token>")
def scan(token: str):
    # A random id per browser session: a phone scanning twice is one visit, and nothing in
    # it says who the person is.
    visitor = session.setdefault(VISITOR, secrets.token_hex(16))
    target = posters.scan(token, visitor=visitor)
    db.session.commit()
    response = redirect(target, code=303)
    response.headers["Cache-Control"] = "no-store"  # every scan must reach us to be counted
    return response
