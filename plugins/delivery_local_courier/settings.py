"""The merchant's settings: flat form fields, read into the pricing engine's settings.

The dashboard builds the settings form from ``SETTINGS`` (``marketplace.plugins.settings``
types only: a form has no lists or nested objects), so the tiers and the districts are typed
one per line, and each part of the engine's settings (``pricing.parse_settings``) gets a field
of its own. What the platform's schema can check is checked when the merchant saves (numbers
and their bounds, the cut-off as HH:MM, the radius as a number); the rest (each tier line,
tiers that grow, at least one zone, same day or express) is checked here, with the error
named after the form field, whenever the settings are read: the platform has no way yet for
a plugin to refuse settings when they are saved (see ``check``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from marketplace.errors import ValidationError
from marketplace.money import MAX_AMOUNT
from marketplace.plugins import Setting
from marketplace.plugins.services import merchant_settings

from . import pricing

NAME = "delivery_local_courier"

KM_PATTERN = r"\d{1,4}([.,]\d{1,3})?"
HHMM_PATTERN = r"([01]?\d|2[0-3]):[0-5]\d"
# "3: 15000", "2,5 km: 15.000": a distance, an optional "km", a colon, a fee.
TIER_LINE = re.compile(r"^\s*(?P<km>\d+(?:[.,]\d+)?)\s*(?:km)?\s*:\s*(?P<fee>\d[\d., ]*)\s*$",
                       re.IGNORECASE)
# Fees are whole minor units: dots, commas and spaces between digits only group them.
GROUPING = re.compile(r"[., ]")

SETTINGS = (
    Setting("tiers", type="textarea", required=True, max_length=1000,
            label=_l("Distance tiers"),
            help=_l("One line per tier: up to how many km, a colon, the fee. For example "
                    "“3: 15000” then “7: 25000”. Fees in the smallest unit of your currency "
                    "(đồng for VND).")),
    Setting("per_km_beyond", type="integer", minimum=0, maximum=MAX_AMOUNT,
            label=_l("Fee per started km beyond the last tier"),
            help=_l("Empty: no delivery beyond the last tier.")),
    Setting("free_above", type="integer", minimum=0, maximum=MAX_AMOUNT,
            label=_l("Free delivery from a basket of"),
            help=_l("Empty: delivery is never free. The express surcharge is still due.")),
    Setting("zone_radius_km", pattern=KM_PATTERN, max_length=8,
            label=_l("Delivery radius (km from the store)"),
            help=_l("For example 10 or 7.5. Give a radius, districts, or both.")),
    Setting("zone_districts", type="textarea", max_length=2000,
            label=_l("Districts delivered to"),
            help=_l("One per line, e.g. “Quận 1”, “Bình Thạnh” (accents and capitals do not "
                    "matter). Addresses there are delivered whatever the distance.")),
    Setting("same_day", type="boolean", default=True, label=_l("Offer same-day delivery")),
    Setting("same_day_cutoff", pattern=HHMM_PATTERN, default="15:00", max_length=5,
            label=_l("Same-day cut-off (HH:MM, store time)"),
            help=_l("Orders placed later are delivered on the store's next opening day.")),
    Setting("express", type="boolean", default=False, label=_l("Offer express delivery")),
    Setting("express_hours", type="integer", minimum=1, maximum=pricing.MAX_EXPRESS_HOURS,
            default=2, label=_l("Express: delivered within (hours)"),
            help=_l("Offered while the store is open and only if it is still open then.")),
    Setting("express_fee", type="integer", minimum=0, maximum=MAX_AMOUNT, default=0,
            label=_l("Express surcharge")),
    Setting("cod", type="boolean", default=False, label=_l("Riders take cash on delivery")),
    Setting("cod_max_basket", type="integer", minimum=0, maximum=MAX_AMOUNT,
            label=_l("Cash on delivery up to a basket of"),
            help=_l("Empty: any basket.")),
    Setting("inspect_before_accept", type="boolean", default=False,
            label=_l("Customers may inspect the goods before they accept")),
    Setting("attempts", type="integer", minimum=1, maximum=pricing.MAX_ATTEMPTS, default=2,
            label=_l("Delivery attempts"),
            help=_l("After the last failed attempt the parcel comes back to the store.")),
    Setting("redelivery_fee", type="integer", minimum=0, maximum=MAX_AMOUNT, default=0,
            label=_l("Fee for each attempt after the first")),
)

# The engine's names for the fields that are named differently on the form.
FORM_FIELDS = {"same_day.cutoff": "same_day_cutoff", "express.hours": "express_hours",
               "express.fee": "express_fee"}


def _refused(field: str, message) -> ValidationError:
    return ValidationError(_l("The local delivery settings are not valid."),
                           fields={field: [message]})


def _tiers(text: Any) -> tuple[list[list], list[int]]:
    """``[[km, fee], …]`` from the tier lines, and the line number of each tier."""
    tiers, numbers = [], []
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        found = TIER_LINE.match(line)
        if found is None:
            raise _refused("tiers", _l("Line %(n)d: write up to how many km, a colon and the "
                                       "fee, e.g. “3: 15000”.", n=number))
        tiers.append([found["km"].replace(",", "."), int(GROUPING.sub("", found["fee"]))])
        numbers.append(number)
    if not tiers:
        raise _refused("tiers", _l("Add at least one tier, e.g. “3: 15000”."))
    return tiers, numbers


def _districts(text: Any) -> list[str]:
    return [name.strip() for name in re.split(r"[\n,;]", str(text or "")) if name.strip()]


def _zones(values: Mapping[str, Any]) -> list[dict]:
    zones: list[dict] = []
    radius = str(values.get("zone_radius_km") or "").strip()
    if radius:
        zones.append({"kind": "radius", "km": radius.replace(",", ".")})
    districts = _districts(values.get("zone_districts"))
    if districts:
        zones.append({"kind": "districts", "districts": districts})
    if not zones:
        raise _refused("zone_radius_km", _l("Give a delivery radius or a list of districts, "
                                            "or both."))
    return zones


def engine_settings(values: Mapping[str, Any]) -> dict:
    """The form's values (as stored, defaults filled in) as ``pricing.parse_settings`` takes
    them. Raises ``ValidationError`` naming the form field."""
    tiers, _numbers = _tiers(values.get("tiers"))
    data: dict[str, Any] = {"tiers": tiers, "zones": _zones(values)}
    if values.get("same_day"):
        data["same_day"] = {"cutoff": values.get("same_day_cutoff") or "15:00"}
    if values.get("express"):
        data["express"] = {"hours": values.get("express_hours"),
                           "fee": values.get("express_fee") or 0}
    for key in ("cod", "inspect_before_accept"):
        data[key] = bool(values.get(key))
    for key in ("per_km_beyond", "free_above", "cod_max_basket", "attempts", "redelivery_fee"):
        if values.get(key) is not None:
            data[key] = values[key]
    return data


def parse(values: Mapping[str, Any]) -> pricing.CourierSettings:
    """The engine's settings from the form's values; ``ValidationError`` names the form field
    (``tiers`` with the line, ``zone_radius_km`` …) with the engine's message."""
    data = engine_settings(values)
    try:
        return pricing.parse_settings(data)
    except ValidationError as exc:
        raise _form_error(exc, values) from None


def _form_error(exc: ValidationError, values: Mapping[str, Any]) -> ValidationError:
    # The engine names one field per error: ``tiers[1]``, ``zones[0].km``, ``express.hours``.
    engine_field, messages = next(iter(exc.fields.items()), ("", [exc.message]))
    message = messages[0]
    found = re.fullmatch(r"tiers\[(\d+)\]", engine_field)
    if found:
        line = _tiers(values.get("tiers"))[1][int(found[1])]
        return _refused("tiers", _l("Line %(n)d: %(problem)s", n=line, problem=message))
    if engine_field.startswith("zones["):
        kind = "zone_districts" if engine_field.endswith(".districts") else "zone_radius_km"
        return _refused(kind, message)
    return _refused(FORM_FIELDS.get(engine_field, engine_field), message)


def check(values: Mapping[str, Any]) -> None:
    """Refuse settings the engine cannot use, naming the form field: the platform calls it
    before a merchant's settings are saved (``PluginInfo.check_merchant_settings``).
    Settings saved before a rule existed are still read through ``courier_settings``, and
    the plugin's dashboard page shows their problem."""
    parse(values)


def courier_settings(merchant) -> pricing.CourierSettings:
    """The merchant's settings, ready for ``pricing.quote``; ``ValidationError`` (naming the
    form field) when they cannot be used."""
    return parse(merchant_settings(merchant, NAME))


def problem(merchant) -> ValidationError | None:
    """Why the merchant's settings cannot be used, or None when they can."""
    try:
        courier_settings(merchant)
    except ValidationError as exc:
        return exc
    return None
