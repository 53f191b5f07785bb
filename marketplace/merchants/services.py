"""Merchants: sign-up, profile, platform approval, staff and their roles."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..database import get_scoped, utcnow
from ..errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..money import validate_currency
from ..security import hash_token, new_token
from ..states import next_state
from ..validation import (
    optional_text,
    required_text,
    slugify,
    valid_email,
    valid_phone,
    valid_slug,
)
from .models import Invitation, Membership, Merchant, MerchantStatusChange
from .roles import ASSIGNABLE_ROLES, Permission, Role, allowed
from .states import ADMIN_EVENTS, TRANSITIONS, MerchantEvent, MerchantStatus

PROFILE_FIELDS = ("name", "slug", "description", "contact_email", "phone", "default_currency")


def _clean_profile(data: dict, *, merchant: Merchant | None) -> dict:
    clean: dict = {}
    if "name" in data or merchant is None:
        clean["name"] = required_text(data.get("name"), "name", max_length=120)
    if data.get("slug") or merchant is None:
        slug = valid_slug(data.get("slug") or slugify(clean.get("name", "")))
        taken = db.session.scalars(sa.select(Merchant.id).where(Merchant.slug == slug)).first()
        if taken is not None and (merchant is None or taken != merchant.id):
            raise Conflict(_l("This address is taken."), fields={"slug": [_l("Already taken.")]})
        clean["slug"] = slug
    if "description" in data:
        clean["description"] = (data.get("description") or "").strip()[:5000]
    if "contact_email" in data:
        email = (data.get("contact_email") or "").strip()
        clean["contact_email"] = valid_email(email, "contact_email") if email else None
    if "phone" in data:
        clean["phone"] = valid_phone(data.get("phone"))
    if data.get("default_currency"):
        clean["default_currency"] = validate_currency(data["default_currency"],
                                                      "default_currency")
    return clean


def create_merchant(*, owner: User, data: dict, commission_bp: int) -> Merchant:
    """A new merchant, pending approval, with ``owner`` as its first owner."""
    clean = _clean_profile(data, merchant=None)
    merchant = Merchant(**clean, commission_bp=commission_bp, status=MerchantStatus.PENDING)
    db.session.add(merchant)
    db.session.flush()
    db.session.add(Membership(merchant_id=merchant.id, user_id=owner.id, role=Role.OWNER,
                              all_stores=True))
    db.session.flush()
    return merchant


def update_profile(merchant: Merchant, data: dict) -> Merchant:
    clean = _clean_profile({k: v for k, v in data.items() if k in PROFILE_FIELDS},
                           merchant=merchant)
    for key, value in clean.items():
        setattr(merchant, key, value)
    db.session.flush()
    return merchant


def change_status(merchant: Merchant, event: MerchantEvent | str, *, actor: User,
                  reason: str | None = None) -> Merchant:
    """Apply an approval event under a row lock and write the audit row."""
    event = MerchantEvent(event)
    if event in ADMIN_EVENTS and not actor.is_platform_admin:
        raise PermissionDenied()
    locked = db.session.scalars(
        sa.select(Merchant).where(Merchant.id == merchant.id).with_for_update()
        .execution_options(populate_existing=True)).one()
    source = MerchantStatus(locked.status)
    target = next_state(TRANSITIONS, source, event)
    locked.status = target
    locked.status_reason = optional_text(reason, "reason", max_length=500)
    if target == MerchantStatus.APPROVED and locked.approved_at is None:
        locked.approved_at = utcnow()
    db.session.add(MerchantStatusChange(merchant_id=locked.id, from_status=source,
                                        to_status=target, event=event,
                                        reason=locked.status_reason, actor_id=actor.id))
    db.session.flush()
    return locked


def set_commission(merchant: Merchant, *, commission_bp, actor: User) -> Merchant:
    if not actor.is_platform_admin:
        raise PermissionDenied()
    try:
        value = int(commission_bp)
    except (TypeError, ValueError):
        raise ValidationError.field("commission_bp", _l("Enter a whole number.")) from None
    if not 0 <= value <= 10000:
        raise ValidationError.field("commission_bp",
                                    _l("Between 0 and 10000 basis points (0–100 %)."))
    merchant.commission_bp = value
    db.session.flush()
    return merchant


# --- staff -------------------------------------------------------------------------------------

def membership_for(user: User, merchant_id: int) -> Membership | None:
    return db.session.scalars(
        sa.select(Membership).options(joinedload(Membership.merchant))
        .where(Membership.user_id == user.id, Membership.merchant_id == merchant_id)).first()


def require(membership: Membership | None, permission: Permission,
            store_id: int | None = None) -> Membership:
    """Raise ``PermissionDenied`` unless the member may do this (at this store, if given)."""
    if membership is None or not allowed(membership.role, permission):
        raise PermissionDenied()
    if store_id is not None and not membership.can_access_store(store_id):
        raise PermissionDenied(_l("You are not assigned to this store."))
    return membership


def _clean_role_and_stores(merchant: Merchant, actor: Membership, role, store_ids) -> tuple:
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError.field("role", _l("Choose owner, manager or staff.")) from None
    if role not in ASSIGNABLE_ROLES[actor.role_enum]:
        raise PermissionDenied(_l("You cannot give this role."))
    try:
        ids = sorted({int(i) for i in (store_ids or [])})
    except (TypeError, ValueError):  # a tampered form or a bad API body
        raise ValidationError.field("store_ids", _l("Unknown store.")) from None
    from ..stores.models import Store

    stores = db.session.scalars(sa.select(Store).where(
        Store.merchant_id == merchant.id, Store.id.in_(ids))).all() if ids else []
    if len(stores) != len(ids):
        raise ValidationError.field("store_ids", _l("Unknown store."))
    if role == Role.OWNER and ids:
        raise ValidationError.field("store_ids", _l("Owners always see every store."))
    if not actor.all_stores:
        # A manager limited to some stores can only hand out those stores.
        allowed_ids = actor.store_ids or set()
        if not ids or not set(ids) <= allowed_ids:
            raise PermissionDenied(_l("You can only assign your own stores."))
    return role, stores


def invite_staff(merchant: Merchant, *, actor: Membership, email: str, role,
                 store_ids=None, ttl_hours: int) -> tuple[Invitation, str]:
    """Create an invitation; the token is returned once for the e-mail and never stored."""
    require(actor, Permission.MANAGE_STAFF)
    email = valid_email(email)
    role, stores = _clean_role_and_stores(merchant, actor, role, store_ids)
    existing_user = db.session.scalars(sa.select(User).where(User.email == email)).first()
    if existing_user is not None and membership_for(existing_user, merchant.id) is not None:
        raise Conflict(_l("This person is already on your staff."),
                       fields={"email": [_l("Already on your staff.")]})
    token = new_token("inv")
    invitation = Invitation(
        merchant_id=merchant.id, email=email, role=role, all_stores=not stores,
        store_ids=[s.id for s in stores], token_hash=hash_token(token),
        invited_by_id=actor.user_id, expires_at=utcnow() + timedelta(hours=ttl_hours))
    db.session.add(invitation)
    db.session.flush()
    return invitation, token


def invitation_by_token(token: str) -> Invitation:
    invitation = db.session.scalars(sa.select(Invitation).where(
        Invitation.token_hash == hash_token(token or ""))).first()
    if invitation is None or not invitation.is_open(utcnow()):
        raise NotFound("invitation", _l("This invitation is invalid or has expired."))
    return invitation


def accept_invitation(token: str, *, user: User) -> Membership:
    invitation = invitation_by_token(token)
    if invitation.email != user.email:
        raise PermissionDenied(_l("This invitation was sent to another e-mail address."))
    if membership_for(user, invitation.merchant_id) is not None:
        raise Conflict(_l("You are already on this merchant's staff."))
    from ..stores.models import Store

    membership = Membership(merchant_id=invitation.merchant_id, user_id=user.id,
                            role=invitation.role, all_stores=invitation.all_stores)
    if not invitation.all_stores:
        membership.stores = list(db.session.scalars(sa.select(Store).where(
            Store.merchant_id == invitation.merchant_id, Store.id.in_(invitation.store_ids))))
    invitation.accepted_at = utcnow()
    db.session.add(membership)
    db.session.flush()
    return membership


def revoke_invitation(invitation: Invitation, *, actor: Membership) -> None:
    require(actor, Permission.MANAGE_STAFF)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
    db.session.flush()


def _owners_left(merchant_id: int, excluding: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(
        Membership.merchant_id == merchant_id, Membership.role == Role.OWNER,
        Membership.id != excluding)) or 0


def update_membership(membership: Membership, *, actor: Membership, role,
                      store_ids=None) -> Membership:
    require(actor, Permission.MANAGE_STAFF)
    if membership.role_enum not in ASSIGNABLE_ROLES[actor.role_enum]:
        raise PermissionDenied(_l("You cannot change this person's role."))
    role, stores = _clean_role_and_stores(membership.merchant, actor, role, store_ids)
    if membership.role == Role.OWNER and role != Role.OWNER and \
            _owners_left(membership.merchant_id, membership.id) == 0:
        raise Conflict(_l("A merchant needs at least one owner."))
    membership.role = role
    membership.all_stores = not stores
    membership.stores = list(stores)
    db.session.flush()
    return membership


def remove_membership(membership: Membership, *, actor: Membership) -> None:
    require(actor, Permission.MANAGE_STAFF)
    if membership.role_enum not in ASSIGNABLE_ROLES[actor.role_enum]:
        raise PermissionDenied(_l("You cannot remove this person."))
    if membership.role == Role.OWNER and _owners_left(membership.merchant_id, membership.id) == 0:
        raise Conflict(_l("A merchant needs at least one owner."))
    db.session.delete(membership)
    db.session.flush()


def get_membership(merchant_id: int, membership_id) -> Membership:
    return get_scoped(Membership, merchant_id, membership_id)


def get_invitation(merchant_id: int, invitation_id) -> Invitation:
    return get_scoped(Invitation, merchant_id, invitation_id)


def set_logo(merchant: Merchant, stream) -> str | None:
    """Store a new logo; returns the previous file's path for removal after commit."""
    from ..media import save_image

    stored = save_image(stream, folder=f"merchants/{merchant.id}", field="logo")
    previous, merchant.logo_path = merchant.logo_path, stored.path
    db.session.flush()
    return previous
