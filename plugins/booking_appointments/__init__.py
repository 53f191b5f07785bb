"""Appointments: services booked for a time with a staff member, a room or a table, or both.

Salons, spas, clinics, restaurants and property viewings: the consumer picks a service, a
store, a day and a free start (optionally a person); the slot is held while they confirm;
staff check them in on arrival by the ticket's QR code. No staff member or room is ever in
two overlapping bookings: PostgreSQL enforces it with an exclusion constraint
(``models.Occupancy``), SQLite by taking the write lock for the whole booking.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l

from marketplace.plugins import PluginInfo, hookimpl

from . import models  # noqa: F401  (the tables belong to the metadata from the start)

NAME = "booking_appointments"

PLUGIN = PluginInfo(
    name=NAME,
    version="1.0.0",
    category="booking",
    level="merchant",
    core_versions=">=0.1,<1",
    description="Appointments and tables: services with staff, rooms and tables, real "
                "availability, holds, tickets checked in by QR, no double booking.",
    author="O2O Marketplace developers",
)


@hookimpl
def marketplace_register_code_kinds(register):
    from .ticket import AppointmentKind

    register(AppointmentKind())


@hookimpl
def marketplace_register_slot_sources(register):
    from .sources import OwnBookings

    register(OwnBookings())


@hookimpl
def marketplace_register_periodic_jobs(register):
    from . import clock

    register(f"{NAME}.expire_holds", clock.expire_holds)
    register(f"{NAME}.reminders", clock.send_reminders)


@hookimpl
def marketplace_order_state_changed(order_id, new_state):
    """A booking paid ahead is confirmed once its order is paid, and ends if it never is."""
    from marketplace.database import utcnow

    from . import prepay

    prepay.order_changed(order_id, new_state, now=utcnow())


@hookimpl
def marketplace_migration_locations():
    return str(Path(__file__).parent / "migrations" / "versions")


@hookimpl
def marketplace_demo_data(shops):
    """The demo spa's services become bookable (staff, rooms, hours)."""
    from . import demo

    demo.add_demo_data(shops)


@hookimpl
def marketplace_add_blueprints(register):
    from .api import blp, consumer_blp
    from .views import bp

    register(blp)
    register(consumer_blp)
    register(bp)


@hookimpl
def marketplace_prepare_jinja_env(env):
    from .pages import template_globals

    env.globals.update(template_globals())
    # A theme's environment may share the app's globals: each link is added once.
    _add_links(env, "account_links", [
        ("booking_appointments.shop.my_bookings", _l("My bookings"))])
    _add_links(env, "dashboard_links", [
        (NAME, "booking_appointments.dashboard.calendar_index", _l("Booking calendar"),
         "handle_orders"),
        (NAME, "booking_appointments.dashboard.services", _l("Bookable services"),
         "manage_stores"),
        (NAME, "booking_appointments.dashboard.resources_index", _l("Staff and rooms"),
         "manage_stores")])


def _add_links(env, name: str, links: list[tuple]) -> None:
    present = env.globals.setdefault(name, [])
    present.extend(link for link in links if link not in present)


@hookimpl
def marketplace_storefront_slot(merchant, slot, context):
    from . import views_shop

    if slot == "listing.after_price":
        return views_shop.book_link(merchant, context.get("listing"))
    if slot == "order.after_summary":
        return views_shop.booking_link(context.get("order"))
    return None
