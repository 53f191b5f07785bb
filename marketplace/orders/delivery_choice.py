"""Delivery chosen at checkout: the address, the carrier's offer, the parcels accepted.

``checkout.plan`` calls ``choose`` for a merchant's part the customer wants delivered; the
checkout page and the API's delivery options read addresses the same way
(``delivery_address``). Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from ..cart import services as carts
from ..delivery import addresses, planning
from ..errors import NotFound, ValidationError
from ..plugins.providers import PaymentProvider


def _field(index: int, name: str) -> str:
    return f"orders[{index}].{name}"


@dataclass
class DeliveryChoice:
    """Where to, by which carrier service, from which stores (the plan's parcels)."""

    address: dict
    plan: planning.Plan
    offer: planning.Offer


def delivery_address(customer, raw: dict, prefix: str = "") -> dict:
    """A saved address of the customer's (``address_id``) or one typed at checkout
    (``address``), checked; field names in errors start with ``prefix`` (``orders[0].``)."""
    if raw.get("address_id") not in (None, ""):
        try:
            saved = addresses.get_address(customer, raw.get("address_id"))
        except NotFound:
            raise ValidationError.field(f"{prefix}address_id",
                                        _l("Choose one of your addresses.")) from None
        return {name: getattr(saved, name) for name in addresses.FIELDS}
    typed = raw.get("address")
    if not isinstance(typed, dict):
        raise ValidationError.field(f"{prefix}address", _l("Choose or enter the delivery "
                                                           "address."))
    try:
        return addresses.clean_address(typed)
    except ValidationError as exc:
        exc.fields = {f"{prefix}address.{name}": message
                      for name, message in (exc.fields or {}).items()}
        raise


def choose(index: int, part: carts.MerchantPart, raw: dict, provider: PaymentProvider, *,
              customer, now: datetime) -> DeliveryChoice:
    address = delivery_address(customer, raw, f"orders[{index}].")
    cod = provider.collected_on_delivery
    plan = planning.plan(part.merchant, [(line.variant, line.quantity) for line in part.lines],
                         address=address, currency=part.currency, cash_on_delivery=cod,
                         now=now)
    if not plan.offers:
        raise planning.no_offer_error(_field(index, "carrier"))
    offer = plan.offer(str(raw.get("carrier") or ""), str(raw.get("service") or ""))
    if offer is None:
        raise ValidationError.field(_field(index, "service"),
                                    _l("Choose one of the delivery options offered."))
    if cod and not offer.cash_on_delivery:
        raise ValidationError.field(_field(index, "payment_provider"),
                                    _l("This delivery does not take cash on delivery."))
    if plan.split and raw.get("accept_split") not in (True, "true", "1", "on", 1):
        raise SplitNotAccepted.field(
            _field(index, "accept_split"),
            _l("No single store has all of it: it comes in %(n)d parcels, from %(stores)s. "
               "Accept the split to order it.", n=len(plan.parcels),
               stores=", ".join(p.store.name for p in plan.parcels)))
    return DeliveryChoice(address, plan, offer)


class SplitNotAccepted(ValidationError):
    code = "split_not_accepted"
