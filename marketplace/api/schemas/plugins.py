"""A merchant's plugins: what runs for the shop and with which settings (secrets masked)."""

from __future__ import annotations

from marshmallow import Schema, fields

from ...plugins.settings import SettingType


class SettingSchema(Schema):
    key = fields.String()
    type = fields.String(metadata={"enum": [t.value for t in SettingType]})
    label = fields.String()
    help = fields.String()
    required = fields.Boolean()
    default = fields.Raw(allow_none=True)
    choices = fields.Function(lambda s: [{"value": v, "label": t} for v, t in s.choices],
                              metadata={"type": "array", "items": {"type": "object"}})
    minimum = fields.Integer(allow_none=True)
    maximum = fields.Integer(allow_none=True)
    max_length = fields.Integer()


class MerchantPluginSchema(Schema):
    name = fields.Function(lambda v: v.plugin.name)
    version = fields.Function(lambda v: v.plugin.version)
    description = fields.Function(lambda v: v.plugin.info.description)
    category = fields.Function(lambda v: str(v.plugin.info.category))
    enabled = fields.Boolean()
    settings = fields.Dict(metadata={
        "description": "Current values; secret settings show a mask when set, never the "
                       "value."})
    settings_schema = fields.Function(
        lambda v: SettingSchema(many=True).dump(v.plugin.info.merchant_settings),
        metadata={"type": "array", "items": {
            "type": "object", "description": "key, type, label, help, required, default, "
            "choices [{value, label}], minimum, maximum, max_length"}})


class MerchantPluginUpdateSchema(Schema):
    """Switch the plugin and/or replace its settings; what is left out stays as it is."""

    enabled = fields.Boolean()
    settings = fields.Dict(metadata={
        "description": "Every setting's value (validated against settings_schema; unknown "
                       "keys are refused). An omitted or empty secret keeps its stored "
                       "value."})
