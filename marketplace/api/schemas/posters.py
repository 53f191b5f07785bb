"""Posters as the API takes and shows them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import ID


class PosterCreateSchema(Schema):
    target = fields.String(required=True, validate=validate.OneOf(["store", "listing",
                                                                   "campaign"]))
    target_id = fields.Integer(required=True, validate=ID)
    store_id = fields.Integer(required=True, validate=ID, metadata={
        "description": "The store the poster is shown at: its scans and what follows them "
                       "count for this store."})
    headline = fields.String(validate=validate.Length(max=80), metadata={
        "description": "Printed above the QR code; by default the name of the target."})


class PosterSchema(Schema):
    id = fields.Integer()
    target = fields.String()
    target_id = fields.Integer()
    store_id = fields.Integer()
    headline = fields.String()
    link = fields.String(metadata={"description": "The short link in the QR code."})
    scans = fields.Integer()
    visitors = fields.Integer(metadata={"description": "Distinct phones that scanned it."})
    created_at = fields.AwareDateTime()
