"""Listings: the table, a new product/service/voucher, and one listing's page with its status,
variants and images. Reading needs Permission.VIEW; every change needs MANAGE_LISTINGS."""

from __future__ import annotations

import io

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ...catalog import services as catalog
from ...catalog.models import Listing
from ...catalog.states import TRANSITIONS, ListingKind, ListingStatus, VoucherKind
from ...database import scoped
from ...errors import MarketplaceError, NotFound
from ...extensions import db
from ...media import delete_file
from ...merchants.roles import Permission
from ...money import validate_currency
from ...states import events_from
from . import bp, requires
from . import listing_forms as forms

PAGE_SIZE = 50
NEW_ROWS = 3  # blank variant rows a new product form shows without JavaScript


def _variant_of(listing: Listing, variant_id: int):
    variant = catalog.get_variant(listing.merchant_id, variant_id)
    if variant.listing_id != listing.id:
        raise NotFound("variant")
    return variant


def _image_of(listing: Listing, image_id: int):
    image = catalog.get_image(listing.merchant_id, image_id)
    if image.listing_id != listing.id:
        raise NotFound("image")
    return image


def _to_listing(listing_id: int):
    return redirect(url_for("dashboard.listing", listing_id=listing_id), code=303)


# --- the table ---------------------------------------------------------------------------------

@bp.get("/<merchant_slug>/listings")
@requires(Permission.VIEW)
def listings(merchant_slug: str):
    status = request.args.get("status") or ""
    kind = request.args.get("kind") or ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    stmt = scoped(Listing, g.merchant.id).options(selectinload(Listing.variants)) \
        .order_by(Listing.updated_at.desc(), Listing.id.desc())
    if status in {s.value for s in ListingStatus}:
        stmt = stmt.where(Listing.status == status)
    if kind in {k.value for k in ListingKind}:
        stmt = stmt.where(Listing.kind == kind)
    found = list(db.session.scalars(stmt.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    return render_template("dashboard/listings/index.html", listings=found[:PAGE_SIZE],
                           has_next=len(found) > PAGE_SIZE, page=page, status=status,
                           kind=kind, statuses=list(ListingStatus), kinds=list(ListingKind))


# --- a new listing -----------------------------------------------------------------------------

def _render_new(kind: str, values: dict, rows: list[dict], *, errors=None, message=None,
                status: int = 200):
    rows = rows + [forms.blank_variant() for _ in range(max(NEW_ROWS - len(rows), 1))]
    return render_template("dashboard/listings/new.html", kind=kind, values=values, rows=rows,
                           categories=catalog.categories(), voucher_kinds=list(VoucherKind),
                           errors=errors or {}, message=message), status


@bp.route("/<merchant_slug>/listings/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_LISTINGS)
def listing_new(merchant_slug: str):
    kind = request.values.get("kind") or ListingKind.PRODUCT
    if kind not in {k.value for k in ListingKind}:
        abort(404)
    if request.method == "GET":
        values = {name: "" for name in forms.LISTING_TEXT} | {
            "currency": g.merchant.default_currency, "voucher_kind": VoucherKind.AMOUNT}
        return _render_new(kind, values, [])
    values = forms.read_listing(request.form)
    rows = forms.product_rows(request.form) if kind == ListingKind.PRODUCT else []
    try:
        currency = validate_currency(values["currency"] or g.merchant.default_currency)
        data = forms.listing_data(values, kind=kind, currency=currency, creating=True)
        data |= {"kind": kind, "currency": currency}
        if kind == ListingKind.PRODUCT:
            data["variants"] = forms.product_variants(rows, currency)
        listing = catalog.create_listing(g.merchant, data)
    except MarketplaceError as exc:
        db.session.rollback()
        return _render_new(kind, values, rows, errors=exc.fields, message=exc.message,
                           status=exc.status)
    db.session.commit()
    flash(_("The listing was created as a draft."), "success")
    return _to_listing(listing.id)


# --- one listing -------------------------------------------------------------------------------

def _render_listing(listing: Listing, *, form: str | None = None, values=None, errors=None,
                    message=None, status: int = 200):
    """The listing page; ``form`` names the form that failed, which shows ``values`` (what was
    typed) and ``errors`` while the other forms show the stored data."""
    public_url = None
    if listing.status == ListingStatus.PUBLISHED and g.merchant.is_public:
        public_url = url_for("storefront.listing", merchant_slug=g.merchant.slug,
                             listing_slug=listing.slug)
    return render_template(
        "dashboard/listings/detail.html", listing=listing, public_url=public_url,
        events=events_from(TRANSITIONS, ListingStatus(listing.status)),
        listing_values=values if form == "listing" else forms.listing_values(listing),
        variant_row=forms.variant_row, major=forms.major,
        new_variant=values if form == "variant-new" else forms.blank_variant(),
        form=form, values=values or {}, errors=errors or {}, message=message,
        categories=catalog.categories(), voucher_kinds=list(VoucherKind),
        max_images=catalog.MAX_IMAGES), status


def _failed(listing_id: int, exc: MarketplaceError, form: str, values=None):
    db.session.rollback()
    listing = catalog.get_listing(g.merchant.id, listing_id)  # as stored, after the rollback
    return _render_listing(listing, form=form, values=values, errors=exc.fields,
                           message=exc.message, status=exc.status)


@bp.get("/<merchant_slug>/listings/<int:listing_id>")
@requires(Permission.VIEW)
def listing(merchant_slug: str, listing_id: int):
    return _render_listing(catalog.get_listing(g.merchant.id, listing_id))


@bp.post("/<merchant_slug>/listings/<int:listing_id>")
@requires(Permission.MANAGE_LISTINGS)
def listing_update(merchant_slug: str, listing_id: int):
    listing = catalog.get_listing(g.merchant.id, listing_id)
    values = forms.read_listing(request.form)
    try:
        catalog.update_listing(listing, forms.listing_data(
            values, kind=listing.kind, currency=listing.currency, creating=False))
    except MarketplaceError as exc:
        return _failed(listing_id, exc, "listing", values)
    db.session.commit()
    flash(_("The listing was saved."), "success")
    return _to_listing(listing_id)


@bp.post("/<merchant_slug>/listings/<int:listing_id>/status")
@requires(Permission.MANAGE_LISTINGS)
def listing_status(merchant_slug: str, listing_id: int):
    listing = catalog.get_listing(g.merchant.id, listing_id)
    try:
        catalog.change_status(listing, request.form.get("event") or "")
    except MarketplaceError as exc:
        return _failed(listing_id, exc, "status")
    db.session.commit()
    flash({ListingStatus.PUBLISHED: _("The listing is published."),
           ListingStatus.DRAFT: _("The listing is a draft now."),
           ListingStatus.ARCHIVED: _("The listing is archived.")}[ListingStatus(listing.status)],
          "success")
    return _to_listing(listing_id)


# --- variants ----------------------------------------------------------------------------------

@bp.post("/<merchant_slug>/listings/<int:listing_id>/variants")
@requires(Permission.MANAGE_LISTINGS)
def variant_add(merchant_slug: str, listing_id: int):
    listing = catalog.get_listing(g.merchant.id, listing_id)
    row = forms.read_variant(request.form)
    try:
        catalog.add_variant(listing, forms.variant_data(row, listing.currency))
    except MarketplaceError as exc:
        return _failed(listing_id, exc, "variant-new", row)
    db.session.commit()
    flash(_("The variant was added."), "success")
    return _to_listing(listing_id)


@bp.post("/<merchant_slug>/listings/<int:listing_id>/variants/<int:variant_id>")
@requires(Permission.MANAGE_LISTINGS)
def variant_update(merchant_slug: str, listing_id: int, variant_id: int):
    listing = catalog.get_listing(g.merchant.id, listing_id)
    variant = _variant_of(listing, variant_id)
    row = forms.read_variant(request.form)
    try:
        catalog.update_variant(variant, forms.variant_data(row, listing.currency,
                                                           with_active=True))
    except MarketplaceError as exc:
        return _failed(listing_id, exc, f"variant-{variant_id}", row)
    db.session.commit()
    flash(_("The variant was saved."), "success")
    return _to_listing(listing_id)


@bp.post("/<merchant_slug>/listings/<int:listing_id>/variants/<int:variant_id>/delete")
@requires(Permission.MANAGE_LISTINGS)
def variant_delete(merchant_slug: str, listing_id: int, variant_id: int):
    listing = catalog.get_listing(g.merchant.id, listing_id)
    variant = _variant_of(listing, variant_id)
    try:
        deleted = catalog.remove_variant(variant)
    except MarketplaceError as exc:
        return _failed(listing_id, exc, f"variant-{variant_id}")
    db.session.commit()
    if deleted:
        flash(_("The variant was deleted."), "success")
    else:
        flash(_("The variant was deactivated because it has stock history."), "success")
    return _to_listing(listing_id)


# --- images ------------------------------------------------------------------------------------

@bp.post("/<merchant_slug>/listings/<int:listing_id>/images")
@requires(Permission.MANAGE_LISTINGS)
def image_add(merchant_slug: str, listing_id: int):
    listing = catalog.get_listing(g.merchant.id, listing_id)
    upload = request.files.get("image")
    alt = request.form.get("alt") or ""
    try:
        catalog.add_image(listing, upload.stream if upload else io.BytesIO(), alt=alt)
    except MarketplaceError as exc:
        return _failed(listing_id, exc, "image", {"alt": alt})
    db.session.commit()
    flash(_("The image was added."), "success")
    return _to_listing(listing_id)


@bp.post("/<merchant_slug>/listings/<int:listing_id>/images/<int:image_id>/delete")
@requires(Permission.MANAGE_LISTINGS)
def image_delete(merchant_slug: str, listing_id: int, image_id: int):
    listing = catalog.get_listing(g.merchant.id, listing_id)
    path = catalog.remove_image(_image_of(listing, image_id))
    db.session.commit()
    delete_file(path)  # only once the row is gone for good
    flash(_("The image was removed."), "success")
    return _to_listing(listing_id)
