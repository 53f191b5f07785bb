"""Interactive API documentation (Swagger UI), served from our own static files.

Swagger UI comes from npm (swagger-ui-dist, copied to static/vendor by ``npm install``), so the
page works offline. It also works under the site's strict Content-Security-Policy as it is
(checked in Chromium): Swagger UI 5 sets styles through the CSSOM, which ``style-src 'self'``
allows, and static/js/api-docs.js starts it, so this page needs no relaxed policy.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")


@bp.get("/docs")
def docs():
    return render_template("api/docs.html", spec_url=url_for("api-docs.openapi_json"))
