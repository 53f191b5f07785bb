"""The stores within a radius, read from the database, for "in stock near me" on Meilisearch.

Meilisearch keeps a position only for stores (docs/search.md: a position on every
listing-store pair made each stock change cost seconds). To find what is in stock nearby it
needs the ids of the stores around the searcher, nearest first; the database gives them in a
few milliseconds (a bounding box on the indexed position, then exact haversine computed by
the database: in Python it was most of the time for a thousand stores), where asking
Meilisearch's store index for a thousand ids took 10 to 40 ms.
"""

from __future__ import annotations

import math

import sqlalchemy as sa

from ..extensions import db
from ..stores.models import Store
from .geo import EARTH_RADIUS_M, bounding_box
from .query import Point


def _haversine_sql(point: Point) -> sa.ColumnElement[float]:
    """Great-circle metres from ``point`` to the store, in SQL that SQLite (math functions)
    and PostgreSQL both run; the same formula and sphere as ``geo.haversine_m``."""
    f = sa.func
    lat, lng = f.radians(Store.latitude), f.radians(Store.longitude)
    half = (f.power(f.sin((lat - math.radians(point.lat)) / 2), 2)
            + math.cos(math.radians(point.lat)) * f.cos(lat)
            * f.power(f.sin((lng - math.radians(point.lng)) / 2), 2))
    return 2 * EARTH_RADIUS_M * f.asin(f.sqrt(sa.case((half > 1, 1.0), else_=half)))


def stores_within(point: Point, radius_m: int) -> list[tuple[int, float]]:
    """``(store id, metres)`` of the active stores within ``radius_m``, nearest first (ties
    by id). Stores of a suspended shop may be among them: nothing of theirs is indexed."""
    low_lat, high_lat, low_lng, high_lng = bounding_box(point.lat, point.lng, radius_m)
    where = [Store.is_active.is_(True), Store.latitude.between(low_lat, high_lat)]
    if low_lng >= -180 and high_lng <= 180:  # across the antimeridian: latitude alone
        where.append(Store.longitude.between(low_lng, high_lng))
    inside = sa.select(Store.id, _haversine_sql(point).label("metres")).where(*where).subquery()
    return [tuple(row) for row in db.session.execute(
        sa.select(inside.c.id, inside.c.metres).where(inside.c.metres <= radius_m)
        .order_by(inside.c.metres, inside.c.id))]
