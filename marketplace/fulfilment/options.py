"""Which of a merchant's stores can serve an order, nearest first when we know where the
consumer is, and what the others lack."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..errors import ValidationError
from ..extensions import db
from ..inventory.models import StockLevel
from ..search.geo import haversine_m
from ..stores.models import Store


def distance_km(position: tuple[float, float], store) -> float:
    """How far the store is from ``position`` (the sphere search uses: ``geo.haversine_m``)."""
    return haversine_m(position[0], position[1], store.latitude, store.longitude) / 1000


def parse_position(lat, lng) -> tuple[float, float] | None:
    """A position from a form or query (both or neither), or ``ValidationError``."""
    if lat in (None, "") and lng in (None, ""):
        return None
    try:
        position = float(lat), float(lng)
    except (TypeError, ValueError):
        raise ValidationError.field("lat", _l("Enter a latitude and a longitude.")) from None
    if not (-90 <= position[0] <= 90 and -180 <= position[1] <= 180) or \
            not all(math.isfinite(x) for x in position):
        raise ValidationError.field("lat", _l("Enter a latitude and a longitude."))
    return position


@dataclass
class StoreOption:
    store: Store
    distance_km: float | None
    # (variant id, title, wanted, available here) for each line this store cannot cover.
    missing: list[tuple[int, str, int, int]] = field(default_factory=list)

    @property
    def has_everything(self) -> bool:
        return not self.missing


def store_options(merchant, lines, position: tuple[float, float] | None = None,
                  ) -> list[StoreOption]:
    """Every active store offering pickup or reservations, with what it lacks of ``lines``
    (objects with ``variant`` and ``quantity``): complete stores first, then by distance."""
    stores = list(db.session.scalars(
        sa.select(Store).where(Store.merchant_id == merchant.id, Store.is_active.is_(True),
                               sa.or_(Store.pickup_enabled.is_(True),
                                      Store.reserve_enabled.is_(True)))
        .order_by(Store.name)))
    variant_ids = [line.variant.id for line in lines]
    available = {(store_id, variant_id): on_hand - reserved for store_id, variant_id, on_hand,
                 reserved in db.session.execute(
                     sa.select(StockLevel.store_id, StockLevel.variant_id, StockLevel.on_hand,
                               StockLevel.reserved)
                     .where(StockLevel.merchant_id == merchant.id,
                            StockLevel.variant_id.in_(variant_ids or [-1])))}
    options = []
    for store in stores:
        distance = distance_km(position, store) if position else None
        option = StoreOption(store, distance)
        for line in lines:
            here = available.get((store.id, line.variant.id), 0)
            if here < line.quantity and not line.variant.allow_negative_stock:
                option.missing.append((line.variant.id, line.variant.listing.title,
                                       line.quantity, max(here, 0)))
        options.append(option)
    options.sort(key=lambda o: (not o.has_everything,
                                o.distance_km if o.distance_km is not None else 0.0,
                                o.store.name))
    return options
