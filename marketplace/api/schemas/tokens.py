"""The caller's personal access tokens (never their secret or hash)."""

from __future__ import annotations

from marshmallow import Schema, fields

from ...auth import api_principal


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    token_prefix = fields.String(metadata={"description": "The first characters of the "
                                                          "secret, to recognise it."})
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    current = fields.Function(lambda token: token.id == api_principal().token_id,
                              metadata={"type": "boolean",
                                        "description": "The token of this request."})
