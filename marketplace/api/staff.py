"""Staff: members and their roles, invitations by e-mail."""

from __future__ import annotations

from flask import current_app, url_for
from flask.views import MethodView
from flask_babel import force_locale, gettext

from ..accounts.services import find_user_by_email
from ..database import scoped
from ..extensions import db
from ..merchants import services as merchants
from ..merchants.models import Invitation, Membership
from ..merchants.roles import Permission
from ..notifications.mail import queue_mail
from ..outbox.services import notify
from .blueprint import ApiBlueprint, principal
from .pagination import PageArgsSchema, page_schema, paginate
from .schemas.staff import (
    InvitationCreateSchema,
    InvitationSchema,
    MembershipSchema,
    MembershipUpdateSchema,
)

blp = ApiBlueprint("staff", __name__, url_prefix="/api/v1",
                   description="The merchant's staff and invitations (owners and managers; a "
                               "manager cannot touch owners).")


@blp.route("/staff")
class StaffCollection(MethodView):
    @blp.authorize(Permission.MANAGE_STAFF)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(MembershipSchema))
    def get(self, args):
        """The merchant's members, oldest first"""
        return paginate(scoped(Membership, principal().merchant.id).order_by(Membership.id), args)


@blp.route("/staff/<int:membership_id>")
class StaffItem(MethodView):
    @blp.authorize(Permission.MANAGE_STAFF)
    @blp.arguments(MembershipUpdateSchema)
    @blp.response(200, MembershipSchema)
    @blp.problems(404, 409, 422)
    def patch(self, data, membership):
        """Change a member's role or stores"""
        role = data.get("role", membership.role)
        store_ids = data["store_ids"] if "store_ids" in data else \
            sorted(s.id for s in membership.stores)
        membership = merchants.update_membership(membership, actor=principal().membership,
                                                 role=role, store_ids=store_ids)
        db.session.commit()
        return membership

    @blp.authorize(Permission.MANAGE_STAFF)
    @blp.response(204)
    @blp.problems(404, 409)
    def delete(self, membership):
        """Remove a member from the staff (the last owner cannot be removed)"""
        merchants.remove_membership(membership, actor=principal().membership)
        db.session.commit()
        return None


def _queue_invitation_mail(invitation: Invitation, token: str, caller) -> None:
    """The invitation e-mail, in the invitee's language if they have an account already."""
    existing = find_user_by_email(invitation.email)
    locale = (existing.locale if existing and existing.locale else None) or \
        caller.user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject = gettext("You are invited to join %(merchant)s", merchant=caller.merchant.name)
    queue_mail(to=invitation.email, template="staff_invitation", locale=locale,
               subject=subject, merchant=caller.merchant,
               invite_url=url_for("auth.accept_invitation", token=token, _external=True),
               role=invitation.role, expires_at=invitation.expires_at)


@blp.route("/invitations")
class InvitationCollection(MethodView):
    @blp.authorize(Permission.MANAGE_STAFF)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(InvitationSchema))
    def get(self, args):
        """The merchant's invitations, newest first"""
        return paginate(scoped(Invitation, principal().merchant.id).order_by(Invitation.id.desc()),
                        args)

    @blp.authorize(Permission.MANAGE_STAFF)
    @blp.arguments(InvitationCreateSchema)
    @blp.response(201, InvitationSchema)
    @blp.problems(409, 422)
    def post(self, data):
        """Invite someone by e-mail

        The e-mail with the acceptance link is sent after the invitation is saved; the link's
        secret is never part of an API answer.
        """
        caller = principal()
        invitation, token = merchants.invite_staff(
            caller.merchant, actor=caller.membership, email=data["email"], role=data["role"],
            store_ids=data.get("store_ids"),
            ttl_hours=current_app.config["INVITATION_TTL_HOURS"])
        _queue_invitation_mail(invitation, token, caller)
        db.session.commit()
        notify()
        return invitation


@blp.route("/invitations/<int:invitation_id>")
class InvitationItem(MethodView):
    @blp.authorize(Permission.MANAGE_STAFF)
    @blp.response(204)
    @blp.problems(404)
    def delete(self, invitation):
        """Revoke an invitation (its link stops working)"""
        merchants.revoke_invitation(invitation, actor=principal().membership)
        db.session.commit()
        return None
