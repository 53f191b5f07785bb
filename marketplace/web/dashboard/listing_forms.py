"""Reading the dashboard's listing forms: prices typed in major units and variant rows.

What people type stays text until it goes to the catalog service, so a form shown again after
an error keeps exactly what was typed. Prices become integers in minor units here and nowhere
else on the web side.
"""

from __future__ import annotations

import re
from itertools import zip_longest

from flask_babel import lazy_gettext as _l

from ...catalog.states import ListingKind, VoucherKind
from ...errors import ValidationError
from ...money import parse_typed, to_decimal

# "150.000" or "150,000": thousands grouped with one separator used consistently.
ROW_KEY = re.compile(r"^variants\[(\d{1,3})\]\.")
MAX_ROWS = 100
CHECKED = ("on", "1", "true", "yes")
VARIANT_TEXT = ("sku", "price", "compare_at_price", "barcode")
LISTING_TEXT = ("title", "slug", "description", "category", "tags", "currency", "sku", "price",
                "duration_minutes", "voucher_kind", "voucher_value", "valid_from",
                "valid_until", "valid_days")


def parse_price(text, currency: str, field: str, *, required: bool = True) -> int | None:
    """What a person typed ("150000", "150.000", "19.99") → minor units, exactly."""
    amount = parse_typed(text, currency, field)
    if amount is None and required:
        raise ValidationError.field(field, _l("Enter a price."))
    return amount


def major(amount: int | None, currency: str) -> str:
    """An amount in minor units written back the way a person types it: 150000, 19.99."""
    if amount is None:
        return ""
    return format(to_decimal(amount, currency), "f")


def _collect(errors: dict, parse, *args, **kwargs):
    """Run one parser, keeping its field errors so that every bad field is reported at once."""
    try:
        return parse(*args, **kwargs)
    except ValidationError as exc:
        errors.update(exc.fields)
        return None


# --- variants ----------------------------------------------------------------------------------

def read_variant(form, prefix: str = "") -> dict:
    """One variant's fields as typed; options as (name, value) pairs in the order shown."""
    row = {name: (form.get(prefix + name) or "").strip() for name in VARIANT_TEXT}
    pairs = zip_longest(form.getlist(prefix + "option_name"),
                        form.getlist(prefix + "option_value"), fillvalue="")
    row["options"] = [(n.strip(), v.strip()) for n, v in pairs if n.strip() or v.strip()]
    row["allow_negative_stock"] = form.get(prefix + "allow_negative_stock") in CHECKED
    row["is_active"] = form.get(prefix + "is_active") in CHECKED
    return row


def variant_row(variant) -> dict:
    """A stored variant as the text its edit form starts with."""
    currency = variant.listing.currency
    return {"sku": variant.sku, "price": major(variant.price, currency),
            "compare_at_price": major(variant.compare_at_price, currency),
            "barcode": variant.barcode or "", "options": list(variant.options.items()),
            "allow_negative_stock": variant.allow_negative_stock,
            "is_active": variant.is_active}


def blank_variant() -> dict:
    return {name: "" for name in VARIANT_TEXT} | {"options": [], "allow_negative_stock": False,
                                                  "is_active": True}


def is_blank(row: dict) -> bool:
    return not any(row[name] for name in VARIANT_TEXT) and not row["options"]


def product_rows(form) -> list[dict]:
    """The filled variant rows of a new product, in form order (blank rows are dropped)."""
    indices = sorted({int(m.group(1)) for key in form if (m := ROW_KEY.match(key))})
    rows = [read_variant(form, f"variants[{i}].") for i in indices[:MAX_ROWS]]
    return [row for row in rows if not is_blank(row)]


def variant_data(row: dict, currency: str, field_prefix: str = "", *,
                 with_active: bool = False) -> dict:
    """Catalog service input for one typed variant."""
    errors: dict = {}
    data = {"sku": row["sku"], "barcode": row["barcode"], "options": dict(row["options"]),
            "allow_negative_stock": row["allow_negative_stock"],
            "price": _collect(errors, parse_price, row["price"], currency,
                              f"{field_prefix}price"),
            "compare_at_price": _collect(errors, parse_price, row["compare_at_price"],
                                         currency, f"{field_prefix}compare_at_price",
                                         required=False)}
    if with_active:
        data["is_active"] = row["is_active"]
    if errors:
        raise ValidationError(fields=errors)
    return data


def product_variants(rows: list[dict], currency: str) -> list[dict]:
    """Service input for the rows of a new product; row i reports errors as variants[i].x,
    the names the service uses too."""
    variants, errors = [], {}
    for index, row in enumerate(rows):
        data = _collect(errors, variant_data, row, currency, f"variants[{index}].")
        if data is not None:
            variants.append(data)
    if errors:
        raise ValidationError(fields=errors)
    return variants


# --- listings ----------------------------------------------------------------------------------

def read_listing(form) -> dict:
    return {name: (form.get(name) or "").strip() for name in LISTING_TEXT}


def listing_values(listing) -> dict:
    """A stored listing as the text its edit form starts with."""
    currency = listing.currency
    values = {name: "" for name in LISTING_TEXT} | {
        "title": listing.title, "slug": listing.slug, "description": listing.description,
        "category": listing.category_id or "", "tags": ", ".join(listing.tags),
        "currency": currency, "duration_minutes": listing.duration_minutes or "",
        "voucher_kind": listing.voucher_kind or "", "valid_days": listing.valid_days or "",
        "valid_from": listing.valid_from.isoformat() if listing.valid_from else "",
        "valid_until": listing.valid_until.isoformat() if listing.valid_until else ""}
    if listing.voucher_value is not None:
        values["voucher_value"] = major(listing.voucher_value, currency) \
            if listing.voucher_kind == VoucherKind.AMOUNT else str(listing.voucher_value)
    if listing.kind != ListingKind.PRODUCT and listing.variants:
        values["price"] = major(listing.variants[0].price, currency)
    return values


def listing_data(values: dict, *, kind: str, currency: str, creating: bool) -> dict:
    """Catalog service input for the listing form of ``kind`` (without product variants)."""
    errors: dict = {}
    data = {name: values.get(name, "") for name in ("title", "description", "category", "tags")}
    if not creating and values.get("slug"):
        data["slug"] = values["slug"]
    if kind == ListingKind.SERVICE:
        data["duration_minutes"] = values.get("duration_minutes", "")
    if kind == ListingKind.VOUCHER:
        for name in ("voucher_kind", "valid_from", "valid_until", "valid_days"):
            data[name] = values.get(name, "")
        raw = values.get("voucher_value", "")
        # A face value is money typed in major units; a percentage is a plain number.
        data["voucher_value"] = _collect(errors, parse_price, raw, currency, "voucher_value") \
            if values.get("voucher_kind") == VoucherKind.AMOUNT else raw
    if kind != ListingKind.PRODUCT:
        data["price"] = _collect(errors, parse_price, values.get("price"), currency, "price")
        if creating and kind == ListingKind.SERVICE and values.get("sku"):
            data["sku"] = values["sku"]
    if errors:
        raise ValidationError(fields=errors)
    return data
