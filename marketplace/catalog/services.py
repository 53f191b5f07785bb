"""Listings and their variants, tags and images."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..database import get_scoped, scoped, utcnow
from ..errors import Conflict, ValidationError
from ..extensions import db
from ..money import validate_amount, validate_currency
from ..plugins.events import emit
from ..states import next_state
from ..validation import optional_text, required_text, slugify, valid_int, valid_slug
from .models import Category, Listing, ListingImage, ListingTag, Variant
from .states import TRANSITIONS, ListingEvent, ListingKind, ListingStatus, VoucherKind

MAX_IMAGES = 12
MAX_TAGS = 20
MAX_OPTIONS = 5


def categories() -> list[Category]:
    return list(db.session.scalars(sa.select(Category).order_by(Category.position,
                                                                 Category.slug)))


def _category(value) -> int | None:
    if value in (None, ""):
        return None
    column = Category.id if str(value).isdigit() else Category.slug
    found = db.session.scalars(sa.select(Category.id).where(column == value)).first()
    if found is None:
        raise ValidationError.field("category", _l("Unknown category."))
    return found


def _tags(value) -> list[str]:
    raw = value.split(",") if isinstance(value, str) else list(value or [])
    tags = []
    for tag in raw:
        tag = " ".join(str(tag).strip().lower().split())
        if not tag:
            continue
        if len(tag) > 40:
            raise ValidationError.field("tags", _l("A tag has at most 40 characters."))
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError.field("tags", _l("At most %(n)d tags.", n=MAX_TAGS))
    return tags


def _date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError.field(field, _l("Enter a date as YYYY-MM-DD.")) from None


def _unique_slug(merchant_id: int, wanted: str, listing: Listing | None) -> str:
    clash = db.session.scalars(scoped(Listing, merchant_id).where(Listing.slug == wanted)).first()
    if clash is not None and clash is not listing:
        raise Conflict(_l("Another listing uses this address."),
                       fields={"slug": [_l("Already taken.")]})
    return wanted


def _free_slug(merchant_id: int, title: str) -> str:
    base = slugify(title, 100) or "listing"
    taken = set(db.session.scalars(scoped(Listing, merchant_id).with_only_columns(Listing.slug)
                                   .where(Listing.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean_listing(data: dict, *, merchant, listing: Listing | None) -> dict:
    creating = listing is None
    clean: dict = {}
    if creating:
        try:
            clean["kind"] = ListingKind(data.get("kind") or "product")
        except ValueError:
            raise ValidationError.field("kind", _l("Choose product, service or voucher.")) \
                from None
        clean["currency"] = validate_currency(data.get("currency") or merchant.default_currency)
    kind = clean.get("kind") or ListingKind(listing.kind)
    currency = clean.get("currency") or listing.currency
    if creating or "title" in data:
        clean["title"] = required_text(data.get("title"), "title", max_length=200)
    if data.get("slug"):
        clean["slug"] = _unique_slug(merchant.id, valid_slug(data["slug"], max_length=120),
                                     listing)
    elif creating:
        clean["slug"] = _free_slug(merchant.id, clean["title"])
    if "description" in data:
        description = data.get("description") or ""
        if len(description) > 20_000:
            raise ValidationError.field("description", _l("At most %(n)d characters.", n=20000))
        clean["description"] = description.strip()
    if "category" in data:
        clean["category_id"] = _category(data.get("category"))
    if kind == ListingKind.SERVICE and (creating or "duration_minutes" in data):
        clean["duration_minutes"] = valid_int(data.get("duration_minutes"), "duration_minutes",
                                              minimum=5, maximum=24 * 60)
    if kind == ListingKind.VOUCHER:
        clean.update(_clean_voucher(data, listing, currency))
    return clean


def _clean_voucher(data: dict, listing: Listing | None, currency: str) -> dict:
    clean: dict = {}
    if listing is None or "voucher_kind" in data or "voucher_value" in data:
        try:
            voucher_kind = VoucherKind(data.get("voucher_kind") or
                                       (listing.voucher_kind if listing else ""))
        except ValueError:
            raise ValidationError.field("voucher_kind",
                                        _l("Choose a face value or a percentage.")) from None
        value_raw = data.get("voucher_value", listing.voucher_value if listing else None)
        if voucher_kind == VoucherKind.PERCENT:
            value = valid_int(value_raw, "voucher_value", minimum=1, maximum=100)
        else:
            value = validate_amount(value_raw, "voucher_value", allow_zero=False)
        clean.update(voucher_kind=voucher_kind, voucher_value=value)
    for name in ("valid_from", "valid_until"):
        if name in data:
            clean[name] = _date(data.get(name), name)
    if "valid_days" in data:
        clean["valid_days"] = valid_int(data.get("valid_days"), "valid_days", minimum=1,
                                        maximum=3650, required=False)
    start = clean.get("valid_from", listing.valid_from if listing else None)
    end = clean.get("valid_until", listing.valid_until if listing else None)
    if start and end and end < start:
        raise ValidationError.field("valid_until", _l("Must not be before the start date."))
    return clean


def _clean_variant(data: dict, *, merchant_id: int, variant: Variant | None,
                   index: int | None = None) -> dict:
    prefix = f"variants[{index}]." if index is not None else ""
    creating = variant is None
    clean: dict = {}
    if creating or "sku" in data:
        sku = required_text(data.get("sku"), f"{prefix}sku", max_length=64)
        clash = db.session.scalars(scoped(Variant, merchant_id).where(Variant.sku == sku)).first()
        if clash is not None and clash is not variant:
            raise Conflict(_l("SKU %(sku)s is already used.", sku=sku),
                           fields={f"{prefix}sku": [_l("Already used.")]})
        clean["sku"] = sku
    if creating or "price" in data:
        clean["price"] = validate_amount(data.get("price"), f"{prefix}price")
    if "compare_at_price" in data:
        raw = data.get("compare_at_price")
        clean["compare_at_price"] = None if raw in (None, "") else validate_amount(
            raw, f"{prefix}compare_at_price")
    if "options" in data:
        options = data.get("options") or {}
        if not isinstance(options, dict) or len(options) > MAX_OPTIONS:
            raise ValidationError.field(f"{prefix}options",
                                        _l("At most %(n)d options.", n=MAX_OPTIONS))
        cleaned_options = {}
        for key, value in options.items():
            key, value = str(key).strip()[:40], str(value).strip()[:80]
            if not key or not value:
                raise ValidationError.field(f"{prefix}options",
                                            _l("Every option needs a name and a value."))
            cleaned_options[key] = value
        clean["options"] = cleaned_options
    if "barcode" in data:
        clean["barcode"] = optional_text(data.get("barcode"), f"{prefix}barcode", max_length=64)
    for flag in ("allow_negative_stock", "is_active"):
        if flag in data:
            clean[flag] = bool(data[flag])
    if "position" in data:
        clean["position"] = valid_int(data.get("position"), f"{prefix}position", minimum=0,
                                      maximum=10_000)
    price = clean.get("price", variant.price if variant else None)
    compare = clean.get("compare_at_price", variant.compare_at_price if variant else None)
    if compare is not None and price is not None and compare <= price:
        raise ValidationError.field(f"{prefix}compare_at_price",
                                    _l("The compare-at price must be higher than the price."))
    return clean


def create_listing(merchant, data: dict) -> Listing:
    """Create a listing in draft. Products give ``variants``; services and vouchers give one
    ``price`` (and optional ``sku``) which becomes their single variant."""
    clean = _clean_listing(data, merchant=merchant, listing=None)
    tags = _tags(data.get("tags"))
    if clean["kind"] == ListingKind.PRODUCT:
        variant_rows = data.get("variants") or []
        if not variant_rows:
            raise ValidationError.field("variants", _l("Add at least one variant."))
    else:
        variant_rows = [{"sku": data.get("sku") or f"{clean['slug'][:50]}-{clean['kind'][:3]}",
                         "price": data.get("price")}]
    listing = Listing(merchant_id=merchant.id, status=ListingStatus.DRAFT, **clean)
    listing.tag_rows = [ListingTag(tag=t) for t in tags]
    db.session.add(listing)
    seen: set[str] = set()
    for index, row in enumerate(variant_rows):
        fields = _clean_variant(row, merchant_id=merchant.id, variant=None,
                                index=index if clean["kind"] == ListingKind.PRODUCT else None)
        if fields["sku"] in seen:
            raise Conflict(_l("SKU %(sku)s is used twice.", sku=fields["sku"]),
                           fields={f"variants[{index}].sku": [_l("Used twice.")]})
        seen.add(fields["sku"])
        fields.setdefault("position", index)
        listing.variants.append(Variant(merchant_id=merchant.id, **fields))
    db.session.flush()
    _changed(listing, "created")
    return listing


def _changed(listing: Listing, change: str) -> None:
    emit("marketplace_listing_changed", listing.merchant, listing_id=listing.id, change=change)


def update_listing(listing: Listing, data: dict) -> Listing:
    clean = _clean_listing(data, merchant=listing.merchant, listing=listing)
    for key, value in clean.items():
        setattr(listing, key, value)
    if "tags" in data:
        listing.tag_rows = [ListingTag(tag=t) for t in _tags(data.get("tags"))]
    if listing.kind != ListingKind.PRODUCT and "price" in data and listing.variants:
        update_variant(listing.variants[0], {"price": data["price"]})
    db.session.flush()
    _changed(listing, "updated")
    return listing


# What ``marketplace_listing_changed`` reports for each publication event.
STATUS_CHANGES = {ListingEvent.PUBLISH: "published", ListingEvent.UNPUBLISH: "unpublished",
                  ListingEvent.ARCHIVE: "archived", ListingEvent.RESTORE: "restored"}


def change_status(listing: Listing, event: ListingEvent | str) -> Listing:
    try:
        event = ListingEvent(event)
    except ValueError:
        raise ValidationError.field("event", _l("Unknown action.")) from None
    target = next_state(TRANSITIONS, ListingStatus(listing.status), event)
    if target == ListingStatus.PUBLISHED and not listing.active_variants:
        raise ValidationError.field("variants", _l("Add an active variant before publishing."))
    listing.status = target
    if target == ListingStatus.PUBLISHED:
        listing.published_at = utcnow()
    db.session.flush()
    _changed(listing, STATUS_CHANGES[event])
    return listing


def add_variant(listing: Listing, data: dict) -> Variant:
    if listing.kind != ListingKind.PRODUCT:
        raise ValidationError.field("kind", _l("Only products have several variants."))
    fields = _clean_variant(data, merchant_id=listing.merchant_id, variant=None)
    fields.setdefault("position", len(listing.variants))
    variant = Variant(merchant_id=listing.merchant_id, **fields)
    listing.variants.append(variant)
    db.session.flush()
    return variant


def update_variant(variant: Variant, data: dict) -> Variant:
    for key, value in _clean_variant(data, merchant_id=variant.merchant_id,
                                     variant=variant).items():
        setattr(variant, key, value)
    db.session.flush()
    return variant


def remove_variant(variant: Variant) -> bool:
    """Delete a variant with no stock history; otherwise deactivate it (history must stay).

    Returns True when it was deleted."""
    from ..inventory.models import StockMovement
    from ..vouchers.models import Campaign

    listing = variant.listing
    if listing.status == ListingStatus.PUBLISHED and len(listing.active_variants) <= 1 \
            and variant.is_active:
        raise Conflict(_l("A published listing needs at least one active variant."))
    has_history = db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement)
                                    .where(StockMovement.variant_id == variant.id))
    # A campaign giving it away free keeps naming it (its vouchers were claimed for it).
    has_history = has_history or db.session.scalar(
        sa.select(sa.func.count()).select_from(Campaign)
        .where(Campaign.free_variant_id == variant.id))
    if has_history:
        variant.is_active = False
        db.session.flush()
        return False
    listing.variants.remove(variant)
    db.session.flush()
    return True


def add_image(listing: Listing, stream, *, alt: str = "") -> ListingImage:
    from ..media import save_image

    if len(listing.images) >= MAX_IMAGES:
        raise ValidationError.field("image", _l("At most %(n)d images.", n=MAX_IMAGES))
    stored = save_image(stream, folder=f"listings/{listing.merchant_id}/{listing.id}")
    image = ListingImage(merchant_id=listing.merchant_id, listing_id=listing.id,
                         path=stored.path, content_type=stored.content_type,
                         width=stored.width, height=stored.height,
                         size_bytes=stored.size_bytes, alt=(alt or "").strip()[:200],
                         position=len(listing.images))
    listing.images.append(image)
    db.session.flush()
    return image


def remove_image(image: ListingImage) -> str:
    """Drop the image row; returns the file path to delete after commit."""
    path = image.path
    db.session.delete(image)
    db.session.flush()
    return path


def get_listing(merchant_id: int, listing_id) -> Listing:
    return get_scoped(Listing, merchant_id, listing_id)


def get_variant(merchant_id: int, variant_id) -> Variant:
    return get_scoped(Variant, merchant_id, variant_id)


def get_image(merchant_id: int, image_id) -> ListingImage:
    return get_scoped(ListingImage, merchant_id, image_id)
