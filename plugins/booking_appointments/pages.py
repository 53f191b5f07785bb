"""What the plugin's pages share: labels, the store's clock, parsing what forms send."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from marketplace.errors import ValidationError
from marketplace.plugins.manager import current_platform
from marketplace.web.shop import store_time

from .states import BookingState

NAME = "booking_appointments"

S = BookingState
STATE_LABELS = {
    S.HELD: _l("Held"), S.CONFIRMED: _l("Confirmed"), S.CHECKED_IN: _l("Checked in"),
    S.COMPLETED: _l("Completed"), S.NO_SHOW: _l("No-show"), S.CANCELLED: _l("Cancelled"),
    S.EXPIRED: _l("Expired"),
}
KIND_LABELS = {"staff": _l("Staff member"), "room": _l("Room"), "table": _l("Table")}


def enabled_for(merchant) -> bool:
    """Whether ``merchant`` runs the plugin (enabled by it, installed on the platform)."""
    return merchant is not None and NAME in current_platform().active_plugin_names(merchant)


def zone(store) -> ZoneInfo:
    return ZoneInfo(store.timezone)


def local_input(store, moment: datetime | None) -> str:
    """The value of a ``datetime-local`` input: the instant on the store's wall clock."""
    return moment.astimezone(zone(store)).strftime("%Y-%m-%dT%H:%M") if moment else ""


def parse_day(value, field: str = "day") -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError.field(field, _l("Enter a date as YYYY-MM-DD.")) from None


def parse_local(store, value, field: str) -> datetime:
    """A ``datetime-local`` value (``2026-12-09T14:30``) on the store's clock, as UTC."""
    try:
        moment = datetime.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationError.field(field, _l("Enter a date and a time.")) from None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return moment.replace(tzinfo=zone(store)).astimezone(UTC)


def parse_local_parts(store, day, clock, field: str) -> datetime:
    """A date and a ``HH:MM`` typed in two inputs, on the store's clock, as UTC."""
    found = parse_day(day, field)
    try:
        hours, minutes = str(clock or "").strip().split(":")[:2]
        wall = time(int(hours), int(minutes))
    except ValueError:
        raise ValidationError.field(field, _l("Enter a time as HH:MM.")) from None
    return datetime.combine(found, wall, tzinfo=zone(store)).astimezone(UTC)


def parse_instant(value, field: str = "start") -> datetime:
    """A start the page offered (ISO 8601 with its offset)."""
    try:
        moment = datetime.fromisoformat(str(value or "").strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationError.field(field, _l("Choose one of the offered times."))
    return moment.astimezone(UTC)


def template_globals() -> dict:
    """Helpers every template may call, storefront macros included (they are imported
    without context, so these are environment globals)."""
    return {"booking_time": store_time,
            "booking_state_label": lambda state: STATE_LABELS.get(state, state),
            "booking_kind_label": lambda kind: KIND_LABELS.get(kind, kind),
            "booking_local_input": local_input, "booking_money": booking_money}


def booking_money(booking) -> dict:
    """What a booking costs where: asked online when booking, paid online (and not given
    back), and what is left for the store."""
    from . import prepay

    return {"due_ahead": prepay.due_ahead(booking.service, booking.price),
            "paid_ahead": prepay.paid_total(booking), "at_store": prepay.price_left(booking)}

