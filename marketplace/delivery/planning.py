"""Where a delivery leaves from, and what the merchant's carriers ask for it.

Ship from the store: the nearest of the merchant's open stores that has the whole order in
stock sends it in one parcel. When no store has all of it, the order is split: stores are
taken nearest first, each sending what it has of what is still missing, one parcel (and one
order, so each store holds and ships only its own goods) per store. The customer sees the
split and must accept it before it is placed.

Quotes come from every carrier the merchant enabled, asked before anything is locked. A
carrier's service is offered only when it can take every parcel; its price is the sum of
the parcels' fees and its promise the latest of their windows. Nothing here writes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..errors import InsufficientStock, MarketplaceError, ValidationError
from ..extensions import db
from ..inventory.models import StockLevel
from ..plugins.manager import current_platform
from ..plugins.providers import DeliveryQuote, DeliveryRequest
from ..search.geo import haversine_m
from ..stores.models import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parcel:
    """What one store sends: (variant, quantity) pairs, and how far it goes."""

    store: Store
    items: tuple[tuple[object, int], ...]
    distance_m: float

    @property
    def subtotal(self) -> int:
        return sum(variant.price * quantity for variant, quantity in self.items)


@dataclass(frozen=True)
class Offer:
    """One carrier service that can take every parcel: one quote per parcel, in order."""

    carrier: str
    service: str
    label: str
    quotes: tuple[DeliveryQuote, ...]

    @property
    def fee(self) -> int:
        return sum(q.fee for q in self.quotes)

    @property
    def currency(self) -> str:
        return self.quotes[0].currency

    @property
    def window_start(self) -> datetime:
        return max(q.window_start for q in self.quotes)

    @property
    def window_end(self) -> datetime:
        return max(q.window_end for q in self.quotes)

    @property
    def cash_on_delivery(self) -> bool:
        return all(q.cash_on_delivery for q in self.quotes)

    @property
    def inspect_before_accept(self) -> bool:
        return all(q.inspect_before_accept for q in self.quotes)

    @property
    def delivery_attempts(self) -> int:
        return min(q.delivery_attempts for q in self.quotes)

    @property
    def redelivery_fee(self) -> int:
        return max(q.redelivery_fee for q in self.quotes)


@dataclass(frozen=True)
class Plan:
    parcels: tuple[Parcel, ...]
    offers: tuple[Offer, ...]

    @property
    def split(self) -> bool:
        return len(self.parcels) > 1

    def offer(self, carrier: str, service: str) -> Offer | None:
        return next((o for o in self.offers if (o.carrier, o.service) == (carrier, service)),
                    None)


def _stores(merchant_id: int) -> list[Store]:
    return list(db.session.scalars(sa.select(Store).where(
        Store.merchant_id == merchant_id, Store.is_active.is_(True)).order_by(Store.id)))


def _available(store_ids: list[int], variant_ids: list[int]) -> dict[tuple[int, int], int]:
    rows = db.session.execute(sa.select(StockLevel.store_id, StockLevel.variant_id,
                                        StockLevel.on_hand - StockLevel.reserved).where(
        StockLevel.store_id.in_(store_ids or [-1]),
        StockLevel.variant_id.in_(variant_ids or [-1])))
    return {(store_id, variant_id): max(left, 0) for store_id, variant_id, left in rows}


def parcels(merchant_id: int, wanted: list[tuple[object, int]],
            destination: tuple[float, float]) -> tuple[Parcel, ...]:
    """The parcels for ``wanted`` (variant, quantity) delivered to ``destination``."""
    stores = _stores(merchant_id)
    distance = {s.id: haversine_m(s.latitude, s.longitude, *destination) for s in stores}
    stores.sort(key=lambda s: (distance[s.id], s.id))
    left = _available([s.id for s in stores], [v.id for v, _ in wanted])
    for store in stores:  # the nearest store with everything sends it all
        if all(left.get((store.id, v.id), 0) >= q for v, q in wanted):
            return (Parcel(store, tuple(wanted), distance[store.id]),)
    missing = {v.id: q for v, q in wanted}
    variants = {v.id: v for v, _ in wanted}
    found: list[Parcel] = []
    for store in stores:
        items = []
        for variant_id, quantity in missing.items():
            take = min(quantity, left.get((store.id, variant_id), 0))
            if take:
                items.append((variants[variant_id], take))
        if items:
            found.append(Parcel(store, tuple(items), distance[store.id]))
            for variant, take in items:
                missing[variant.id] -= take
            missing = {k: v for k, v in missing.items() if v}
        if not missing:
            return tuple(found)
    variant = variants[next(iter(missing))]
    raise InsufficientStock(
        _l("Not enough “%(title)s” in the shop’s stores to deliver it.",
           title=variant.listing.title), variant_id=variant.id)


def _quotes(carrier, parcel: Parcel, *, merchant_id: int, address: dict, currency: str,
            cash_on_delivery: bool, now: datetime) -> list[DeliveryQuote]:
    request = DeliveryRequest(
        merchant_id=merchant_id, store_id=parcel.store.id,
        origin=(parcel.store.latitude, parcel.store.longitude),
        destination=(address["latitude"], address["longitude"]),
        district=address["district"], city=address["city"], basket_total=parcel.subtotal,
        currency=currency, cash_on_delivery=cash_on_delivery, asked_at=now)
    try:
        quotes = carrier.quote(request)
    except MarketplaceError as exc:  # this carrier cannot: the others may
        log.info("carrier %s gave no quote: %s", carrier.identifier, exc.message)
        return []
    return [q for q in quotes or () if isinstance(q, DeliveryQuote)
            and q.carrier == carrier.identifier and q.currency == currency]


def plan(merchant, wanted: list[tuple[object, int]], *, address: dict, currency: str,
         cash_on_delivery: bool = False, now: datetime) -> Plan:
    """Parcels and the offers that carry all of them, cheapest first. ``address`` is a
    clean address (``addresses.clean_address``)."""
    found = parcels(merchant.id, wanted, (address["latitude"], address["longitude"]))
    offers = []
    for carrier in current_platform().carriers.active_in(merchant):
        per_parcel = [{(q.service): q for q in _quotes(
            carrier, parcel, merchant_id=merchant.id, address=address, currency=currency,
            cash_on_delivery=cash_on_delivery, now=now)} for parcel in found]
        for service in sorted(set.intersection(*(set(q) for q in per_parcel))):
            quotes = tuple(q[service] for q in per_parcel)
            offers.append(Offer(carrier.identifier, service, str(quotes[0].label), quotes))
    offers.sort(key=lambda o: (o.fee, o.window_end, o.carrier, o.service))
    return Plan(found, tuple(offers))


def no_offer_error(field: str) -> ValidationError:
    return ValidationError.field(field, _l("No delivery reaches this address from the "
                                           "shop’s stores: choose pickup or another "
                                           "address."))
