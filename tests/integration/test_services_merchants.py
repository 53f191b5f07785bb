"""Merchants: sign-up, the approval life cycle, commission, staff invitations and roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.services import find_user_by_email
from marketplace.database import utcnow
from marketplace.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from marketplace.merchants import services as merchants
from marketplace.merchants.models import Invitation, Membership, Merchant, MerchantStatusChange
from marketplace.merchants.roles import Permission
from marketplace.merchants.states import TRANSITIONS, MerchantEvent, MerchantStatus
from marketplace.security import hash_token

TTL = 72


def audit_rows(db, merchant) -> list[MerchantStatusChange]:
    return list(db.session.scalars(sa.select(MerchantStatusChange).where(
        MerchantStatusChange.merchant_id == merchant.id).order_by(MerchantStatusChange.id)))


def memberships_of(db, merchant) -> list[Membership]:
    return list(db.session.scalars(sa.select(Membership).where(
        Membership.merchant_id == merchant.id).order_by(Membership.id)))


# --- sign-up and approval ---------------------------------------------------------------------

def test_create_merchant_is_pending_with_the_owner_as_member(db, make_user):
    owner = make_user()
    merchant = merchants.create_merchant(owner=owner, data={"name": "Phở Hà Nội"},
                                         commission_bp=1200)
    assert merchant.status == MerchantStatus.PENDING
    assert not merchant.is_public and not merchant.can_sell
    assert merchant.slug == "pho-ha-noi"
    assert merchant.commission_bp == 1200
    [membership] = memberships_of(db, merchant)
    assert (membership.user_id, membership.role, membership.all_stores) == \
        (owner.id, "owner", True)


def test_create_merchant_refuses_a_taken_slug_and_bad_input(db, make_user, make_merchant):
    make_merchant(slug="bun-cha")
    owner = make_user()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Merchant))
    with pytest.raises(Conflict) as taken:
        merchants.create_merchant(owner=owner, data={"name": "Bún chả", "slug": "bun-cha"},
                                  commission_bp=1000)
    assert "slug" in taken.value.fields
    for data, field in [({"name": ""}, "name"), ({"name": "X", "slug": "Bad Slug"}, "slug"),
                        ({"name": "X", "default_currency": "XYZ"}, "default_currency"),
                        ({"name": "X", "contact_email": "nope"}, "contact_email")]:
        with pytest.raises(ValidationError) as info:
            merchants.create_merchant(owner=owner, data=data, commission_bp=1000)
        assert field in info.value.fields
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Merchant)) == before


def test_admin_approves_and_an_audit_row_is_written(db, make_merchant, admin_user):
    merchant = make_merchant(approved=False)
    merchants.change_status(merchant, "approve", actor=admin_user, reason="  Giấy tờ đủ ")
    assert merchant.status == MerchantStatus.APPROVED
    assert merchant.approved_at is not None
    [row] = audit_rows(db, merchant)
    assert (row.from_status, row.to_status, row.event, row.actor_id, row.reason) == \
        ("pending", "approved", "approve", admin_user.id, "Giấy tờ đủ")


def test_full_life_cycle_keeps_one_audit_row_per_change(db, make_merchant, admin_user, owner_of):
    merchant = make_merchant(approved=False)
    owner = owner_of(merchant).user
    merchants.change_status(merchant, "reject", actor=admin_user, reason="Thiếu giấy phép")
    assert merchant.status_reason == "Thiếu giấy phép"
    merchants.change_status(merchant, "resubmit", actor=owner)  # the owner may resubmit
    merchants.change_status(merchant, "approve", actor=admin_user)
    approved_at = merchant.approved_at
    merchants.change_status(merchant, "suspend", actor=admin_user, reason="Khiếu nại")
    assert not merchant.is_public
    merchants.change_status(merchant, "reinstate", actor=admin_user)
    assert merchant.is_public and merchant.approved_at == approved_at
    assert [(r.from_status, r.to_status) for r in audit_rows(db, merchant)] == [
        ("pending", "rejected"), ("rejected", "pending"), ("pending", "approved"),
        ("approved", "suspended"), ("suspended", "approved")]


INVALID = [(s, e) for s in MerchantStatus for e in MerchantEvent if (s, e) not in TRANSITIONS]


@pytest.mark.parametrize(("status", "event"), INVALID)
def test_invalid_transitions_raise_and_change_nothing(db, make_merchant, admin_user, status,
                                                      event):
    merchant = make_merchant(approved=False)
    merchant.status = status
    db.session.flush()
    before = len(audit_rows(db, merchant))
    with pytest.raises(InvalidTransition):
        merchants.change_status(merchant, event, actor=admin_user)
    db.session.refresh(merchant)
    assert merchant.status == status
    assert len(audit_rows(db, merchant)) == before


def test_unknown_event_is_refused(db, make_merchant, admin_user):
    merchant = make_merchant(approved=False)
    with pytest.raises(ValueError):
        merchants.change_status(merchant, "delete", actor=admin_user)


@pytest.mark.parametrize("event", ["approve", "reject"])
def test_non_admin_cannot_approve_or_reject_even_their_own(db, make_merchant, owner_of, event):
    merchant = make_merchant(approved=False)
    owner = owner_of(merchant).user
    with pytest.raises(PermissionDenied):
        merchants.change_status(merchant, event, actor=owner)
    assert merchant.status == MerchantStatus.PENDING
    assert audit_rows(db, merchant) == []


@pytest.mark.parametrize("value", [0, 1500, 10000, "2500"])
def test_admin_sets_commission_within_bounds(db, make_merchant, admin_user, value):
    merchant = make_merchant()
    merchants.set_commission(merchant, commission_bp=value, actor=admin_user)
    assert merchant.commission_bp == int(value)


@pytest.mark.parametrize("value", [-1, 10001, "abc", None, "12.5"])
def test_commission_out_of_bounds_is_refused(db, make_merchant, admin_user, value):
    merchant = make_merchant()
    with pytest.raises(ValidationError) as info:
        merchants.set_commission(merchant, commission_bp=value, actor=admin_user)
    assert "commission_bp" in info.value.fields
    assert merchant.commission_bp == 1000


def test_only_admins_set_commission(db, make_merchant, owner_of):
    merchant = make_merchant()
    with pytest.raises(PermissionDenied):
        merchants.set_commission(merchant, commission_bp=0, actor=owner_of(merchant).user)
    assert merchant.commission_bp == 1000


# --- invitations -------------------------------------------------------------------------------

def test_invite_and_accept_with_the_matching_email(db, make_merchant, make_store, make_user,
                                                   owner_of):
    merchant = make_merchant()
    store = make_store(merchant)
    owner = owner_of(merchant)
    invitation, token = merchants.invite_staff(merchant, actor=owner, email="Mai@Example.vn",
                                               role="staff", store_ids=[store.id],
                                               ttl_hours=TTL)
    assert token.startswith("inv_")
    assert invitation.token_hash == hash_token(token)
    assert invitation.email == "mai@example.vn"
    assert invitation.all_stores is False and invitation.store_ids == [store.id]
    stranger = make_user(email="not-mai@example.vn")
    with pytest.raises(PermissionDenied):
        merchants.accept_invitation(token, user=stranger)
    assert invitation.accepted_at is None
    mai = make_user(email="mai@example.vn")
    membership = merchants.accept_invitation(token, user=mai)
    assert (membership.role, membership.all_stores, membership.store_ids) == \
        ("staff", False, {store.id})
    assert invitation.accepted_at is not None
    with pytest.raises(NotFound):  # used once, gone
        merchants.accept_invitation(token, user=mai)


def test_expired_revoked_and_unknown_invitations_are_refused(db, make_merchant, make_user,
                                                             owner_of):
    merchant = make_merchant()
    owner = owner_of(merchant)
    expired, expired_token = merchants.invite_staff(merchant, actor=owner, email="a@example.vn",
                                                    role="staff", ttl_hours=TTL)
    expired.expires_at = utcnow() - timedelta(minutes=1)
    revoked, revoked_token = merchants.invite_staff(merchant, actor=owner, email="b@example.vn",
                                                    role="staff", ttl_hours=TTL)
    merchants.revoke_invitation(revoked, actor=owner)
    assert revoked.revoked_at is not None
    db.session.flush()
    for token, email in [(expired_token, "a@example.vn"), (revoked_token, "b@example.vn"),
                         ("inv_doesnotexist", "a@example.vn"), ("", "a@example.vn")]:
        user = find_user_by_email(email) or make_user(email=email)
        with pytest.raises(NotFound):
            merchants.accept_invitation(token, user=user)
    assert len(memberships_of(db, merchant)) == 1


def test_accepting_when_already_on_staff_is_a_conflict(db, make_merchant, make_member, make_user,
                                                       owner_of):
    merchant = make_merchant()
    invitation, token = merchants.invite_staff(merchant, actor=owner_of(merchant),
                                               email="c@example.vn", role="staff", ttl_hours=TTL)
    user = make_user(email="c@example.vn")
    make_member(merchant, user=user)  # joined some other way meanwhile
    with pytest.raises(Conflict):
        merchants.accept_invitation(token, user=user)
    assert invitation.accepted_at is None


def test_cannot_invite_someone_already_on_staff(db, make_merchant, make_member, owner_of):
    merchant = make_merchant()
    member = make_member(merchant)
    with pytest.raises(Conflict) as info:
        merchants.invite_staff(merchant, actor=owner_of(merchant), email=member.user.email,
                               role="manager", ttl_hours=TTL)
    assert "email" in info.value.fields


def test_manager_cannot_invite_an_owner_and_staff_cannot_invite(db, make_merchant, make_member):
    merchant = make_merchant()
    manager = make_member(merchant, role="manager")
    staff = make_member(merchant, role="staff")
    with pytest.raises(PermissionDenied):
        merchants.invite_staff(merchant, actor=manager, email="x@example.vn", role="owner",
                               ttl_hours=TTL)
    with pytest.raises(PermissionDenied):
        merchants.invite_staff(merchant, actor=staff, email="x@example.vn", role="staff",
                               ttl_hours=TTL)
    invitation, _ = merchants.invite_staff(merchant, actor=manager, email="x@example.vn",
                                           role="manager", ttl_hours=TTL)
    assert invitation.role == "manager"


def test_store_limited_manager_can_only_assign_own_stores(db, make_merchant, make_store,
                                                          make_member):
    merchant = make_merchant()
    mine, other = make_store(merchant), make_store(merchant)
    manager = make_member(merchant, role="manager", stores_=[mine])
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Invitation))
    for store_ids in ([other.id], [mine.id, other.id], [], None):
        with pytest.raises(PermissionDenied):
            merchants.invite_staff(merchant, actor=manager, email="y@example.vn", role="staff",
                                   store_ids=store_ids, ttl_hours=TTL)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == count
    invitation, _ = merchants.invite_staff(merchant, actor=manager, email="y@example.vn",
                                           role="staff", store_ids=[mine.id], ttl_hours=TTL)
    assert invitation.store_ids == [mine.id]


def test_invitation_store_ids_must_be_the_merchants_own(db, make_merchant, make_store,
                                                        owner_of):
    merchant, other_merchant = make_merchant(), make_merchant()
    foreign = make_store(other_merchant)
    with pytest.raises(ValidationError) as info:
        merchants.invite_staff(merchant, actor=owner_of(merchant), email="z@example.vn",
                               role="staff", store_ids=[foreign.id], ttl_hours=TTL)
    assert "store_ids" in info.value.fields


def test_owner_invitation_cannot_be_limited_to_stores(db, make_merchant, make_store, owner_of):
    merchant = make_merchant()
    store = make_store(merchant)
    with pytest.raises(ValidationError) as info:
        merchants.invite_staff(merchant, actor=owner_of(merchant), email="o@example.vn",
                               role="owner", store_ids=[store.id], ttl_hours=TTL)
    assert "store_ids" in info.value.fields


def test_unknown_role_is_a_validation_error(db, make_merchant, owner_of):
    merchant = make_merchant()
    with pytest.raises(ValidationError) as info:
        merchants.invite_staff(merchant, actor=owner_of(merchant), email="r@example.vn",
                               role="boss", ttl_hours=TTL)
    assert "role" in info.value.fields


# --- roles and the last owner -----------------------------------------------------------------

def test_last_owner_cannot_be_removed_or_demoted(db, make_merchant, owner_of):
    merchant = make_merchant()
    owner = owner_of(merchant)
    with pytest.raises(Conflict):
        merchants.update_membership(owner, actor=owner, role="manager")
    assert owner.role == "owner"
    with pytest.raises(Conflict):
        merchants.remove_membership(owner, actor=owner)
    assert [m.id for m in memberships_of(db, merchant)] == [owner.id]


def test_with_a_second_owner_one_may_step_down(db, make_merchant, make_member, owner_of):
    merchant = make_merchant()
    owner = owner_of(merchant)
    second = make_member(merchant, role="owner")
    merchants.update_membership(owner, actor=second, role="manager")
    assert owner.role == "manager"
    with pytest.raises(Conflict):  # now ``second`` is the last owner
        merchants.remove_membership(second, actor=second)


def test_manager_cannot_change_or_remove_an_owner(db, make_merchant, make_member, owner_of):
    merchant = make_merchant()
    owner = owner_of(merchant)
    manager = make_member(merchant, role="manager")
    with pytest.raises(PermissionDenied):
        merchants.update_membership(owner, actor=manager, role="staff")
    with pytest.raises(PermissionDenied):
        merchants.remove_membership(owner, actor=manager)
    with pytest.raises(PermissionDenied):  # nor promote themselves
        merchants.update_membership(manager, actor=manager, role="owner")
    assert owner.role == "owner" and manager.role == "manager"


def test_owner_limits_a_member_to_stores_and_back(db, make_merchant, make_store, make_member,
                                                  owner_of):
    merchant = make_merchant()
    store = make_store(merchant)
    member = make_member(merchant)
    merchants.update_membership(member, actor=owner_of(merchant), role="staff",
                                store_ids=[store.id])
    assert member.store_ids == {store.id} and not member.can_access_store(store.id + 1000)
    merchants.update_membership(member, actor=owner_of(merchant), role="manager", store_ids=[])
    assert member.all_stores and member.store_ids is None and member.role == "manager"


def test_remove_member(db, make_merchant, make_member, owner_of):
    merchant = make_merchant()
    member = make_member(merchant)
    merchants.remove_membership(member, actor=owner_of(merchant))
    assert len(memberships_of(db, merchant)) == 1


def test_require_checks_role_and_store(db, make_merchant, make_store, make_member):
    merchant = make_merchant()
    mine, other = make_store(merchant), make_store(merchant)
    staff = make_member(merchant, role="staff", stores_=[mine])
    assert merchants.require(staff, Permission.ADJUST_STOCK, store_id=mine.id) is staff
    with pytest.raises(PermissionDenied):
        merchants.require(staff, Permission.ADJUST_STOCK, store_id=other.id)
    with pytest.raises(PermissionDenied):
        merchants.require(staff, Permission.MANAGE_LISTINGS)
    with pytest.raises(PermissionDenied):
        merchants.require(None, Permission.VIEW)


def test_scoped_lookups_do_not_cross_merchants(db, make_merchant, make_member, owner_of):
    a, b = make_merchant(), make_merchant()
    b_member = make_member(b)
    b_invitation, _ = merchants.invite_staff(b, actor=owner_of(b), email="q@example.vn",
                                             role="staff", ttl_hours=TTL)
    with pytest.raises(NotFound):
        merchants.get_membership(a.id, b_member.id)
    with pytest.raises(NotFound):
        merchants.get_invitation(a.id, b_invitation.id)
    assert merchants.get_membership(b.id, str(b_member.id)) is b_member
    with pytest.raises(NotFound):
        merchants.get_membership(b.id, "abc")


@pytest.mark.parametrize("store_ids", [["abc"], [None], ["1; DROP TABLE stores"], [[1]]])
def test_malformed_store_ids_are_a_validation_error(db, make_merchant, owner_of, store_ids):
    merchant = make_merchant()
    with pytest.raises(ValidationError) as info:
        merchants.invite_staff(merchant, actor=owner_of(merchant), email="m@example.vn",
                               role="staff", store_ids=store_ids, ttl_hours=TTL)
    assert "store_ids" in info.value.fields
