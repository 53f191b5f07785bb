"""Schemas of the statement: the merchant's balance with the platform and its ledger."""

from __future__ import annotations

from marshmallow import Schema, fields

from ..pagination import PageArgsSchema, page_schema

MINOR = {"description": "Minor units of the currency (VND has none: 150000 is ₫150,000)."}


class StatementArgsSchema(PageArgsSchema):
    start = fields.Date(data_key="from", metadata={
        "description": "First day (YYYY-MM-DD, in the platform's time zone), inclusive."})
    end = fields.Date(data_key="to", metadata={"description": "Last day, inclusive."})


class BalanceSchema(Schema):
    currency = fields.String()
    platform_gross = fields.Integer(metadata={
        "description": "Collected by the platform for you (card payments), less refunds."})
    platform_commission = fields.Integer(metadata=MINOR)
    platform_net = fields.Integer(metadata={"description": "Your part of what the platform "
                                                           "collected."})
    merchant_gross = fields.Integer(metadata={
        "description": "Collected by you (at the counter, to your account), less refunds."})
    merchant_commission = fields.Integer(metadata={
        "description": "The commission you owe on what you collected."})
    due = fields.Integer(metadata={"description": "What the platform owes you; negative: "
                                                  "what you owe the platform."})


class LedgerEntrySchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    order_id = fields.Integer()
    payment_id = fields.Integer()
    refund_id = fields.Integer(allow_none=True)
    kind = fields.String(metadata={"enum": ["capture", "refund"]})
    collected_by = fields.String(metadata={"enum": ["platform", "merchant"]})
    currency = fields.String()
    gross = fields.Integer(metadata={"description": "Positive for a payment, negative for a "
                                                    "refund; minor units."})
    commission = fields.Integer(metadata=MINOR)
    net = fields.Integer(metadata=MINOR)
    commission_bp = fields.Integer(metadata={"description": "The rate, in basis points "
                                                            "(1000 = 10 %)."})


class StatementSchema(page_schema(LedgerEntrySchema)):
    balances = fields.List(fields.Nested(BalanceSchema), required=True)
