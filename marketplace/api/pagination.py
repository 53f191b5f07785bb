"""One way to page every list: ``?page=1&page_size=20`` in, ``{items, page, …}`` out.

The answer says whether more follows (``has_more``/``next_page``) instead of counting every row,
so a page costs one query of ``page_size + 1`` rows however long the list is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from marshmallow import Schema, fields, validate

from ..extensions import db

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000),
                          metadata={"description": "Page number, from 1."})
    page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE,
                               validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
                               metadata={"description": f"Items per page (at most "
                                                        f"{MAX_PAGE_SIZE})."})


class PageSchema(Schema):
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    has_more = fields.Boolean(required=True, metadata={"description": "Another page follows."})
    next_page = fields.Integer(allow_none=True, required=True)


_page_schemas: dict[type[Schema], type[Schema]] = {}


def page_schema(item: type[Schema]) -> type[Schema]:
    """The envelope schema of a page of ``item`` (one class per item schema, for the spec)."""
    if item not in _page_schemas:
        name = item.__name__.removesuffix("Schema") + "PageSchema"
        _page_schemas[item] = type(name, (PageSchema,), {
            "items": fields.List(fields.Nested(item), required=True),
            "__doc__": f"A page of {item.__name__.removesuffix('Schema')} items.",
        })
    return _page_schemas[item]


def paginate(source: sa.Select | Sequence | Callable[..., Sequence], args: dict) -> dict:
    """Cut one page out of a SELECT, a list, or a ``fetch(limit=, offset=)`` function."""
    page, size = args["page"], args["page_size"]
    offset = (page - 1) * size
    if isinstance(source, sa.Select):
        rows = list(db.session.scalars(source.limit(size + 1).offset(offset)).unique())
    elif callable(source):
        rows = list(source(limit=size + 1, offset=offset))
    else:
        rows = list(source[offset:offset + size + 1])
    has_more = len(rows) > size
    return {"items": rows[:size], "page": page, "page_size": size, "has_more": has_more,
            "next_page": page + 1 if has_more else None}
