"""Staff memberships and invitations."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...database import utcnow
from ...merchants.roles import Role
from .common import ID

ROLES = [r.value for r in Role]


class MemberSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()


class MembershipSchema(Schema):
    id = fields.Integer()
    user = fields.Nested(MemberSchema)
    role = fields.String(metadata={"enum": ROLES})
    all_stores = fields.Boolean()
    store_ids = fields.Function(lambda m: sorted(s.id for s in m.stores),
                                metadata={"type": "array", "items": {"type": "integer"},
                                          "description": "Empty when all_stores is true."})
    created_at = fields.DateTime()


class MembershipUpdateSchema(Schema):
    """Change a member's role and stores; what is left out stays as it is."""

    role = fields.String(validate=validate.OneOf(ROLES))
    store_ids = fields.List(fields.Integer(strict=True, validate=ID), metadata={
        "description": "Limit the member to these stores; an empty list means all stores."})


def _invitation_status(invitation) -> str:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    return "open" if invitation.is_open(utcnow()) else "expired"


class InvitationSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    role = fields.String(metadata={"enum": ROLES})
    all_stores = fields.Boolean()
    store_ids = fields.List(fields.Integer())
    status = fields.Function(_invitation_status, metadata={
        "type": "string", "enum": ["open", "accepted", "revoked", "expired"]})
    invited_by_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class InvitationCreateSchema(Schema):
    email = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    store_ids = fields.List(fields.Integer(strict=True, validate=ID), metadata={
        "description": "Limit the new member to these stores; empty or left out means all."})
