"""Carts, checkout, orders, slots and returns as the API shows and takes them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .common import ID
from .delivery_options import ADDRESS_ID, AddressInputSchema

MONEY = {"description": "An amount in the currency's minor unit (VND: đồng)."}


class CartLineSchema(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer()
    variant_id = fields.Integer()
    title = fields.Function(lambda line: line.variant.listing.title)
    variant_label = fields.Function(lambda line: line.variant.label)
    unit_price = fields.Function(lambda line: line.variant.price, metadata=MONEY)
    currency = fields.Function(lambda line: line.variant.listing.currency)
    quantity = fields.Integer()


class CartSchema(Schema):
    version = fields.String(metadata={"description": "Send it back with the checkout: a cart "
                                                     "that changed since is refused (409)."})
    item_count = fields.Integer()
    lines = fields.List(fields.Nested(CartLineSchema))


class NewCartSchema(Schema):
    cart_token = fields.String(metadata={"description": "Shown once: send it as "
                                                        "`X-Cart-Token` to use this cart."})
    cart = fields.Nested(CartSchema)


class AddLineSchema(Schema):
    variant_id = fields.Integer(required=True, validate=ID)
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=99))


class QuantitySchema(Schema):
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=99))


class PositionSchema(Schema):
    lat = fields.Float(validate=validate.Range(min=-90, max=90))
    lng = fields.Float(validate=validate.Range(min=-180, max=180))


class MissingSchema(Schema):
    variant_id = fields.Integer()
    title = fields.String()
    wanted = fields.Integer()
    available = fields.Integer()


class StoreOptionSchema(Schema):
    store_id = fields.Function(lambda o: o.store.id)
    name = fields.Function(lambda o: o.store.name)
    address = fields.Function(lambda o: o.store.address)
    pickup = fields.Function(lambda o: o.store.pickup_enabled)
    reserve = fields.Function(lambda o: o.store.reserve_enabled)
    distance_km = fields.Float(allow_none=True)
    has_everything = fields.Boolean()
    missing = fields.Function(lambda o: [
        {"variant_id": v, "title": t, "wanted": w, "available": a} for v, t, w, a in o.missing])


class MerchantOptionsSchema(Schema):
    merchant_id = fields.Integer()
    merchant = fields.String()
    payment_providers = fields.List(fields.String())
    stores = fields.List(fields.Nested(StoreOptionSchema))


class SlotQuerySchema(Schema):
    date = fields.Date(required=True, metadata={"description": "The store's local date."})


class SlotSchema(Schema):
    start = fields.AwareDateTime()
    end = fields.AwareDateTime()
    remaining = fields.Integer(metadata={"description": "Orders this slot can still take."})


class DeliveryChoiceMixin(Schema):
    address_id = fields.Integer(validate=ID, metadata=ADDRESS_ID)
    address = fields.Nested(AddressInputSchema)
    carrier = fields.String(validate=validate.Length(max=48), metadata={
        "description": "Delivery: an offer's `carrier` from "
                       "`POST /api/v1/consumer/delivery-options`."})
    service = fields.String(validate=validate.Length(max=48))
    accept_split = fields.Boolean(load_default=False, metadata={
        "description": "Delivery: required when the offer comes in several parcels."})


class ChoiceSchema(DeliveryChoiceMixin):
    merchant_id = fields.Integer(required=True, validate=ID)
    fulfilment = fields.String(required=True,
                               validate=validate.OneOf(["pickup", "reserve", "delivery"]))
    store_id = fields.Integer(validate=ID, metadata={
        "description": "Pickup and reserve: the store. A delivery's stores are chosen by the "
                       "shop (the nearest with everything, else a split)."})
    slot_start = fields.String(metadata={"description": "Pickup: a slot's `start` (ISO 8601 "
                                                        "with offset)."})
    payment_provider = fields.String(required=True)
    note = fields.String(validate=validate.Length(max=500))
    voucher_code = fields.String(allow_none=True, validate=validate.Length(max=2048), metadata={
        "description": "One of your vouchers of this merchant (its `code` from "
                       "`GET /api/v1/consumer/vouchers`): used by this order, given back if "
                       "the order is cancelled or lapses before anything is handed over."})


class CheckoutSchema(Schema):
    cart_version = fields.String(required=True)
    orders = fields.List(fields.Nested(ChoiceSchema), required=True,
                         validate=validate.Length(min=1, max=50))


class OrderLineSchema(Schema):
    id = fields.Integer()
    variant_id = fields.Integer()
    title = fields.String()
    variant_label = fields.String()
    sku = fields.String()
    unit_price = fields.Integer(metadata=MONEY)
    quantity = fields.Integer()
    held_quantity = fields.Integer()
    collected_quantity = fields.Integer()
    returned_quantity = fields.Integer()


class OrderAdjustmentSchema(Schema):
    code = fields.String()
    label = fields.String()
    amount = fields.Integer(metadata=MONEY)
    line_key = fields.String(allow_none=True)
    settled = fields.Boolean()


class PaymentSchema(Schema):
    id = fields.Integer()
    provider = fields.String()
    state = fields.String()
    amount = fields.Integer(metadata=MONEY)
    captured_amount = fields.Integer(metadata=MONEY)
    refunded_amount = fields.Integer(metadata=MONEY)


class RefundSchema(Schema):
    id = fields.Integer()
    state = fields.String()
    method = fields.String()
    amount = fields.Integer(metadata=MONEY)
    reason = fields.String(allow_none=True)


class OrderStoreSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    timezone = fields.String()


class OrderSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    merchant_id = fields.Integer()
    state = fields.String()
    fulfilment = fields.String()
    store = fields.Nested(OrderStoreSchema)
    slot_start = fields.AwareDateTime(allow_none=True)
    slot_end = fields.AwareDateTime(allow_none=True)
    expires_at = fields.AwareDateTime()
    currency = fields.String()
    subtotal = fields.Integer(metadata=MONEY)
    adjustments_total = fields.Integer(metadata=MONEY)
    total = fields.Integer(metadata=MONEY)
    settled_total = fields.Integer(allow_none=True, metadata=MONEY)
    is_paid = fields.Boolean()
    lines = fields.List(fields.Nested(OrderLineSchema))
    adjustments = fields.List(fields.Nested(OrderAdjustmentSchema))
    payments = fields.List(fields.Nested(PaymentSchema))
    refunds = fields.List(fields.Nested(RefundSchema))
    created_at = fields.AwareDateTime()


class CustomerOrderSchema(OrderSchema):
    pickup_code = fields.Method("_code", metadata={
        "description": "Show or say it at the counter (while the order waits for pickup)."})

    def _code(self, order):
        from ...orders import codes
        from ...orders.states import OPEN_STATES

        return codes.display(codes.pickup_code(order)) if order.state in OPEN_STATES else None


class StaffOrderSchema(OrderSchema):
    customer_name = fields.Function(lambda o: o.customer.full_name)
    customer_note = fields.String(allow_none=True)
    timeline = fields.Method("_timeline")

    def _timeline(self, order):
        from ...orders.queries import timeline

        return [{"entity": e.entity, "event": e.event, "from_state": e.from_state,
                 "to_state": e.to_state, "actor_kind": e.actor_kind, "actor_id": e.actor_id,
                 "note": e.note, "at": e.created_at.isoformat()} for e in timeline(order)]


class CheckoutResultSchema(Schema):
    checkout_id = fields.Integer()
    total = fields.Integer(metadata=MONEY)
    currency = fields.String()
    orders = fields.List(fields.Nested(CustomerOrderSchema))


class CancelSchema(Schema):
    reason = fields.String(validate=validate.Length(max=500))


class OrderQuerySchema(Schema):
    store_id = fields.Integer(required=True, validate=ID)
    state = fields.String(validate=validate.OneOf(
        ["pending_payment", "confirmed", "preparing", "ready", "collected", "declined",
         "cancelled", "expired", "no_show"]))


class OrderEventSchema(Schema):
    event = fields.String(required=True, validate=validate.OneOf(
        ["prepare", "mark_ready", "collect", "decline", "cancel"]))
    code = fields.String(metadata={"description": "collect: the customer's pickup code."})
    lines = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "collect: order line id → quantity taken (default: everything)."})
    payment_taken = fields.Boolean(load_default=False, metadata={
        "description": "collect, pay at store: staff took the payment at the counter."})
    reason = fields.String(validate=validate.Length(max=500))


class PaymentReceivedSchema(Schema):
    amount = fields.Integer(required=True, validate=validate.Range(min=1), metadata={
        "description": "What arrived, in minor units: exactly the order's total."})


class ReturnLineSchema(Schema):
    line_id = fields.Integer(required=True, validate=ID)
    quantity = fields.Integer(required=True, validate=validate.Range(min=1, max=10_000))
    condition = fields.String(required=True, validate=validate.OneOf(["resellable", "damaged"]))


class ReturnSchema(Schema):
    store_id = fields.Integer(required=True, validate=ID)
    lines = fields.List(fields.Nested(ReturnLineSchema), required=True,
                        validate=validate.Length(min=1))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ReturnResultSchema(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    store_id = fields.Integer()
    refund_amount = fields.Integer(metadata=MONEY)
    reason = fields.String()


class LoginSchema(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    name = fields.String(load_default="App", validate=validate.Length(min=1, max=80))


class ConsumerTokenSchema(Schema):
    token = fields.String(metadata={"description": "Shown once: `Authorization: Bearer …`."})
    expires_at = fields.AwareDateTime(allow_none=True)
