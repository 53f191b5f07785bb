"""A customer's saved delivery addresses, and the one check every address goes through
(saved, or typed once at checkout and copied onto a shipment).

A position is required: the platform calls no outside geocoding service, and carriers price
by the distance from the store, so the customer drops a pin or types the coordinates.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..database import MAX_ID
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..stores.services import valid_coordinate
from ..validation import optional_text, required_text, valid_phone
from .models import DeliveryAddress

# Enough for home, work and family; a list that long is a mistake or a script.
MAX_ADDRESSES = 20
# What an address is made of (a saved one, or one typed at checkout).
FIELDS = ("label", "recipient_name", "phone", "line", "ward", "district", "city", "latitude",
          "longitude")


def clean_address(data: dict) -> dict:
    """The fields of an address, checked; raises ``ValidationError`` on the first bad one."""
    phone = valid_phone(data.get("phone"), "phone")
    if phone is None:
        raise ValidationError.field("phone", _l("The courier needs a phone number to call."))
    if data.get("latitude") in (None, "") or data.get("longitude") in (None, ""):
        raise ValidationError.field("latitude", _l("Drop a pin on the map or type the "
                                                   "coordinates: the courier needs them."))
    return {
        "label": optional_text(data.get("label"), "label", max_length=60) or "",
        "recipient_name": required_text(data.get("recipient_name"), "recipient_name",
                                        max_length=120),
        "phone": phone,
        "line": required_text(data.get("line"), "line", max_length=300),
        "ward": optional_text(data.get("ward"), "ward", max_length=100),
        "district": required_text(data.get("district"), "district", max_length=100),
        "city": required_text(data.get("city"), "city", max_length=100),
        "latitude": valid_coordinate(data.get("latitude"), "latitude", 90),
        "longitude": valid_coordinate(data.get("longitude"), "longitude", 180),
    }


def list_addresses(user) -> list[DeliveryAddress]:
    return list(db.session.scalars(sa.select(DeliveryAddress)
                                   .where(DeliveryAddress.user_id == user.id)
                                   .order_by(DeliveryAddress.id)))


def get_address(user, address_id) -> DeliveryAddress:
    """One of the user's own addresses, or ``NotFound`` (never someone else's)."""
    try:
        address_id = int(address_id)
    except (TypeError, ValueError):
        raise NotFound("address") from None
    if not 0 < address_id <= MAX_ID:  # past the column's range: PostgreSQL would refuse it
        raise NotFound("address")
    address = db.session.scalars(sa.select(DeliveryAddress).where(
        DeliveryAddress.id == address_id, DeliveryAddress.user_id == user.id)).first()
    if address is None:
        raise NotFound("address")
    return address


def save_address(user, data: dict, *, address_id=None) -> DeliveryAddress:
    """Add an address, or change the user's address ``address_id``. Flushes."""
    clean = clean_address(data)
    if address_id is None:
        if len(list_addresses(user)) >= MAX_ADDRESSES:
            raise ValidationError(_l("You have saved %(n)d addresses: delete one first.",
                                     n=MAX_ADDRESSES))
        address = DeliveryAddress(user_id=user.id, **clean)
        db.session.add(address)
    else:
        address = get_address(user, address_id)
        for name, value in clean.items():
            setattr(address, name, value)
    db.session.flush()
    return address


def delete_address(user, address_id) -> None:
    """Forget a saved address. Shipments keep their own copy, so none is affected."""
    db.session.delete(get_address(user, address_id))
    db.session.flush()
