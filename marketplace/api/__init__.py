"""REST API under /api/v1 (flask-smorest): OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from flask import Flask

from ..extensions import MarketplaceApi


def init_api(app: Flask) -> MarketplaceApi:
    """One Api per app (flask-smorest keeps its spec per instance), kept in app.extensions."""
    api = MarketplaceApi(app, spec_kwargs={"info": {"description": API_DESCRIPTION}})
    app.extensions["marketplace_api"] = api
    api.spec.components.security_scheme(
        "token", {"type": "http", "scheme": "bearer",
                  "description": "A personal access token (mkp_…) from the merchant dashboard."})
    return api


API_DESCRIPTION = (
    "Merchant endpoints authenticate with a personal access token "
    "(`Authorization: Bearer mkp_…`) created in the dashboard; each token acts for one "
    "merchant. Errors are `application/problem+json` with a stable `code`. Money is an "
    "integer in the currency's minor unit plus an ISO 4217 code (VND has none: 150000 is "
    "₫150,000)."
)
