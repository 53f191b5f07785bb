"""A carrier for an outside courier company with a REST API: the worked example of a
third-party carrier (docs/plugins.md, "Carrier").

Each merchant enables it and enters its account at the courier: the API's address, its API
key, the secret the courier signs status notifications with, and optionally the name shown
to customers. The courier's API (documented in docs/plugins.md; a test double plays it in
tests/support/courier_double.py):

* ``POST {base_url}/quotes`` — prices and windows for a parcel, asked at checkout;
* ``POST {base_url}/shipments`` with ``Idempotency-Key: <shipment reference>`` — booking,
  from the outbox after the commit, retried until the courier answers;
* ``POST {base_url}/shipments/<tracking>/cancel`` — calling a booking off;
* ``GET {base_url}/shipments/<tracking>/events`` — what happened (the tracking poll);
* status notifications to ``POST /webhooks/carriers/rest_courier/<merchant_id>``, signed
  with HMAC-SHA256 (``webhooks``).

A courier that is down at checkout gives no quote (logged): the customer sees the other
carriers and pickup instead of an error page. Booking and cancelling raise, so the outbox
retries them; a refusal for good (a 4xx) is a ``ValidationError``, which it does not.
"""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l

from marketplace.errors import ValidationError
from marketplace.plugins import (
    Carrier,
    DeliveryQuote,
    DeliveryRequest,
    PluginInfo,
    Setting,
    ShipmentInfo,
    TrackingUpdate,
    hookimpl,
)

from . import answers, webhooks
from .client import CourierUnavailable, account

NAME = "delivery_rest_carrier"
IDENTIFIER = "rest_courier"

log = logging.getLogger(__name__)

PLUGIN = PluginInfo(
    name=NAME,
    version="1.0.0",
    category="delivery",
    level="merchant",
    core_versions=">=0.1,<1",
    description="Deliveries by an outside courier company through its REST API: quotes at "
                "checkout, booking, cancelling and tracking, signed status notifications.",
    author="O2O Marketplace developers",
    merchant_settings=(
        Setting("base_url", type="url", label="API address", required=True, max_length=300,
                help="The courier's API address from your account, e.g. "
                     "https://api.courier.example/v1."),
        Setting("api_key", type="secret", label="API key", required=True,
                help="Sent to the courier with every call; never shown again."),
        Setting("webhook_secret", type="secret", label="Notification signing secret",
                required=True,
                help="The secret the courier signs status notifications with. Give the "
                     "courier the notification address "
                     "https://<this marketplace>/webhooks/carriers/rest_courier/<your shop "
                     "number>."),
        Setting("label", label="Name shown to customers", max_length=60,
                help="Shown before each service at checkout, e.g. the courier's name."),
        Setting("timeout_seconds", type="integer", label="Time to wait for the courier "
                "(seconds)", default=5, minimum=1, maximum=30,
                help="Customers wait this long at most for the courier's prices."),
    ),
)


def _position(point: tuple[float, float]) -> dict:
    return {"latitude": point[0], "longitude": point[1]}


def quote_request(request: DeliveryRequest) -> dict:
    return {"store_id": request.store_id, "origin": _position(request.origin),
            "destination": _position(request.destination), "district": request.district,
            "city": request.city, "basket_total": request.basket_total,
            "currency": request.currency, "cash_on_delivery": request.cash_on_delivery,
            "asked_at": request.asked_at.isoformat()}


def booking_request(shipment: ShipmentInfo) -> dict:
    return {"reference": shipment.reference, "service": shipment.service,
            "store_id": shipment.store_id, "origin": _position(shipment.origin),
            "destination": _position(shipment.destination),
            "recipient": {"name": shipment.recipient_name, "phone": shipment.recipient_phone,
                          "address": shipment.address},
            "cod_amount": shipment.cod_amount, "currency": shipment.currency,
            "note": shipment.note}


class RestCourier(Carrier):
    identifier = IDENTIFIER
    label = _l("Outside courier")

    def quote(self, request: DeliveryRequest) -> list[DeliveryQuote]:
        # Checkout must not fail because one courier did: no quote, and a line in the log.
        try:
            courier = account(request.merchant_id, NAME)
            answer = courier.call("POST", "quotes", body=quote_request(request))
            return answers.quotes(answer, request, carrier=self.identifier,
                                  label_prefix=courier.label)
        except CourierUnavailable as exc:
            log.warning("%s: no quotes for merchant %s, the courier is unavailable: %s",
                        IDENTIFIER, request.merchant_id, exc)
        except ValidationError as exc:
            log.warning("%s: no quotes for merchant %s: %s", IDENTIFIER, request.merchant_id,
                        answers.described(exc))
        return []

    def create_shipment(self, shipment: ShipmentInfo) -> str:
        courier = account(shipment.merchant_id, NAME)
        answer = courier.call("POST", "shipments", body=booking_request(shipment),
                              idempotency_key=shipment.reference)
        try:
            return answers.tracking_reference(answer)
        except ValidationError as exc:
            # Booked or not, asking again with the same key is safe: retry, not refuse.
            raise CourierUnavailable(
                f"POST /shipments: unreadable answer ({answers.described(exc)})") from None

    def cancel(self, shipment: ShipmentInfo) -> None:
        if not shipment.tracking_reference:
            return  # never booked: nothing to call off at the courier
        account(shipment.merchant_id, NAME).call(
            "POST", "shipments", shipment.tracking_reference, "cancel",
            idempotency_key=f"cancel-{shipment.reference}")

    def track(self, shipment: ShipmentInfo) -> list[TrackingUpdate]:
        if not shipment.tracking_reference:
            return []
        answer = account(shipment.merchant_id, NAME).call(
            "GET", "shipments", shipment.tracking_reference, "events")
        return answers.events(answer, merchant_id=shipment.merchant_id)

    def handle_webhook(self, request):
        return webhooks.receive(request, carrier=self.identifier, plugin_name=NAME)


@hookimpl
def marketplace_register_carriers(register):
    register(RestCourier())
