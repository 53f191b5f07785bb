"""The ``local_courier`` carrier: the merchant's own riders, priced by ``pricing``.

Nothing is booked anywhere: the riders are the merchant's staff, so a shipment's own
reference is its tracking reference, cancelling tells nobody, and the riders' news is applied
directly by their page (``views_rider``), never through ``track`` or a webhook.

A refusal (outside the zones, too far, no cash at the door for this basket, no delivery time
left) is an empty list of quotes, so the customer is offered the other carriers instead of an
error; ``explain`` gives the reason to a checkout page that wants to show it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from marketplace.database import get_scoped
from marketplace.errors import NotFound, ValidationError
from marketplace.extensions import db
from marketplace.merchants.models import Merchant
from marketplace.plugins import (
    Carrier,
    DeliveryQuote,
    DeliveryRequest,
    ShipmentInfo,
    TrackingUpdate,
)
from marketplace.stores.hours import Schedule
from marketplace.stores.models import Store

from . import pricing, settings

log = logging.getLogger(__name__)

IDENTIFIER = "local_courier"
NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True)
class Refusal:
    """Why the riders cannot take a delivery: ``code`` is one of the engine's refusal codes
    (``no_position``, ``outside_zone``, ``too_far``, ``no_cod``, ``no_window``) or
    ``not_configured`` (the merchant's settings cannot be used); ``message`` is for people."""

    code: str
    message: str


def service_label(service: str, hours: int | None = None) -> str:
    if service == pricing.Service.EXPRESS:
        return str(_l("Express, within %(hours)d h", hours=hours or 0))
    return str(_l("Same day"))


class LocalCourier(Carrier):
    identifier = IDENTIFIER
    label = _l("Our own riders")

    def _quote(self, request: DeliveryRequest) -> tuple[pricing.Quote, pricing.CourierSettings]:
        merchant = db.session.get(Merchant, request.merchant_id)
        if merchant is None:
            raise NotFound("merchant")
        store = get_scoped(Store, merchant.id, request.store_id)
        courier = settings.courier_settings(merchant)  # ValidationError: unusable settings
        found = pricing.quote(
            courier, store_position=(store.latitude, store.longitude),
            schedule=Schedule.for_store(store), destination=request.destination,
            district=request.district, basket_total=request.basket_total,
            cod=request.cash_on_delivery, now=request.asked_at)
        return found, courier

    def quote(self, request: DeliveryRequest) -> list[DeliveryQuote]:
        try:
            found, courier = self._quote(request)
        except pricing.DeliveryRefused:
            return []
        except ValidationError as exc:
            # The merchant's settings are broken: the customer sees the other carriers, the
            # merchant sees the problem on the plugin's dashboard page.
            log.warning("local courier of merchant %s is not usable: %s", request.merchant_id,
                        exc.fields or exc.message)
            return []
        hours = courier.express.hours if courier.express else None
        quotes = [DeliveryQuote(
            carrier=IDENTIFIER, service=str(option.service),
            label=service_label(option.service, hours), fee=option.fee,
            currency=request.currency, window_start=option.start, window_end=option.end,
            cash_on_delivery=found.cod_available,
            inspect_before_accept=found.inspect_before_accept,
            delivery_attempts=found.attempts, redelivery_fee=found.redelivery_fee)
            for option in found.options]
        return sorted(quotes, key=lambda q: (q.fee, q.window_end, q.service))

    def explain(self, request: DeliveryRequest) -> Refusal | None:
        """Why ``quote`` answers nothing for ``request`` (None when it offers something)."""
        try:
            self._quote(request)
        except pricing.DeliveryRefused as exc:
            return Refusal(exc.code, str(exc.message))
        except ValidationError:
            return Refusal(NOT_CONFIGURED, str(_l("The shop's own delivery is not set up "
                                                  "yet.")))
        return None

    def create_shipment(self, shipment: ShipmentInfo) -> str:
        # No outside booking: the parcel waits at the store for one of the merchant's riders.
        return shipment.reference

    def cancel(self, shipment: ShipmentInfo) -> None:
        """Nobody outside to tell: the shipment's own state says it is called off."""

    def track(self, shipment: ShipmentInfo) -> list[TrackingUpdate]:
        return []  # the riders' page applies their news as it happens

    def handle_webhook(self, request):
        return ("", 404)  # no outside service ever calls us
