"""Codes at the counter as the API takes and answers them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import ID
from .orders import MONEY

OUTCOMES = ["redeemable", "redeemed", "already_redeemed", "revoked", "expired",
            "not_yet_valid", "wrong_merchant", "wrong_store", "invalid", "refused", "conflict"]


class RedeemDetailsSchema(Schema):
    amount = fields.Integer(validate=validate.Range(min=0, max=10**12),
                            metadata={"description": "The bill a voucher applies to. "
                                                     + MONEY["description"]})
    payment_taken = fields.Boolean(load_default=False, metadata={
        "description": "Pay at store: the money was taken at the counter."})
    lines = fields.Dict(keys=fields.String(), values=fields.Integer(
        validate=validate.Range(min=0, max=9999)), metadata={
        "description": "An order: line id → quantity taken (a partial pickup, what was bought "
                       "after trying; a reservation to try needs it). Default: every line."})


class CodeTextSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=2048), metadata={
        "description": "The scanned QR text or the typed human code (dashes and spaces are "
                       "ignored)."})
    store_id = fields.Integer(required=True, validate=ID)
    method = fields.String(load_default="scan", validate=validate.OneOf(["scan", "typed"]))
    details = fields.Nested(RedeemDetailsSchema, load_default=dict)


class RedeemSchema(CodeTextSchema):
    nonce = fields.String(required=True, validate=validate.Length(min=8, max=64), metadata={
        "description": "The scanner's own id for this scan (e.g. a UUID). Sent again after "
                       "a lost answer, it gets the first answer back and redeems nothing."})


class OfflineScanSchema(RedeemSchema):
    scanned_at = fields.AwareDateTime(required=True, metadata={
        "description": "When the scanner, offline, saw and accepted the code."})


class SyncSchema(Schema):
    scans = fields.List(fields.Nested(OfflineScanSchema), required=True,
                        validate=validate.Length(min=1, max=200))


class AnswerSchema(Schema):
    outcome = fields.String(metadata={"enum": OUTCOMES})
    message = fields.String(metadata={"description": "What to tell the staff member, in "
                                                     "their language."})
    code = fields.Dict(metadata={"description": "The code and what it stands for: `kind`, "
                                               "`title`, `holder`, `lines` to hand over, "
                                               "`conditions`, `needs` (fields to confirm)."})
    redeemed = fields.Dict(metadata={"description": "Where, by whom and when it was "
                                                   "redeemed (already redeemed, conflict)."})
    result = fields.Dict(metadata={"description": "What the redemption did (the order "
                                                 "collected, the voucher's discount); for a "
                                                 "look-up with `details`, what it would do."})
    problem = fields.Dict(metadata={"description": "A look-up whose `details` would be "
                                                  "refused (a bill below the minimum spend): "
                                                  "`message` and `fields`."})


class SyncResultSchema(Schema):
    nonce = fields.String()
    status = fields.Integer()
    answer = fields.Nested(AnswerSchema)


class SyncAnswerSchema(Schema):
    results = fields.List(fields.Nested(SyncResultSchema))


class RevocationsSchema(Schema):
    generated_at = fields.AwareDateTime()
    revoked = fields.List(fields.Integer(), metadata={"description": "Ids of revoked codes."})
    redeemed = fields.List(fields.Integer(), metadata={"description": "Ids of codes already "
                                                                      "redeemed."})


class AttemptQuerySchema(Schema):
    outcome = fields.String(validate=validate.OneOf(OUTCOMES[1:]))
    store_id = fields.Integer(validate=ID)


class AttemptSchema(Schema):
    id = fields.Integer()
    code_id = fields.Integer(allow_none=True)
    store_id = fields.Integer(allow_none=True)
    staff_id = fields.Integer(allow_none=True)
    outcome = fields.String()
    method = fields.String()
    nonce = fields.String(allow_none=True)
    device = fields.String(allow_none=True)
    offline = fields.Boolean()
    scanned_at = fields.AwareDateTime()
    created_at = fields.AwareDateTime()
    message = fields.Function(lambda attempt: attempt.answer.get("message", ""))
