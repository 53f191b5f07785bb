"""Staff: members with their roles and stores, invitations by e-mail. Needs MANAGE_STAFF.

An invitation's secret link is shown once on the page that answers the invite (so the owner can
pass it on another way) and e-mailed; it is never flashed, kept in the session or stored.
"""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ...accounts.services import find_user_by_email
from ...database import scoped, utcnow
from ...errors import MarketplaceError
from ...extensions import db
from ...merchants import services as merchants
from ...merchants.models import Invitation, Membership
from ...merchants.roles import ASSIGNABLE_ROLES, Permission, Role
from ...notifications.mail import queue_mail
from ...outbox.services import notify
from ...stores.services import accessible_stores
from . import bp, requires


def _render(*, form: str | None = None, values=None, errors=None, message=None,
            status: int = 200):
    """The staff page; ``form`` names the form that failed ("invite" or "member-<id>")."""
    members = list(db.session.scalars(
        scoped(Membership, g.merchant.id).options(selectinload(Membership.user),
                                                  selectinload(Membership.stores))
        .order_by(Membership.id)))
    invitations = list(db.session.scalars(
        scoped(Invitation, g.merchant.id).where(
            Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow()).order_by(Invitation.id.desc())))
    assignable = [role for role in Role if role in ASSIGNABLE_ROLES[g.membership.role_enum]]
    return render_template(
        "dashboard/staff/index.html", members=members, invitations=invitations,
        assignable=assignable, stores=accessible_stores(g.membership),
        store_names={s.id: s.name for s in g.merchant.stores}, form=form,
        values=values or {}, errors=errors or {}, message=message), status


def _store_ids() -> list[str]:
    return request.form.getlist("store_ids")


def _to_staff():
    return redirect(url_for("dashboard.staff"), code=303)


@bp.get("/<merchant_slug>/staff")
@requires(Permission.MANAGE_STAFF)
def staff(merchant_slug: str):
    return _render()


@bp.post("/<merchant_slug>/staff/<int:membership_id>")
@requires(Permission.MANAGE_STAFF)
def staff_update(merchant_slug: str, membership_id: int):
    membership = merchants.get_membership(g.merchant.id, membership_id)
    values = {"role": request.form.get("role") or "", "store_ids": _store_ids()}
    try:
        merchants.update_membership(membership, actor=g.membership, role=values["role"],
                                    store_ids=values["store_ids"])
    except MarketplaceError as exc:
        db.session.rollback()
        return _render(form=f"member-{membership_id}", values=values, errors=exc.fields,
                       message=exc.message, status=exc.status)
    db.session.commit()
    flash(_("The changes to %(name)s were saved.", name=membership.user.full_name), "success")
    return _to_staff()


@bp.post("/<merchant_slug>/staff/<int:membership_id>/delete")
@requires(Permission.MANAGE_STAFF)
def staff_remove(merchant_slug: str, membership_id: int):
    membership = merchants.get_membership(g.merchant.id, membership_id)
    name, leaving = membership.user.full_name, membership.id == g.membership.id
    try:
        merchants.remove_membership(membership, actor=g.membership)
    except MarketplaceError as exc:
        db.session.rollback()
        return _render(form=f"member-{membership_id}", errors=exc.fields,
                       message=exc.message, status=exc.status)
    db.session.commit()
    if leaving:  # removed oneself: this merchant's dashboard is closed to us now
        flash(_("You left %(merchant)s.", merchant=g.merchant.name), "success")
        return redirect(url_for("dashboard.index"), code=303)
    flash(_("%(name)s was removed from the staff.", name=name), "success")
    return _to_staff()


def _queue_invitation_mail(invitation: Invitation, token: str) -> None:
    """The e-mail, in the invitee's language when they have an account, else in ours."""
    existing = find_user_by_email(invitation.email)
    locale = existing.locale if existing and existing.locale else str(get_locale())
    with force_locale(locale):
        subject = _("You are invited to join %(merchant)s", merchant=g.merchant.name)
    queue_mail(to=invitation.email, template="staff_invitation", locale=locale,
               subject=subject, merchant=g.merchant,
               invite_url=url_for("auth.accept_invitation", token=token, _external=True),
               role=invitation.role, expires_at=invitation.expires_at)


@bp.post("/<merchant_slug>/staff/invitations")
@requires(Permission.MANAGE_STAFF)
def staff_invite(merchant_slug: str):
    values = {"email": (request.form.get("email") or "").strip(),
              "role": request.form.get("role") or "", "store_ids": _store_ids()}
    try:
        invitation, token = merchants.invite_staff(
            g.merchant, actor=g.membership, email=values["email"], role=values["role"],
            store_ids=values["store_ids"], ttl_hours=current_app.config["INVITATION_TTL_HOURS"])
        _queue_invitation_mail(invitation, token)
    except MarketplaceError as exc:
        db.session.rollback()
        return _render(form="invite", values=values, errors=exc.fields, message=exc.message,
                       status=exc.status)
    db.session.commit()
    notify()
    # Rendered, not redirected: the link holds the secret and must not go into the session.
    response = render_template(
        "dashboard/staff/invited.html", invitation=invitation,
        invite_url=url_for("auth.accept_invitation", token=token, _external=True),
        store_names=[s.name for s in g.merchant.stores if s.id in set(invitation.store_ids)])
    return response, 200, {"Cache-Control": "no-store"}


@bp.post("/<merchant_slug>/staff/invitations/<int:invitation_id>/revoke")
@requires(Permission.MANAGE_STAFF)
def invitation_revoke(merchant_slug: str, invitation_id: int):
    invitation = merchants.get_invitation(g.merchant.id, invitation_id)
    merchants.revoke_invitation(invitation, actor=g.membership)
    db.session.commit()
    flash(_("The invitation to %(email)s was revoked.", email=invitation.email), "success")
    return _to_staff()

