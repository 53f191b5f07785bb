"""TEST DOUBLE of a carrier plugin, "Doorstep", for the checkout and order tests of delivery.

It is not a real courier: it prices every parcel at 20,000 + 5,000 per started km from the
store, delivers within 10 km, offers a "standard" service always and an "express" one only
up to 3 km, takes cash at the door for baskets up to 2,000,000, allows 2 attempts with a
10,000 re-delivery fee, and books a parcel by answering ``D-<reference>``. It records the
bookings and cancellations it is asked for, and can be told to refuse or fail them. The
built-in ``delivery_local_courier`` is tested on its own (tests/integration/test_local_courier.py).
"""

from __future__ import annotations

import math
from datetime import timedelta

from marketplace.errors import ValidationError
from marketplace.plugins import (
    Carrier,
    DeliveryQuote,
    DeliveryRequest,
    PluginInfo,
    ShipmentInfo,
    TrackingUpdate,
    hookimpl,
)
from marketplace.search.geo import haversine_m

NAME = "doorstep_double"


class Doorstep(Carrier):
    identifier = "doorstep"
    label = "Doorstep (test double)"

    def __init__(self) -> None:
        self.booked: list[str] = []
        self.cancelled: list[str] = []
        self.asked: list[DeliveryRequest] = []
        #: "refuse": create_shipment raises ValidationError; "fail": RuntimeError.
        self.mode = ""

    def quote(self, request: DeliveryRequest) -> list[DeliveryQuote]:
        self.asked.append(request)
        metres = haversine_m(*request.origin, *request.destination)
        cod = request.basket_total <= 2_000_000
        if metres > 10_000 or (request.cash_on_delivery and not cod):
            return []
        km = math.ceil(metres / 1000)
        terms = {"carrier": self.identifier, "currency": request.currency,
                 "cash_on_delivery": cod, "inspect_before_accept": True,
                 "delivery_attempts": 2, "redelivery_fee": 10000}
        quotes = [DeliveryQuote(
            service="standard", label="Standard", fee=20000 + 5000 * km,
            window_start=request.asked_at, window_end=request.asked_at + timedelta(hours=6),
            **terms)]
        if km <= 3:
            quotes.append(DeliveryQuote(
                service="express", label="Express", fee=45000,
                window_start=request.asked_at,
                window_end=request.asked_at + timedelta(hours=2), **terms))
        return quotes

    def create_shipment(self, shipment: ShipmentInfo) -> str:
        if self.mode == "refuse":
            raise ValidationError("Doorstep does not go there.")
        if self.mode == "fail":
            raise RuntimeError("Doorstep is down")
        self.booked.append(shipment.reference)
        return f"D-{shipment.reference}"

    def cancel(self, shipment: ShipmentInfo) -> None:
        self.cancelled.append(shipment.reference)

    def track(self, shipment: ShipmentInfo) -> list[TrackingUpdate]:
        return []

    def handle_webhook(self, request):
        return ({"error": "not used"}, 404)


class DoorstepPlugin:
    PLUGIN = PluginInfo(name=NAME, version="1.0.0", category="delivery", level="merchant",
                        description="A courier for tests (test double).")

    def __init__(self) -> None:
        self.carrier = Doorstep()

    @hookimpl
    def marketplace_register_carriers(self, register):
        register(self.carrier)


def install(app, register_plugin) -> Doorstep:
    """Install the test carrier on ``app`` for one test (merchants enable ``NAME``).
    ``register_plugin`` runs no registration hook, so the carrier is registered here; the
    registry forgets it with the plugin after the test."""
    plugin = DoorstepPlugin()
    register_plugin(plugin)
    carriers = app.extensions["plugins"].carriers
    plugin.marketplace_register_carriers(
        register=lambda carrier: carriers.register(carrier, plugin=NAME))
    return plugin.carrier


COD = "payment_cash_on_delivery"
# A customer's home in Quận 1, 0.45 km from the first store ``make_store`` puts there.
HOME = {"label": "Nhà", "recipient_name": "Trần Thị Bình", "phone": "0901 234 567",
        "line": "12 Nguyễn Huệ", "ward": "Bến Nghé", "district": "Quận 1",
        "city": "Hồ Chí Minh", "latitude": 10.7741, "longitude": 106.7038}
# Next to the second store of ``selling_shop`` (10.80, 106.72), 3.3 km from the first.
NEAR_SECOND = HOME | {"line": "5 Điện Biên Phủ", "district": "Bình Thạnh",
                      "latitude": 10.8003, "longitude": 106.7205}


def delivering_shop(selling_shop):
    """``selling_shop()`` (two stores: 10 of each variant at the first, 3 at the second)
    delivering with this carrier and taking cash on delivery."""
    from marketplace.extensions import db
    from marketplace.plugins import services as plugin_services

    merchant, stores, listing = selling_shop()
    plugin_services.set_enabled(merchant, NAME, True)
    plugin_services.set_enabled(merchant, COD, True)
    db.session.flush()
    return merchant, stores, listing
