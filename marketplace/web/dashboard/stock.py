"""Dashboard: stock per store — levels, adjustments, counts, transfers, history, CSV import.

The store in the URL is loaded through ``get_accessible_store`` before anything else (404 for
another merchant's store or one a store-limited member is not assigned to); the variant and
the receiving store come from the form and go through the scoped helpers too.
"""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from ...accounts.models import User
from ...catalog import services as catalog
from ...catalog.models import Listing, Variant
from ...catalog.queries import title_matches
from ...catalog.states import ListingKind
from ...database import MAX_ID, scoped
from ...errors import MarketplaceError, ValidationError
from ...extensions import db
from ...inventory import services as inventory
from ...inventory.csv_import import CsvImportError, import_stock_csv
from ...inventory.models import MANUAL_REASONS, MovementReason, StockLevel
from ...merchants.roles import Permission
from ...merchants.services import require
from ...stores.models import Store
from ...stores.services import accessible_stores, get_accessible_store
from . import bp, requires

PAGE_SIZE = 100
MOVEMENTS_PAGE = 50
CSV_COLUMNS = ("store", "sku", "quantity", "mode", "note")

REASON_LABELS = {
    MovementReason.RECEIPT: _l("Goods received"),
    MovementReason.COUNT: _l("Stock count"),
    MovementReason.DAMAGE: _l("Damaged or lost"),
    MovementReason.CORRECTION: _l("Correction"),
    MovementReason.TRANSFER_OUT: _l("Sent to another store"),
    MovementReason.TRANSFER_IN: _l("Received from another store"),
    MovementReason.IMPORT: _l("CSV import"),
    MovementReason.RESERVE: _l("Reserved for an order"),
    MovementReason.RELEASE: _l("Reservation released"),
    MovementReason.SALE: _l("Sold"),
    MovementReason.RETURN: _l("Returned by a customer"),
}


def _stocked_variants() -> sa.Select:
    """The merchant's active product variants with their listing (services and vouchers
    have no stock), in catalogue order."""
    return (scoped(Variant, g.merchant.id)
            .join(Listing, Listing.id == Variant.listing_id)
            .where(Variant.is_active.is_(True), Listing.kind == ListingKind.PRODUCT)
            .options(contains_eager(Variant.listing))
            .order_by(Listing.title, Listing.id, Variant.position, Variant.id))


def _level_rows(store: Store, *, q: str, page: int) -> tuple[list, bool]:
    """(variant, on hand, reserved) for one page of variants at ``store``: one query, and a
    variant without a stock row counts 0."""
    stmt = (_stocked_variants()
            .outerjoin(StockLevel, sa.and_(StockLevel.variant_id == Variant.id,
                                           StockLevel.store_id == store.id))
            .add_columns(sa.func.coalesce(StockLevel.on_hand, 0),
                         sa.func.coalesce(StockLevel.reserved, 0)))
    if q:
        stmt = stmt.where(sa.or_(title_matches(q[:100]), Variant.sku.ilike(f"%{q[:64]}%")))
    rows = db.session.execute(stmt.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return [tuple(r) for r in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


def _stock_page(store: Store, *, status: int = 200, failed: str | None = None,
                errors: dict | None = None, message=None, values: dict | None = None):
    q = (request.args.get("q") or "").strip()
    page = max(request.args.get("page", 1, type=int), 1)
    rows, has_next = _level_rows(store, q=q, page=page)
    chosen = values.get("variant_id") if values else request.args.get("variant_id", "")
    return render_template(
        "dashboard/stock/store.html", store=store, stores=accessible_stores(g.membership),
        rows=rows, has_next=has_next, page=page, q=q,
        variants=list(db.session.scalars(_stocked_variants())),
        reasons=[(r.value, REASON_LABELS[r]) for r in MANUAL_REASONS],
        chosen_variant=chosen or "", failed=failed, errors=errors or {}, message=message,
        values=values or {}), status


def _store_for_change(store_id: int) -> Store:
    store = get_accessible_store(g.membership, store_id)
    require(g.membership, Permission.ADJUST_STOCK, store_id=store.id)
    return store


def _posted_variant() -> Variant:
    variant_id = (request.form.get("variant_id") or "").strip()
    if not variant_id:
        raise ValidationError.field("variant_id", _l("Choose a product."))
    return catalog.get_variant(g.merchant.id, variant_id)


def _change(store: Store, form: str, apply, renames: dict | None = None):
    """Run one stock change: commit and go back to the table, or show why nothing changed.

    ``renames`` maps the service's field names to this form's inputs."""
    renames = {"variant": "variant_id"} | (renames or {})
    try:
        text = apply()
    except MarketplaceError as exc:
        db.session.rollback()
        fields = {renames.get(k, k): v for k, v in exc.fields.items()}
        return _stock_page(store, status=exc.status, failed=form, errors=fields,
                           message=exc.message, values=request.form.to_dict())
    db.session.commit()
    flash(text, "success")
    return redirect(url_for("dashboard.stock_store", store_id=store.id), code=303)


# --- pages -------------------------------------------------------------------------------------

@bp.get("/<merchant_slug>/stock")
@requires(Permission.VIEW)
def stock(merchant_slug: str):
    found = accessible_stores(g.membership)
    if not found:
        return render_template("dashboard/stock/no_stores.html")
    return redirect(url_for("dashboard.stock_store", store_id=found[0].id))


@bp.get("/<merchant_slug>/stock/<int:store_id>")
def stock_store(merchant_slug: str, store_id: int):
    store = get_accessible_store(g.membership, store_id)
    require(g.membership, Permission.VIEW, store_id=store.id)
    return _stock_page(store)


@bp.post("/<merchant_slug>/stock/<int:store_id>/adjust")
def stock_adjust(merchant_slug: str, store_id: int):
    store = _store_for_change(store_id)

    def apply():
        variant = _posted_variant()
        movement = inventory.adjust_stock(
            store=store, variant=variant, delta=request.form.get("delta"),
            reason=request.form.get("reason"), actor_id=current_user.id,
            note=request.form.get("note"))
        return _("%(sku)s: %(n)d on hand at %(store)s.", sku=variant.sku,
                 n=movement.on_hand_after, store=store.name)

    return _change(store, "adjust", apply, {"quantity": "delta"})


@bp.post("/<merchant_slug>/stock/<int:store_id>/count")
def stock_count(merchant_slug: str, store_id: int):
    store = _store_for_change(store_id)

    def apply():
        variant = _posted_variant()
        movement = inventory.count_stock(
            store=store, variant=variant, counted=request.form.get("counted"),
            actor_id=current_user.id, note=request.form.get("note"))
        return _("%(sku)s: count recorded, %(n)d on hand at %(store)s.", sku=variant.sku,
                 n=movement.on_hand_after, store=store.name)

    return _change(store, "count", apply, {"quantity": "counted"})


@bp.post("/<merchant_slug>/stock/<int:store_id>/transfer")
def stock_transfer(merchant_slug: str, store_id: int):
    store = _store_for_change(store_id)

    def apply():
        variant = _posted_variant()
        target_id = (request.form.get("target_store") or "").strip()
        if not target_id:
            raise ValidationError.field("target_store", _l("Choose the receiving store."))
        target = get_accessible_store(g.membership, target_id)
        require(g.membership, Permission.ADJUST_STOCK, store_id=target.id)
        out, _into = inventory.transfer_stock(
            source=store, target=target, variant=variant,
            quantity=request.form.get("quantity"), actor_id=current_user.id,
            note=request.form.get("note"))
        return _("Moved %(n)d × %(sku)s to %(store)s.", n=-out.on_hand_delta,
                 sku=variant.sku, store=target.name)

    return _change(store, "transfer", apply)


@bp.get("/<merchant_slug>/stock/<int:store_id>/movements")
def stock_movements(merchant_slug: str, store_id: int):
    store = get_accessible_store(g.membership, store_id)
    require(g.membership, Permission.VIEW, store_id=store.id)
    variant = None
    if request.args.get("variant_id"):
        variant = catalog.get_variant(g.merchant.id, request.args["variant_id"])
    before_id = request.args.get("before_id", type=int)
    if before_id is not None:
        before_id = min(max(before_id, 0), MAX_ID)
    found = inventory.movements(g.merchant.id, store_id=store.id,
                                variant_id=variant.id if variant else None,
                                before_id=before_id, limit=MOVEMENTS_PAGE + 1)
    shown = found[:MOVEMENTS_PAGE]
    # Who and what, in two queries: the rows' lazy loads then find them in the session.
    db.session.scalars(sa.select(User).where(
        User.id.in_({m.actor_id for m in shown if m.actor_id}))).all()
    db.session.scalars(scoped(Variant, g.merchant.id).join(Variant.listing)
                       .options(contains_eager(Variant.listing))
                       .where(Variant.id.in_({m.variant_id for m in shown}))).all()
    zone = ZoneInfo(store.timezone)
    return render_template(
        "dashboard/stock/movements.html", store=store, variant=variant, movements=shown,
        older=shown[-1].id if len(found) > MOVEMENTS_PAGE else None,
        reason_labels=REASON_LABELS,
        local_time=lambda at: format_datetime(at.astimezone(zone), "short", rebase=False))


@bp.route("/<merchant_slug>/stock/import", methods=["GET", "POST"])
@requires(Permission.ADJUST_STOCK)
def stock_import(merchant_slug: str):
    if request.method == "GET":
        return render_template("dashboard/stock/import.html", errors={}, message=None,
                               row_errors=None)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationError.field("file", _l("Choose a CSV file to upload."))
        report = import_stock_csv(g.merchant, upload.read(), actor_id=current_user.id,
                                  store_ids=g.membership.store_ids)
    except CsvImportError as exc:
        db.session.rollback()
        return render_template("dashboard/stock/import.html", errors={}, message=exc.message,
                               row_errors=exc.row_errors), exc.status
    except MarketplaceError as exc:
        db.session.rollback()
        return render_template("dashboard/stock/import.html", errors=exc.fields,
                               message=exc.message, row_errors=None), exc.status
    db.session.commit()
    flash(_("Stock imported: %(n)d rows applied.", n=report.applied), "success")
    return redirect(url_for("dashboard.stock_import"), code=303)


@bp.get("/<merchant_slug>/stock/import/template.csv")
@requires(Permission.ADJUST_STOCK)
def stock_import_template(merchant_slug: str):
    """A CSV to fill in: the header and one example row with a real store and SKU."""
    found = accessible_stores(g.membership)
    first_variant = db.session.scalars(_stocked_variants().limit(1)).first()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow([found[0].slug if found else "store-slug",
                     first_variant.sku if first_variant else "SKU-001", 10, "set",
                     _("Counted on the shelf")])
    # The BOM makes spreadsheet programs read the file as UTF-8 (Vietnamese names, notes).
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=stock-import.csv"})
