"""A spa that books massages (a therapist and a room at once) and a restaurant that books
tables, set up through the booking plugin's services: what the booking tests build on."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from marketplace.plugins import services as plugin_services

PLUGIN = "booking_appointments"
# A Wednesday: 2026-12-09 09:00 in Hồ Chí Minh City is 02:00 UTC.
DAY = datetime(2026, 12, 9).date()
NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")
NINE_TO_SIX = [{"weekday": d, "opens": "09:00", "closes": "18:00"} for d in range(7)]


def booking_module(name: str):
    """A module of the built-in plugin (imported under the platform's private package)."""
    return importlib.import_module(f"marketplace_builtins.{PLUGIN}.{name}")


def at(hour: int, minute: int = 0, day=DAY) -> datetime:
    """Local Hồ Chí Minh City time on ``day``, as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SAIGON).astimezone(UTC)


@dataclass
class Spa:
    merchant: object
    store: object
    service: object          # ServiceSetup of the massage
    listing: object
    therapists: list
    rooms: list


def make_spa(make_merchant, make_store, make_listing, *, therapists=2, rooms=1,
             buffer_after=15, **service) -> Spa:
    setup = booking_module("setup")
    merchant = make_merchant(name="Spa Sen")
    plugin_services.set_enabled(merchant, PLUGIN, True)
    store = make_store(merchant, name="Spa Sen Quận 1", hours=NINE_TO_SIX)
    listing = make_listing(merchant, kind="service", title="Massage 60 phút",
                           duration_minutes=60, price=300000)
    massage = setup.configure_service(listing, {
        "needs_staff": True, "needs_resource": True, "buffer_after_minutes": buffer_after,
        "lead_minutes": 60, "step_minutes": 30, "store_ids": [store.id], **service})
    people = [setup.create_resource(merchant.id, {
        "store_id": store.id, "kind": "staff", "name": name, "service_ids": [massage.id]})
        for name in ["Chị Hoa", "Chị Mai", "Anh Tuấn"][:therapists]]
    places = [setup.create_resource(merchant.id, {
        "store_id": store.id, "kind": "room", "name": f"Phòng {n + 1}",
        "service_ids": [massage.id]}) for n in range(rooms)]
    return Spa(merchant, store, massage, listing, people, places)


def days_ahead(days: int):
    """The Hồ Chí Minh City date ``days`` from now by the real clock: for bookings made
    through the API, which books by its own clock (combine with ``at(hour, day=...)``)."""
    from marketplace.database import utcnow

    return (utcnow().astimezone(SAIGON) + timedelta(days=days)).date()
