"""Bulk stock import from CSV: every row is checked and applied in one transaction, or none is.

Columns (header required, any order): ``store`` (store slug or id), ``sku``, ``quantity``, and
optionally ``mode`` — ``set`` (default: a count, on hand becomes quantity) or ``add`` (a
receipt of quantity) — and ``note``. UTF-8 with or without BOM; comma, semicolon or tab.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from ..database import scoped
from ..errors import MarketplaceError, ValidationError
from ..extensions import db
from .models import MovementReason
from .services import MAX_QUANTITY, adjust_stock, count_stock

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
REQUIRED = ("store", "sku", "quantity")


class CsvImportError(MarketplaceError):
    status = 422
    code = "csv_invalid"
    title = _l("The file has errors; nothing was imported.")

    def __init__(self, row_errors: list[dict]) -> None:
        super().__init__(self.title, row_errors=row_errors)
        self.row_errors = row_errors


@dataclass
class ImportReport:
    applied: int = 0
    rows: list[dict] = field(default_factory=list)


def _decode(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise ValidationError.field("file", _l("The file is larger than 2 MB."))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError.field("file", _l("Save the file as UTF-8 CSV.")) from None


def _reader(text: str) -> csv.DictReader:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValidationError.field("file", _l("Missing columns: %(c)s.", c=", ".join(missing)))
    reader.fieldnames = header
    return reader


def import_stock_csv(merchant, raw: bytes, *, actor_id: int | None,
                     store_ids: set[int] | None) -> ImportReport:
    """Apply a stock CSV for ``merchant``; ``store_ids`` limits which stores may appear.

    Raises ``CsvImportError`` listing every bad row; the caller then rolls back, so a bad file
    changes nothing even if some rows were already applied in this transaction."""
    from ..catalog.models import Variant
    from ..stores.models import Store

    reader = _reader(_decode(raw))
    stores = list(db.session.scalars(scoped(Store, merchant.id)))
    by_key = {s.slug: s for s in stores} | {str(s.id): s for s in stores}
    errors: list[dict] = []
    planned: list[tuple[int, object, object, str, int, str | None]] = []
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            raise ValidationError.field("file", _l("At most %(n)d rows.", n=MAX_ROWS))
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        problems = []
        store = by_key.get(row.get("store", ""))
        if store is None or (store_ids is not None and store.id not in store_ids):
            problems.append(str(_l("unknown store “%(s)s”", s=row.get("store", ""))))
        variant = db.session.scalars(scoped(Variant, merchant.id).where(
            Variant.sku == row.get("sku", ""))).first()
        if variant is None:
            problems.append(str(_l("unknown SKU “%(s)s”", s=row.get("sku", ""))))
        mode = (row.get("mode") or "set").lower()
        if mode not in ("set", "add"):
            problems.append(str(_l("mode must be set or add")))
        try:
            quantity = int(row.get("quantity", ""))
            if not (0 if mode == "set" else 1) <= quantity <= MAX_QUANTITY:
                raise ValueError
        except ValueError:
            problems.append(str(_l("quantity must be a whole number (≥ 0 to set, ≥ 1 to add)")))
            quantity = 0
        if problems:
            errors.append({"line": line, "errors": problems})
        else:
            planned.append((line, store, variant, mode, quantity, row.get("note") or None))
    if not planned and not errors:
        raise ValidationError.field("file", _l("The file has no rows."))
    report = ImportReport()
    if not errors:
        seen = set()
        for line, store, variant, mode, quantity, note in planned:
            if mode == "set" and (store.id, variant.id) in seen:
                errors.append({"line": line, "errors": [str(_l("this store and SKU are set "
                                                               "twice in the file"))]})
                continue
            seen.add((store.id, variant.id))
            try:
                if mode == "set":
                    count_stock(store=store, variant=variant, counted=quantity,
                                actor_id=actor_id, note=note, reason=MovementReason.IMPORT)
                else:
                    adjust_stock(store=store, variant=variant, delta=quantity,
                                 reason=MovementReason.RECEIPT, actor_id=actor_id, note=note)
            except MarketplaceError as exc:
                errors.append({"line": line, "errors": [str(exc.message)]})
                continue
            report.applied += 1
            report.rows.append({"line": line, "store": store.slug, "sku": variant.sku,
                                "mode": mode, "quantity": quantity})
    if errors:
        raise CsvImportError(sorted(errors, key=lambda e: e["line"]))
    return report

