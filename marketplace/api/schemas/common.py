"""Schemas and fields shared by every domain: problems, number shapes, times of day, images."""

from __future__ import annotations

from datetime import time

from flask import url_for
from marshmallow import INCLUDE, Schema, fields, validate

from ...database import MAX_ID

# Shapes of numbers as the database stores them, so an absurd number is a 422, never a 500.
ID = validate.Range(min=1, max=MAX_ID)
INT32 = validate.Range(min=-(2**31), max=2**31 - 1)
INT64 = validate.Range(min=-(2**63), max=2**63 - 1)  # money amounts (BIGINT columns)


class ProblemSchema(Schema):
    """An error answer (RFC 9457 ``application/problem+json``) with a stable ``code``."""

    class Meta:
        unknown = INCLUDE  # some problems carry more members (``available``, ``row_errors``)

    type = fields.String(metadata={"description": "A URI naming the kind of problem."})
    title = fields.String(metadata={"description": "A short summary of the kind of problem."})
    status = fields.Integer(metadata={"description": "The HTTP status code."})
    code = fields.String(metadata={"description": "A stable machine-readable code, e.g. "
                                                  "`validation_failed`, `not_found`."})
    detail = fields.String(metadata={"description": "What went wrong this time."})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "Messages per offending field, e.g. "
                                                  "`variants[0].price`."})
    row_errors = fields.List(fields.Dict(), metadata={
        "description": "CSV imports only: `{line, errors}` for every bad line."})


class HourMinute(fields.String):
    """A local time of day as ``"HH:MM"``; the services parse and check it."""

    def __init__(self, **kwargs) -> None:
        metadata = {"pattern": r"^\d{1,2}:\d{2}$", "example": "08:00"} | kwargs.pop(
            "metadata", {})
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, time):
            return value.strftime("%H:%M")
        return super()._serialize(value, attr, obj, **kwargs)


class IntervalSchema(Schema):
    """One opening interval of a day; ``overnight`` closes on the next day."""

    opens = HourMinute(required=True)
    closes = HourMinute(required=True)
    overnight = fields.Boolean(load_default=False, dump_default=False)


class WeeklyIntervalSchema(IntervalSchema):
    weekday = fields.Integer(required=True, strict=True,
                             metadata={"description": "0 = Monday … 6 = Sunday (the day the "
                                                      "interval starts)."})


class Annotated:
    """A model object seen with a few extra attributes, for dumping; the model is untouched."""

    def __init__(self, obj, **extra) -> None:
        self._obj = obj
        self.__dict__.update(extra)

    def __getattr__(self, name: str):
        return getattr(self._obj, name)


def media_url(path: str | None) -> str | None:
    return url_for("media.file", filename=path, _external=True) if path else None


class ImageSchema(Schema):
    id = fields.Integer()
    url = fields.Function(lambda image: media_url(image.path),
                          metadata={"type": "string", "format": "uri"})
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    size_bytes = fields.Integer()
    alt = fields.String()
    position = fields.Integer()
