"""Checkout: a cart becomes one order per merchant, each with its stock held at one store.

Everything is checked before anything is written (the cart's version, each merchant's
choice of fulfilment, store, slot, way to pay and voucher, the plugins'
``marketplace_validate_cart``), then in one transaction: the orders, the stock holds (row
locks taken in one global order, store then variant, so concurrent checkouts queue instead of
deadlocking), the pickup slots (a conditional update each), the payments and the vouchers
(each locked and used once). Any refusal raises and the caller rolls the
whole transaction back: nothing is left half-placed. No payment provider is called here
beyond ``prepare``, which moves no money.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..cart import services as carts
from ..cart.models import Cart
from ..database import get_scoped, utcnow
from ..delivery import shipments as deliveries
from ..errors import Conflict, InsufficientStock, NotFound, ValidationError
from ..extensions import db
from ..fulfilment import slots
from ..inventory.models import MovementReason
from ..inventory.services import apply_movement, lock_level
from ..payments import services as payments
from ..plugins.hookspecs import PriceAdjustment
from ..plugins.manager import current_platform
from ..plugins.providers import PaymentProvider
from ..redemption import services as redemption
from ..stores.models import Store
from ..validation import optional_text
from ..vouchers import usage as vouchers
from . import codes, delivery_choice
from .audit import Actor
from .lifecycle import announce
from .models import Checkout, Order, OrderAdjustment, OrderLine
from .pricing import PricedLine, Pricing, price
from .states import Fulfilment, OrderState


class CartChanged(Conflict):
    code = "cart_changed"
    title = _l("Your cart changed. Please review it again.")


@dataclass
class PlannedOrder:
    """One order to place: a store and what it holds there. A delivery split over several
    stores becomes several (one per parcel); everything else is one per merchant."""

    store: Store
    items: list[tuple[object, int]]
    pricing: Pricing
    quote: object | None = None  # the parcel's DeliveryQuote


@dataclass
class Choice:
    """How one merchant's part of the cart is to be finished offline."""

    part: carts.MerchantPart
    fulfilment: Fulfilment
    store: Store
    window: tuple[datetime, datetime] | None
    provider: PaymentProvider
    note: str | None
    voucher_code: str | None = None
    pricing: Pricing | None = None
    vouchers: list = field(default_factory=list)
    delivery: delivery_choice.DeliveryChoice | None = None
    planned: list[PlannedOrder] = field(default_factory=list)


def _field(index: int, name: str) -> str:
    return f"orders[{index}].{name}"


CHOOSABLE = (Fulfilment.PICKUP, Fulfilment.RESERVE, Fulfilment.DELIVERY)


def _store(index: int, merchant, raw: dict, fulfilment: Fulfilment) -> Store:
    try:
        store = get_scoped(Store, merchant.id, raw.get("store_id"))
    except NotFound:
        raise ValidationError.field(_field(index, "store_id"), _l("Choose one of the shop’s "
                                                                   "stores.")) from None
    offered = store.pickup_enabled if fulfilment == Fulfilment.PICKUP else store.reserve_enabled
    if not store.is_active or not offered:
        raise ValidationError.field(_field(index, "store_id"),
                                    _l("This store does not offer this."))
    return store


def _choice(index: int, part: carts.MerchantPart, raw: dict, *, customer,
            now: datetime) -> Choice:
    merchant = part.merchant
    try:
        fulfilment = Fulfilment(raw.get("fulfilment") or "")
        if fulfilment not in CHOOSABLE:
            raise ValueError(fulfilment)
    except ValueError:
        raise ValidationError.field(_field(index, "fulfilment"),
                                    _l("Choose pickup, reserve and try, or delivery.")) from None
    store = None if fulfilment == Fulfilment.DELIVERY else _store(index, merchant, raw,
                                                                    fulfilment)
    window = None
    if fulfilment == Fulfilment.PICKUP:
        start = slots.parse_slot_start(raw.get("slot_start"), _field(index, "slot_start"))
        window = slots.checked_window(store, start, now=now,
                                      horizon_days=current_app.config["PICKUP_HORIZON_DAYS"],
                                      field=_field(index, "slot_start"))
    identifier = raw.get("payment_provider") or ""
    usable = {p.identifier: p for p in payments.usable_providers(merchant, part.currency)}
    provider = usable.get(identifier)
    if provider is None:
        raise ValidationError.field(_field(index, "payment_provider"),
                                    _l("Choose one of the ways to pay this shop accepts."))
    if fulfilment == Fulfilment.RESERVE and not provider.offline:
        raise ValidationError.field(_field(index, "payment_provider"),
                                    _l("A reservation is paid at the store, for what you buy."))
    if provider.collected_on_delivery and fulfilment != Fulfilment.DELIVERY:
        raise ValidationError.field(_field(index, "payment_provider"),
                                    _l("Cash on delivery is for deliveries."))
    if fulfilment == Fulfilment.DELIVERY and provider.offline \
            and not provider.collected_on_delivery:
        raise ValidationError.field(_field(index, "payment_provider"),
                                    _l("A delivery is paid online or in cash to the courier."))
    note = optional_text(raw.get("note"), _field(index, "note"), max_length=500)
    voucher_code = optional_text(raw.get("voucher_code"), _field(index, "voucher_code"),
                                 max_length=2048)
    delivery = None
    if fulfilment == Fulfilment.DELIVERY:
        delivery = delivery_choice.choose(index, part, raw, provider, customer=customer,
                                          now=now)
        store = delivery.plan.parcels[0].store
        if voucher_code and delivery.plan.split:
            raise ValidationError.field(_field(index, "voucher_code"), _l(
                "A voucher cannot be used on a delivery split into several parcels: remove "
                "it, or order what one store has."))
    return Choice(part, fulfilment, store, window, provider, note, voucher_code,
                  delivery=delivery)


def _check_lines(part: carts.MerchantPart) -> None:
    """Every line still purchasable (published, active) in one currency."""
    for line in part.lines:
        try:
            carts.purchasable_variant(line.variant_id)
        except NotFound:
            raise ValidationError.field(
                "cart", _l("“%(title)s” is no longer sold: remove it from your cart.",
                           title=line.variant.listing.title)) from None
    if len({line.variant.listing.currency for line in part.lines}) != 1:
        raise ValidationError.field("cart", _l("A shop’s items must share one currency."))


def priced_lines(part: carts.MerchantPart) -> list[PricedLine]:
    """A merchant's part of the cart as the pricing hook sees it."""
    return [PricedLine(key=f"v{line.variant_id}", variant=line.variant, quantity=line.quantity,
                       unit_price=line.variant.price) for line in part.lines]


def plan(cart: Cart | None, *, customer, raw_choices: list, cart_version: str | None,
         now: datetime) -> list[Choice]:
    """Check a checkout request without writing anything."""
    if cart is None or not cart.lines:
        raise ValidationError.field("cart", _l("Your cart is empty."))
    if not cart_version or cart_version != carts.version(cart):
        raise CartChanged(cart_version=carts.version(cart))
    if not isinstance(raw_choices, list) or not raw_choices:
        raise ValidationError.field("orders", _l("Choose how to receive at least one shop’s "
                                                 "items."))
    parts = {part.merchant.id: part for part in carts.parts(cart)}
    seen: set[int] = set()
    choices = []
    for index, raw in enumerate(raw_choices):
        raw = raw if isinstance(raw, dict) else {}
        try:
            merchant_id = int(raw.get("merchant_id"))
        except (TypeError, ValueError):
            merchant_id = None
        part = parts.get(merchant_id)
        if part is None or merchant_id in seen:
            raise ValidationError.field(_field(index, "merchant_id"),
                                        _l("This shop is not in your cart."))
        seen.add(merchant_id)
        _check_lines(part)
        choices.append(_choice(index, part, raw, customer=customer, now=now))
    if len({c.part.currency for c in choices}) != 1:
        raise ValidationError.field("orders", _l("Check out shops that use different "
                                                 "currencies separately."))
    platform = current_platform()
    for index, choice in enumerate(choices):
        platform.validate("marketplace_validate_cart", choice.part.merchant, cart=choice.part,
                          customer=customer)
        lines = priced_lines(choice.part)
        chosen = [choice.voucher_code] if choice.voucher_code else []
        if choice.voucher_code:
            # Judged here, with a reason for the customer: the pricing hook only prices.
            voucher, _quote = vouchers.for_checkout(
                choice.part.merchant, customer, choice.voucher_code, store=choice.store,
                lines=lines, currency=choice.part.currency, at=now,
                field=_field(index, "voucher_code"))
            choice.vouchers = [voucher]
        choice.pricing = price(choice.part.merchant, lines, currency=choice.part.currency,
                               customer=customer, codes=chosen)
        choice.planned = _planned(choice, customer)
    return choices


def _planned(choice: Choice, customer) -> list[PlannedOrder]:
    """The orders a choice becomes. A delivery adds its fee to each parcel's order; a split
    one is priced per parcel (the pricing hook sees what each order really holds)."""
    if choice.delivery is None:
        return [PlannedOrder(choice.store, [(line.variant, line.quantity)
                                            for line in choice.part.lines], choice.pricing)]
    plan, offer = choice.delivery.plan, choice.delivery.offer
    planned = []
    for parcel, quote in zip(plan.parcels, offer.quotes, strict=True):
        if plan.split:
            pricing = price(choice.part.merchant, [
                PricedLine(key=f"v{variant.id}", variant=variant, quantity=quantity,
                           unit_price=variant.price) for variant, quantity in parcel.items],
                currency=choice.part.currency, customer=customer)
        else:
            pricing = choice.pricing
        pricing.adjustments.append(PriceAdjustment(
            code=DELIVERY_FEE, label=str(_l("Delivery: %(service)s", service=quote.label)),
            amount=quote.fee))
        planned.append(PlannedOrder(parcel.store, list(parcel.items), pricing, quote))
    return planned


DELIVERY_FEE = "delivery"  # the adjustment code of a delivery's fee


def _expiry(choice: Choice, planned: PlannedOrder, now: datetime, online: bool) -> datetime:
    if online:
        return now + timedelta(minutes=current_app.config["ORDER_PAYMENT_MINUTES"])
    if planned.quote is not None:  # a delivery: its shipment, not this time, ends it
        return planned.quote.window_end
    if choice.fulfilment == Fulfilment.PICKUP:
        return choice.window[1] + timedelta(minutes=choice.store.pickup_grace_minutes)
    return now + timedelta(hours=choice.store.reserve_hold_hours)


def _new_order(checkout: Checkout, choice: Choice, planned: PlannedOrder, customer,
               now: datetime) -> Order:
    part, pricing, store = choice.part, planned.pricing, planned.store
    online = not choice.provider.offline
    order = Order(
        merchant_id=part.merchant.id, checkout=checkout, customer_id=customer.id,
        number=codes.new_order_number(),
        state=OrderState.PENDING_PAYMENT if online else OrderState.CONFIRMED,
        fulfilment=choice.fulfilment, store_id=store.id, store=store,
        slot_start=choice.window[0] if choice.window else None,
        slot_end=choice.window[1] if choice.window else None,
        expires_at=_expiry(choice, planned, now, online), currency=part.currency,
        subtotal=pricing.subtotal, adjustments_total=pricing.adjustments_total,
        total=pricing.total, payment_provider=choice.provider.identifier,
        customer_note=choice.note)
    for variant, quantity in planned.items:
        order.lines.append(OrderLine(
            merchant_id=order.merchant_id, variant_id=variant.id, variant=variant,
            title=variant.listing.title, variant_label=variant.label, sku=variant.sku,
            unit_price=variant.price, quantity=quantity))
    for adjustment in pricing.adjustments:
        order.adjustments.append(OrderAdjustment(
            merchant_id=order.merchant_id, line_key=adjustment.line_key, code=adjustment.code,
            label=adjustment.label, amount=adjustment.amount))
    db.session.add(order)
    return order


def _hold_stock(orders: list[Order], customer) -> None:
    """Reserve every line at its order's store; rows locked in (store, variant) order."""
    wanted = sorted(((order.store, line, order) for order in orders for line in order.lines),
                    key=lambda item: (item[0].id, item[1].variant_id))
    for store, line, order in wanted:
        level = lock_level(store, line.variant)
        try:
            apply_movement(level, reason=MovementReason.RESERVE, reserved_delta=line.quantity,
                           actor_id=customer.id, reference=order.number)
        except InsufficientStock as exc:
            left = max(exc.extra.get("available", 0), 0)
            raise InsufficientStock(
                _l("Only %(n)d of “%(title)s” left at %(store)s.", n=left,
                   title=line.title, store=store.name),
                available=left, store_id=store.id, variant_id=line.variant_id) from None
        line.held_quantity = line.quantity


def place(cart: Cart | None, *, customer, raw_choices: list, cart_version: str | None,
          now: datetime | None = None) -> Checkout:
    """Place the orders of a checkout. Flushes; the caller commits (or rolls back)."""
    now = now or utcnow()
    choices = plan(cart, customer=customer, raw_choices=raw_choices,
                   cart_version=cart_version, now=now)
    placing = [(choice, planned) for choice in choices for planned in choice.planned]
    checkout = Checkout(customer_id=customer.id, currency=choices[0].part.currency,
                        total=sum(planned.pricing.total for _, planned in placing))
    db.session.add(checkout)
    orders = [_new_order(checkout, choice, planned, customer, now)
              for choice, planned in placing]
    db.session.flush()
    _hold_stock(orders, customer)
    actor = Actor.customer(customer)
    for order, (choice, planned) in zip(orders, placing, strict=True):
        if choice.window is not None:
            slots.book(choice.store, choice.window[0])
        payments.start(order, choice.provider, actor=actor)
        if planned.quote is not None:  # collected by the courier at the door, not at a counter
            deliveries.create_shipment(
                order, planned.quote, address=choice.delivery.address,
                cod_amount=order.total if choice.provider.collected_on_delivery else 0,
                now=now)
        else:
            redemption.issue(order.merchant_id, codes.KIND, order.id)
        for voucher in choice.vouchers:  # used now; given back if the order comes to nothing
            vouchers.apply_to_order(voucher, order, actor=actor, now=now)
        announce(order, None, OrderState(order.state), "place", actor=actor)
    carts.remove_merchants(cart, {c.part.merchant.id for c in choices})
    return checkout
