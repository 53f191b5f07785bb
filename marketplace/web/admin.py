"""Platform admin: review merchants (approve, reject, suspend, reinstate) and set commissions.

Only platform admins get here; everyone else gets 404 (``admin_required``). Status changes go
through ``merchants.services.change_status`` (row lock + audit row); the merchant's owners are
told by e-mail through the outbox, so the mail is only sent if the change commits.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..accounts.models import User
from ..auth import admin_required
from ..catalog.models import Listing
from ..catalog.states import ListingStatus
from ..database import MAX_ID
from ..errors import MarketplaceError, NotFound, ValidationError
from ..extensions import db
from ..merchants import services as merchant_services
from ..merchants.models import Membership, Merchant, MerchantStatusChange
from ..merchants.roles import Role
from ..merchants.states import ADMIN_EVENTS, TRANSITIONS, MerchantEvent, MerchantStatus
from ..notifications.mail import queue_mail
from ..outbox.services import notify
from ..settlement import services as settlement
from ..states import events_from
from ..stores.models import Store

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Pending first: that is the queue an admin works through.
STATUS_ORDER = (MerchantStatus.PENDING, MerchantStatus.APPROVED, MerchantStatus.SUSPENDED,
                MerchantStatus.REJECTED)
# The merchant reads the reason in the e-mail, so refusing or suspending must explain itself.
REASON_REQUIRED = frozenset({MerchantEvent.REJECT, MerchantEvent.SUSPEND})
STATUS_LABELS = {
    MerchantStatus.PENDING: _l("Pending"),
    MerchantStatus.APPROVED: _l("Approved"),
    MerchantStatus.SUSPENDED: _l("Suspended"),
    MerchantStatus.REJECTED: _l("Rejected"),
}
EVENT_LABELS = {
    MerchantEvent.APPROVE: _l("Approve"),
    MerchantEvent.REJECT: _l("Reject"),
    MerchantEvent.SUSPEND: _l("Suspend"),
    MerchantEvent.REINSTATE: _l("Reinstate"),
    MerchantEvent.RESUBMIT: _l("Resubmit"),
}


@bp.context_processor
def _labels():
    return {"status_labels": STATUS_LABELS, "event_labels": EVENT_LABELS,
            "percent": basis_points_to_percent}


# --- reading -----------------------------------------------------------------------------------

def _merchant_or_404(merchant_id: int) -> Merchant:
    # An id beyond the column's range cannot exist (and the database would refuse the number).
    merchant = db.session.get(Merchant, merchant_id) if 0 < merchant_id <= MAX_ID else None
    if merchant is None:
        raise NotFound("merchant")
    return merchant


def _owners(merchant_ids) -> dict[int, list[User]]:
    """The owner accounts of each merchant, in one query."""
    ids = list(merchant_ids)
    owners: dict[int, list[User]] = defaultdict(list)
    if ids:
        rows = db.session.execute(
            sa.select(Membership.merchant_id, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.merchant_id.in_(ids), Membership.role == Role.OWNER)
            .order_by(Membership.merchant_id, User.email))
        for merchant_id, user in rows:
            owners[merchant_id].append(user)
    return owners


def _status_counts() -> dict[str, int]:
    rows = db.session.execute(sa.select(Merchant.status, sa.func.count()).group_by(
        Merchant.status))
    return {status: count for status, count in rows}


def _count(stmt) -> int:
    return db.session.scalar(stmt) or 0


def percent_to_basis_points(text, field: str = "commission_percent") -> int:
    """"12.5" (or "12,5", "12.5 %") → 1250, exactly; at most two decimals, 0–100."""
    raw = str(text or "").strip().rstrip("%").strip().replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValidationError.field(field, _l("Enter a percentage such as 12.5."))
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationError.field(field, _l("Enter a percentage between 0 and 100."))
    basis_points = value * 100
    if basis_points != basis_points.to_integral_value():
        raise ValidationError.field(field, _l("Use at most two decimal places."))
    return int(basis_points)


def basis_points_to_percent(basis_points: int) -> str:
    """1250 → "12.5", 1000 → "10", 1234 → "12.34" (what the form shows)."""
    text = f"{Decimal(basis_points) / 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- pages -------------------------------------------------------------------------------------

@bp.get("/")
@admin_required
def merchants():
    status = request.args.get("status") or ""
    if status and status not in {s.value for s in MerchantStatus}:
        status = ""
    stmt = sa.select(Merchant).order_by(Merchant.created_at.desc(), Merchant.id.desc())
    if status:
        stmt = stmt.where(Merchant.status == status)
    found = list(db.session.scalars(stmt))
    groups = [(s, [m for m in found if m.status == s]) for s in STATUS_ORDER]
    return render_template(
        "admin/merchants.html", groups=[(s, rows) for s, rows in groups if rows],
        owners=_owners(m.id for m in found), counts=_status_counts(), status=status,
        statuses=STATUS_ORDER)


def _render_merchant(merchant_id: int, *, errors=None, message=None, status: int = 200,
                     values: dict | None = None):
    merchant = _merchant_or_404(merchant_id)
    history = list(db.session.scalars(
        sa.select(MerchantStatusChange).where(MerchantStatusChange.merchant_id == merchant.id)
        .order_by(MerchantStatusChange.created_at.desc(), MerchantStatusChange.id.desc())))
    listings = _count(sa.select(sa.func.count()).select_from(Listing).where(
        Listing.merchant_id == merchant.id))
    published = _count(sa.select(sa.func.count()).select_from(Listing).where(
        Listing.merchant_id == merchant.id, Listing.status == ListingStatus.PUBLISHED))
    stores = _count(sa.select(sa.func.count()).select_from(Store).where(
        Store.merchant_id == merchant.id))
    events = [e for e in events_from(TRANSITIONS, MerchantStatus(merchant.status))
              if e in ADMIN_EVENTS]
    values = values or {}
    values.setdefault("commission_percent", basis_points_to_percent(merchant.commission_bp))
    return render_template(
        "admin/merchant.html", merchant=merchant, owners=_owners([merchant.id])[merchant.id],
        history=history, listings_count=listings, published_count=published,
        stores_count=stores, events=events, reason_required=REASON_REQUIRED,
        balances=settlement.balances(merchant.id), errors=errors or {}, message=message,
        values=values), status


@bp.get("/merchants/<int:merchant_id>")
@admin_required
def merchant(merchant_id: int):
    return _render_merchant(merchant_id)


def _admin_event(value) -> MerchantEvent:
    try:
        event = MerchantEvent(value)
    except ValueError:
        event = None
    if event not in ADMIN_EVENTS:
        raise ValidationError.field("event", _l("Unknown action."))
    return event


STATUS_SUBJECTS = {
    MerchantEvent.APPROVE: _l("%(name)s is approved: your shop is live"),
    MerchantEvent.REJECT: _l("%(name)s was not approved"),
    MerchantEvent.SUSPEND: _l("%(name)s is suspended"),
    MerchantEvent.REINSTATE: _l("%(name)s is active again"),
}


def _queue_status_mail(merchant: Merchant, event: MerchantEvent, reason: str | None) -> None:
    """One e-mail per owner, in the owner's language, written to the outbox."""
    default_locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    for owner in _owners([merchant.id])[merchant.id]:
        locale = owner.locale or default_locale
        with force_locale(locale):
            subject = str(STATUS_SUBJECTS[event] % {"name": merchant.name})
        queue_mail(to=owner.email, template="merchant_status", locale=locale, subject=subject,
                   merchant=merchant, event=str(event), reason=reason, owner=owner)


@bp.post("/merchants/<int:merchant_id>/status")
@admin_required
def change_status(merchant_id: int):
    merchant = _merchant_or_404(merchant_id)
    reason = (request.form.get("reason") or "").strip()
    try:
        event = _admin_event(request.form.get("event"))
        if event in REASON_REQUIRED and not reason:
            raise ValidationError.field("reason",
                                        _l("Give a reason: the merchant will read it."))
        merchant = merchant_services.change_status(merchant, event,
                                           actor=current_user._get_current_object(),
                                           reason=reason or None)
        _queue_status_mail(merchant, event, merchant.status_reason)
    except MarketplaceError as exc:
        db.session.rollback()
        return _render_merchant(merchant_id, errors=exc.fields, message=exc.message,
                                status=exc.status, values={"reason": reason})
    name, new_status = merchant.name, merchant.status
    db.session.commit()
    notify()
    flash(_("%(name)s: %(status)s.", name=name, status=STATUS_LABELS[MerchantStatus(new_status)]),
          "success")
    return redirect(url_for("admin.merchant", merchant_id=merchant_id), code=303)


@bp.post("/merchants/<int:merchant_id>/commission")
@admin_required
def set_commission(merchant_id: int):
    merchant = _merchant_or_404(merchant_id)
    text = request.form.get("commission_percent", "")
    try:
        merchant_services.set_commission(merchant, commission_bp=percent_to_basis_points(text),
                                 actor=current_user._get_current_object())
    except MarketplaceError as exc:
        db.session.rollback()
        return _render_merchant(merchant_id, errors=exc.fields, message=exc.message,
                                status=exc.status, values={"commission_percent": text})
    db.session.commit()
    flash(_("The commission is now %(percent)s %%.",
            percent=basis_points_to_percent(merchant.commission_bp)), "success")
    return redirect(url_for("admin.merchant", merchant_id=merchant_id), code=303)


# (importing these registers their pages on bp)
from . import admin_payouts, admin_plugins  # noqa: E402,F401
