"""REST API under /api/v1 (flask-smorest): OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask

from ..extensions import MarketplaceApi

PROBLEM_CONTENT_TYPE = "application/problem+json"


def init_api(app: Flask) -> MarketplaceApi:
    """One Api per app (flask-smorest keeps its spec per instance), kept in app.extensions."""
    from . import (
        addresses,
        campaigns,
        catalog,
        cod,
        consumer,
        docs,
        listings,
        me,
        orders,
        payouts,
        plugins,
        posters,
        redemptions,
        search,
        shipments,
        staff,
        statement,
        stock,
        stores,
        themes,
        tokens,
        wallet,
    )
    from .schemas.common import ProblemSchema

    api = MarketplaceApi(app, spec_kwargs={"info": {"description": API_DESCRIPTION}})
    app.extensions["marketplace_api"] = api
    api.spec.components.security_scheme(
        "token", {"type": "http", "scheme": "bearer",
                  "description": "A personal access token (mkp_…) from the merchant dashboard."})
    _document_problems(api, ProblemSchema)
    api.spec.components.security_scheme(
        "cart", {"type": "apiKey", "in": "header", "name": "X-Cart-Token",
                 "description": "A guest cart's token, from POST /api/v1/consumer/carts."})
    for module in (me, stores, listings, stock, staff, tokens, plugins, themes, orders,
                   statement, payouts, redemptions, posters, campaigns, consumer, wallet,
                   catalog, search):
        api.register_blueprint(module.blp)
    api.register_blueprint(consumer.slots_blp)
    for module in (shipments, addresses):
        api.register_blueprint(module.blp)
    api.register_blueprint(shipments.consumer_blp)
    api.register_blueprint(cod.blp)
    app.register_blueprint(docs.bp)
    return api


def _document_problems(api: MarketplaceApi, schema) -> None:
    """Every error answer is problem+json: replace flask-smorest's default error responses
    (it references 422 on its own, ``problems()`` the others) with ones that say so."""
    components = api.spec.components
    components.schema("Problem", schema=schema)
    problem = {"content": {PROBLEM_CONTENT_TYPE: {"schema": "Problem"}}}
    for status in HTTPStatus:
        if status >= 400:  # registered lazily: only those an operation names appear
            components.response(status.name, {"description": status.phrase} | problem,
                                lazy=True)
    components.response(api.DEFAULT_ERROR_RESPONSE_NAME,
                        {"description": "An error (problem+json)."} | problem, lazy=True)
    # flask-smorest's own error and pagination-header schemas describe formats this API
    # does not use, and nothing refers to them any more.
    for unused in ("Error", "PaginationMetadata"):
        components.schemas.pop(unused, None)


API_DESCRIPTION = (
    "Merchant endpoints authenticate with a personal access token "
    "(`Authorization: Bearer mkp_…`) created in the dashboard; each token acts for one "
    "merchant. The API lists and revokes tokens but cannot create them: that needs a "
    "logged-in dashboard session. Repeated failed authentications from one address are "
    "throttled (429). Errors are `application/problem+json` with a stable `code`; a 422 "
    "names each offending field in `errors`. Money is an integer in the currency's minor "
    "unit plus an ISO 4217 code (VND has none: 150000 is ₫150,000). Instants are ISO 8601 "
    "(UTC, or the store's offset for store hours). Lists take `page` and `page_size` and "
    "answer `{items, page, page_size, has_more, next_page}`. The catalog endpoints are "
    "public and need no token."
)

__all__ = ["init_api"]
