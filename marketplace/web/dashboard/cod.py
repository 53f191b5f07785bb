"""Dashboard: cash on delivery (permission ``reconcile_cash``: owners and managers).

The cash couriers still owe, per day and courier (each delivery with its parcel reference,
order number and amount), a form per group to enter the cash counted and confirm it, and the
history of remittances with their differences. Everything goes through
``marketplace.delivery.cod``; a refusal re-renders the page with the message and changes
nothing.

Members assigned to some stores only see the cash of their stores' deliveries and the
remittances made only of those, but may not confirm: a courier's cash for a day can cover
deliveries of several stores, and counting part of it would leave the rest with no owner.
Confirming is for members of every store.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from ...delivery import cod
from ...errors import MarketplaceError, PermissionDenied
from ...extensions import db
from ...merchants.roles import Permission
from ...money import parse_typed, to_decimal, validate_currency
from ...orders.audit import Actor
from ...outbox.services import notify
from ...plugins.manager import current_platform
from . import bp, requires

PAGE_SIZE = 30


def group_key(group) -> str:
    """Names one group in the page's forms (which form failed)."""
    return f"{group.carrier}|{group.courier_user_id or ''}|{group.day.isoformat()}|" \
           f"{group.currency}"


def carrier_label(identifier: str) -> str:
    """The carrier's name, or its identifier when its plugin is no longer loaded."""
    carriers = current_platform().carriers
    if identifier in carriers:
        return str(carriers.get(identifier).label or identifier)
    return identifier


def _page(*, status: int = 200, message=None, errors=None, failed=None, values=None):
    store_ids = g.membership.store_ids
    page = max(request.args.get("page", 1, type=int), 1)
    rows = db.session.scalars(cod.remittances(g.merchant.id, store_ids=store_ids)
                              .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "dashboard/cod/index.html", groups=cod.outstanding(g.merchant.id, store_ids=store_ids),
        remittances=rows[:PAGE_SIZE], has_more=len(rows) > PAGE_SIZE, page=page,
        may_reconcile=g.membership.all_stores, group_key=group_key,
        carrier_label=carrier_label, typed=lambda amount, currency: str(
            to_decimal(amount, currency)),
        message=message, errors=errors or {}, failed=failed, values=values or {}), status


@bp.get("/<merchant_slug>/cash-on-delivery")
@requires(Permission.RECONCILE_CASH)
def cod_index(merchant_slug: str):
    return _page()


def _counted(form) -> int | None:
    """The cash counted, typed as the member reads it ("1.250.000" in đồng)."""
    return parse_typed(form.get("counted"), validate_currency(form.get("currency")), "counted")


@bp.post("/<merchant_slug>/cash-on-delivery")
@requires(Permission.RECONCILE_CASH)
def cod_reconcile(merchant_slug: str):
    if not g.membership.all_stores:
        raise PermissionDenied(_l("Only members of every store may confirm couriers' cash."))
    form = request.form
    key = "|".join(form.get(name) or "" for name in ("carrier", "courier_user_id", "day",
                                                      "currency"))
    try:
        remittance = cod.reconcile(
            g.merchant, carrier=form.get("carrier"), courier_user_id=form.get("courier_user_id"),
            day=form.get("day"), counted=_counted(form), shipment_ids=form.getlist("shipment_id"),
            actor=Actor.staff(current_user), note=form.get("note"),
            currency=form.get("currency") or None)
    except MarketplaceError as exc:
        db.session.rollback()
        return _page(status=exc.status, message=exc.message, errors=exc.fields, failed=key,
                     values=form)
    count, difference = len(remittance.lines), remittance.difference
    db.session.commit()
    notify()
    flash(ngettext("Cash of %(num)d delivery confirmed.", "Cash of %(num)d deliveries "
                   "confirmed.", count) + (" " + _("The difference is recorded.")
                                           if difference else ""), "success")
    return redirect(url_for("dashboard.cod_index"), code=303)
