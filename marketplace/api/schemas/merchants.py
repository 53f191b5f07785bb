"""The caller (``/me``) and the merchant's profile."""

from __future__ import annotations

from marshmallow import Schema, fields

from ...merchants.roles import ROLE_PERMISSIONS, Permission, Role
from ...merchants.states import MerchantStatus
from .common import media_url


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    locale = fields.String(allow_none=True)


class MerchantSchema(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    description = fields.String()
    status = fields.String(metadata={
        "enum": [s.value for s in MerchantStatus],
        "description": "Only approved merchants are public; a pending or suspended one can "
                       "still be set up through the API."})
    status_reason = fields.String(allow_none=True)
    commission_bp = fields.Integer(metadata={"description": "Platform commission in basis "
                                                            "points (1000 = 10 %)."})
    default_currency = fields.String()
    contact_email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    logo_url = fields.Function(lambda m: media_url(m.logo_path), allow_none=True,
                               metadata={"type": "string", "format": "uri"})
    approved_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class MerchantUpdateSchema(Schema):
    """Change the profile; only the fields sent change."""

    name = fields.String()
    slug = fields.String()
    description = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    default_currency = fields.String(metadata={"description": "ISO 4217, e.g. VND."})


class TokenRefSchema(Schema):
    id = fields.Integer()


class MeSchema(Schema):
    """Who the token acts as: the user, the merchant, the role and its limits."""

    user = fields.Nested(UserSchema)
    merchant = fields.Nested(MerchantSchema)
    role = fields.Function(lambda p: p.membership.role,
                           metadata={"enum": [r.value for r in Role], "type": "string"})
    permissions = fields.Function(
        lambda p: sorted(ROLE_PERMISSIONS[Role(p.membership.role)]),
        metadata={"type": "array", "items": {"type": "string",
                                             "enum": [x.value for x in Permission]}})
    all_stores = fields.Function(lambda p: p.membership.all_stores,
                                 metadata={"type": "boolean"})
    store_ids = fields.Function(
        lambda p: sorted(p.membership.store_ids) if not p.membership.all_stores else None,
        metadata={"type": "array", "items": {"type": "integer"}, "nullable": True,
                  "description": "The stores this member may act on; null means all."})
    token_id = fields.Integer()
