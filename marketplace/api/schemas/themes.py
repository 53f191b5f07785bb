"""Storefront themes."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields


def _preview_url(theme) -> str | None:
    if not theme.preview:
        return None
    return url_for("themes.static_file", theme_name=theme.name, filename=theme.preview,
                   _external=True)


class ThemeSchema(Schema):
    name = fields.String()
    version = fields.String()
    extends = fields.String(allow_none=True)
    description = fields.String()
    author = fields.String()
    preview_url = fields.Function(_preview_url, metadata={"type": "string", "format": "uri",
                                                          "nullable": True})
    source = fields.Function(lambda t: "bundled" if t.trusted else "package",
                             metadata={"enum": ["bundled", "package"],
                                       "description": "package themes render sandboxed"})


class MerchantThemeSchema(Schema):
    theme = fields.Nested(ThemeSchema)


class MerchantThemeUpdateSchema(Schema):
    theme = fields.String(required=True, allow_none=True, metadata={
        "description": "An installed theme's name; null for the platform default."})
