"""The OpenAPI document describes every API route, and the docs page works offline."""

from __future__ import annotations

import json
import re

import pytest

from marketplace.merchants.roles import ROLE_PERMISSIONS, Role

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
UNDOCUMENTED = {"/api/v1/openapi.json", "/api/v1/docs"}


@pytest.fixture(scope="module")
def spec(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(spec, ref: str):
    assert ref.startswith("#/"), ref
    node = spec
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_document_is_well_formed(spec):
    assert spec["openapi"] == "3.1.0"
    assert spec["info"]["title"] and spec["info"]["version"] == "v1"
    assert "personal access token" in spec["info"]["description"]
    assert spec["components"]["securitySchemes"]["token"] == spec["components"][
        "securitySchemes"]["token"] | {"type": "http", "scheme": "bearer"}
    for ref in set(refs(spec)):
        resolve(spec, ref)  # every reference points at something
    used = {ref.rsplit("/", 1)[1] for ref in refs(spec) if "/schemas/" in ref}
    assert set(spec["components"]["schemas"]) == used  # and nothing is left over
    for path, method, operation in operations(spec):
        assert operation.get("summary"), (method, path)
        assert operation["responses"], (method, path)
        assert any(code.startswith("2") for code in operation["responses"]), (method, path)
        declared = {p["name"] for p in spec["paths"][path].get("parameters", [])
                    if p["in"] == "path"}
        assert declared == set(re.findall(r"{([a-z_]+)}", path)), path


def test_every_api_route_is_documented(app, spec):
    seen = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule in UNDOCUMENTED:
            continue
        path = openapi_path(rule.rule)
        assert path in spec["paths"], rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in spec["paths"][path], (method, rule.rule)
            seen += 1
    assert seen == sum(1 for _ in operations(spec)) >= 35


def test_merchant_operations_declare_the_token_and_problems(spec):
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        if path.startswith(("/api/v1/catalog/", "/api/v1/search/")):
            assert "security" not in operation, path
            continue
        if path.startswith("/api/v1/consumer/"):
            continue  # the consumer's side: test_consumer_operations_declare_their_security
        assert operation["security"] == [{"token": []}], (method, path)
        assert responses["401"] == {"$ref": "#/components/responses/UNAUTHORIZED"}
        # The permission is documented, and a 403 wherever some role lacks it.
        assert operation["x-permission"] in ROLE_PERMISSIONS[Role.OWNER], (method, path)
        assert ("403" in responses) == (operation["x-roles"] != ["owner", "manager", "staff"])
        if "requestBody" in operation or method == "get" and operation.get("parameters"):
            assert "422" in responses, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
    for name in ("UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT",
                 "UNPROCESSABLE_ENTITY", "DEFAULT_ERROR"):
        content = spec["components"]["responses"][name]["content"]
        assert list(content) == ["application/problem+json"], name
        assert content["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"}
    listing = spec["paths"]["/api/v1/listings"]
    assert (listing["get"]["x-permission"], listing["post"]["x-permission"]) == \
        ("view", "manage_listings")
    assert listing["post"]["x-roles"] == ["owner", "manager"]
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "code", "detail", "errors"} <= set(problem)


def test_bodies_and_answers_are_described(spec):
    create_listing = spec["paths"]["/api/v1/listings"]["post"]
    body = create_listing["requestBody"]["content"]["application/json"]["schema"]
    schema = resolve(spec, body["$ref"])
    assert {"title", "kind", "variants", "price"} <= set(schema["properties"])
    assert "title" in schema["required"]
    answer = create_listing["responses"]["201"]["content"]["application/json"]["schema"]
    assert "variants" in resolve(spec, answer["$ref"])["properties"]

    upload = spec["paths"]["/api/v1/stock/imports"]["post"]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
    image = spec["paths"]["/api/v1/listings/{listing_id}/images"]["post"]["requestBody"]
    assert list(image["content"]) == ["multipart/form-data"]

    stores = spec["paths"]["/api/v1/stores"]["get"]
    page = resolve(spec, stores["responses"]["200"]["content"]["application/json"]["schema"][
        "$ref"])
    assert {"items", "page", "page_size", "has_more", "next_page"} <= set(page["properties"])
    assert {"page", "page_size"} <= {p["name"] for p in stores["parameters"]}
    store = resolve(spec, page["properties"]["items"]["items"]["$ref"])
    assert {"open_now", "next_opening", "hours"} <= set(store["properties"])

    patch = spec["paths"]["/api/v1/stores/{store_id}"]["patch"]
    update = resolve(spec, patch["requestBody"]["content"]["application/json"]["schema"]["$ref"])
    assert "required" not in update  # a PATCH sends only what changes


def test_two_apps_serve_the_same_document(app, make_app, spec):
    other = make_app()
    assert other.extensions["marketplace_api"] is not app.extensions["marketplace_api"]
    served = other.test_client().get("/api/v1/openapi.json").get_json()
    assert json.dumps(served, sort_keys=True) == json.dumps(spec, sort_keys=True)
    # Registering the blueprints on another app did not add anything to the first one.
    again = app.test_client().get("/api/v1/openapi.json").get_json()
    assert json.dumps(again, sort_keys=True) == json.dumps(spec, sort_keys=True)


def test_docs_page_uses_local_swagger_ui(app, client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for asset in ("/static/vendor/swagger-ui/swagger-ui-bundle.js",
                  "/static/vendor/swagger-ui/swagger-ui.css", "/static/js/api-docs.js"):
        assert asset in html, asset
        assert client.get(asset).status_code == 200, asset
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assert "https://" not in html.replace("https://o2o", "")  # nothing from a CDN
    # No inline script or style: every script has a src, no style attributes.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html and "<style" not in html
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy


def test_consumer_operations_declare_their_security(spec):
    """Consumer routes: a consumer token (or a guest cart's X-Cart-Token for the cart), except
    the two that start a session (logging in and starting a guest cart) and the public stores
    and free times of a bookable service."""
    open_ones = {("post", "/api/v1/consumer/tokens"), ("post", "/api/v1/consumer/carts"),
                 ("get", "/api/v1/consumer/booking/services/{listing_id}/availability"),
                 ("get", "/api/v1/consumer/booking/services/{listing_id}/stores")}
    schemes = spec["components"]["securitySchemes"]
    assert schemes["cart"] == {"type": "apiKey", "in": "header", "name": "X-Cart-Token",
                               "description": schemes["cart"]["description"]}
    seen = 0
    for path, method, operation in operations(spec):
        if not path.startswith("/api/v1/consumer/"):
            continue
        seen += 1
        if (method, path) in open_ones:
            assert "security" not in operation, (method, path)
            continue
        assert operation["security"] in ([{"token": []}], [{"token": []}, {"cart": []}])
        assert "401" in operation["responses"], (method, path)
        if "/cart" in path:
            assert {"cart": []} in operation["security"], (method, path)
    # 19 of the core (6 of delivery: delivery options, addresses listed, added, changed,
    # deleted, a parcel), 3 of the card plugin (payment_stripe), 9 of the appointments plugin
    # (booking_appointments: stores, availability, hold, list, one, confirm, pay, cancel,
    # reschedule).
    assert seen == 31
