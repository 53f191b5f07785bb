"""Schemas of payouts: the merchant's payout accounts and the batches the platform paid."""

from __future__ import annotations

from marshmallow import Schema, fields

from ...settlement.states import PayoutState
from .settlement import MINOR


class PayoutAccountSchema(Schema):
    currency = fields.String(metadata={"example": "VND"})
    bank_code = fields.String(allow_none=True, metadata={
        "description": "For VND the bank's NAPAS BIN (e.g. 970436); null for a bank typed "
                       "by name or SWIFT/BIC."})
    bank_name = fields.String()
    account_number = fields.String()
    holder = fields.String(metadata={"description": "As banks print it: capitals, no "
                                                    "accents."})
    updated_at = fields.DateTime()


class PayoutAccountInputSchema(Schema):
    currency = fields.String(metadata={"description": "ISO 4217; default: the merchant's "
                                                      "currency.", "example": "VND"})
    bank_code = fields.String(metadata={
        "description": "VND: the bank's NAPAS BIN, one of the listed banks."})
    bank_name = fields.String(metadata={
        "description": "Other currencies: the bank's name or SWIFT/BIC code."})
    account_number = fields.String(required=True, metadata={
        "description": "Spaces are dropped; VND: 4–19 digits or capitals, else 4–34."})
    holder = fields.String(required=True, metadata={
        "description": "Accents are dropped and letters made capitals."})


class PayoutSchema(Schema):
    id = fields.Integer()
    code = fields.String(metadata={"description": "The reference in bank files and the "
                                                  "transfer message.", "example": "PO00000042"})
    state = fields.String(metadata={"enum": [s.value for s in PayoutState]})
    currency = fields.String()
    period_first = fields.Date(allow_none=True, metadata={
        "description": "First day (platform time zone); null: everything not yet paid."})
    period_last = fields.Date()
    platform_net = fields.Integer(metadata={"description": "Your part of what the platform "
                                                           "collected; minor units."})
    merchant_commission = fields.Integer(metadata={
        "description": "Less the commission you owe on what you collected; minor units."})
    amount = fields.Integer(metadata={"description": "Paid to you: platform_net − "
                                                     "merchant_commission; " +
                                                     MINOR["description"]})
    entry_count = fields.Integer()
    bank_code = fields.String(allow_none=True)
    bank_name = fields.String()
    account_number = fields.String()
    holder = fields.String()
    transfer_message = fields.String()
    reference = fields.String(allow_none=True, metadata={"description": "The bank's or the "
                                                                        "payout method's."})
    paid_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class PayoutAccountListSchema(Schema):
    items = fields.List(fields.Nested(PayoutAccountSchema), required=True)
