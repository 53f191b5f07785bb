"""Stock levels per store, movements, adjustments, counts, transfers and CSV imports."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from ...inventory.models import MANUAL_REASONS, MovementReason
from ..pagination import PageArgsSchema
from .common import ID


class StockLevelSchema(Schema):
    store_id = fields.Integer()
    variant_id = fields.Integer()
    sku = fields.Function(lambda level: level.variant.sku, metadata={"type": "string"})
    listing_id = fields.Function(lambda level: level.variant.listing_id,
                                 metadata={"type": "integer"})
    on_hand = fields.Integer()
    reserved = fields.Integer(metadata={"description": "Held for orders and reservations."})
    available = fields.Integer(metadata={"description": "on_hand − reserved."})
    updated_at = fields.DateTime()


class StockQuerySchema(PageArgsSchema):
    store_id = fields.Integer(validate=ID)
    variant_id = fields.Integer(validate=ID)


class MovementSchema(Schema):
    id = fields.Integer()
    store_id = fields.Integer()
    variant_id = fields.Integer()
    reason = fields.String(metadata={"enum": [r.value for r in MovementReason]})
    on_hand_delta = fields.Integer()
    reserved_delta = fields.Integer()
    on_hand_after = fields.Integer()
    reserved_after = fields.Integer()
    note = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class MovementQuerySchema(PageArgsSchema):
    store_id = fields.Integer(validate=ID)
    variant_id = fields.Integer(validate=ID)
    before_id = fields.Integer(validate=ID, metadata={
        "description": "Only movements older than this id: pass the last id of a page to "
                       "read on without skipping rows that arrive meanwhile."})


class AdjustmentSchema(Schema):
    store_id = fields.Integer(required=True, strict=True, validate=ID)
    variant_id = fields.Integer(required=True, strict=True, validate=ID)
    delta = fields.Integer(required=True, strict=True,
                           metadata={"description": "Positive adds, negative removes."})
    reason = fields.String(required=True,
                           validate=validate.OneOf([r.value for r in MANUAL_REASONS]))
    note = fields.String(allow_none=True, metadata={"description": "Required for corrections."})


class CountSchema(Schema):
    store_id = fields.Integer(required=True, strict=True, validate=ID)
    variant_id = fields.Integer(required=True, strict=True, validate=ID)
    counted = fields.Integer(required=True, strict=True,
                             metadata={"description": "What is on the shelf; on hand becomes "
                                                      "this number."})
    note = fields.String(allow_none=True)


class TransferSchema(Schema):
    from_store_id = fields.Integer(required=True, strict=True, validate=ID)
    to_store_id = fields.Integer(required=True, strict=True, validate=ID)
    variant_id = fields.Integer(required=True, strict=True, validate=ID)
    quantity = fields.Integer(required=True, strict=True)
    note = fields.String(allow_none=True)


class TransferResultSchema(Schema):
    reference = fields.String(metadata={"description": "Shared by both movements."})
    movements = fields.List(fields.Nested(MovementSchema),
                            metadata={"description": "The outgoing, then the incoming leg."})


class CsvUploadSchema(Schema):
    file = Upload(required=True, metadata={
        "description": "UTF-8 CSV with a header: store (slug or id), sku, quantity, and "
                       "optionally mode (set = a count, the default; add = a receipt) and note. "
                       "Every row is applied, or none."})


class ImportedRowSchema(Schema):
    line = fields.Integer()
    store = fields.String()
    sku = fields.String()
    mode = fields.String(metadata={"enum": ["set", "add"]})
    quantity = fields.Integer()


class ImportReportSchema(Schema):
    applied = fields.Integer()
    rows = fields.List(fields.Nested(ImportedRowSchema))
