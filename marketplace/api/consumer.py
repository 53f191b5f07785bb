"""The consumer's side of the API: cart, pickup options, checkout, own orders.

A guest's cart is created with ``POST /consumer/carts`` and used with the ``X-Cart-Token``
header it returns. An account authenticates with a consumer token (``POST
/consumer/tokens`` with e-mail and password, rate limited like the login page); its cart is
the account's. Checkout and orders need the account. ``POST /consumer/checkout`` takes an
``Idempotency-Key``: a retried request returns the first answer and places nothing new.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, jsonify, request
from flask.views import MethodView
from flask_babel import lazy_gettext as _l

from .. import idempotency
from ..accounts import services as accounts
from ..auth import consumer_user
from ..cart import services as carts
from ..database import utcnow
from ..delivery import planning
from ..errors import AuthenticationFailed, NotFound
from ..extensions import db, limiter
from ..fulfilment import options as store_choice
from ..fulfilment import slots
from ..orders import checkout, delivery_choice, lifecycle, queries
from ..outbox.services import notify
from ..payments import services as payments
from ..stores.models import Store
from .blueprint import ApiBlueprint
from .schemas.delivery_options import DeliveryOptionsQuerySchema, DeliveryPlanSchema
from .schemas.orders import (
    AddLineSchema,
    CancelSchema,
    CartSchema,
    CheckoutResultSchema,
    CheckoutSchema,
    ConsumerTokenSchema,
    CustomerOrderSchema,
    LoginSchema,
    MerchantOptionsSchema,
    NewCartSchema,
    PositionSchema,
    QuantitySchema,
    SlotQuerySchema,
    SlotSchema,
)

blp = ApiBlueprint("consumer", __name__, url_prefix="/api/v1/consumer",
                   description="For shoppers: a cart across merchants, the stores that can "
                               "serve it, checkout into one order per merchant, and one's "
                               "orders. Authenticate with a consumer token; a guest cart "
                               "uses `X-Cart-Token`.")
slots_blp = ApiBlueprint("pickup_slots", __name__, url_prefix="/api/v1/catalog",
                         token_authenticated=False, description="Public pickup times.")

CONSUMER_SECURITY = [{"token": []}, {"cart": []}]
TOKEN_DAYS = 90


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _cart(*, create: bool = False):
    user = consumer_user(required=False)
    if user is not None:
        return carts.cart_of_user(user, create=create)
    cart = carts.guest_cart(request.headers.get("X-Cart-Token"))
    if cart is None:
        raise AuthenticationFailed(_l("Send a consumer token or a valid X-Cart-Token."))
    return cart


def authenticated(*, cart: bool = False):
    """Check who is asking before the body or the query is parsed (401 first, like the
    merchant API): a consumer token, or for cart routes also a guest cart's token."""

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            if cart:
                _cart()
            else:
                consumer_user()
            return func(*args, **kwargs)

        return wrapper

    return decorator


def _cart_view(cart) -> dict:
    return {"version": carts.version(cart), "item_count": carts.item_count(cart),
            "lines": cart.lines if cart else []}


@blp.route("/tokens")
class ConsumerTokens(MethodView):
    decorators = [limiter.limit(_login_limit)]

    @blp.arguments(LoginSchema)
    @blp.response(201, ConsumerTokenSchema)
    @blp.problems(401, 429)
    def post(self, data):
        """Log in and get a consumer token (for an app; valid 90 days)"""
        user = accounts.authenticate(email=data["email"], password=data["password"])
        token, plaintext = accounts.create_token(user=user, merchant_id=None, name=data["name"],
                                                 expires_in_days=TOKEN_DAYS)
        db.session.commit()
        return {"token": plaintext, "expires_at": token.expires_at}


@blp.route("/carts")
class GuestCarts(MethodView):
    @blp.response(201, NewCartSchema)
    def post(self):
        """Start a guest cart (no account needed until checkout)"""
        cart, plaintext = carts.new_guest_cart()
        db.session.commit()
        return {"cart_token": plaintext, "cart": _cart_view(cart)}


@blp.route("/cart")
class CurrentCart(MethodView):
    @authenticated(cart=True)
    @blp.doc(security=CONSUMER_SECURITY)
    @blp.response(200, CartSchema)
    @blp.problems(401, 404)
    def get(self):
        """The cart: the account's (consumer token) or a guest's (X-Cart-Token)"""
        return _cart_view(_cart())


@blp.route("/cart/lines")
class CartLines(MethodView):
    @authenticated(cart=True)
    @blp.doc(security=CONSUMER_SECURITY)
    @blp.arguments(AddLineSchema)
    @blp.response(201, CartSchema)
    @blp.problems(401, 404, 409)
    def post(self, data):
        """Add a variant (added to its line if already there)

        Unknown, unpublished or unavailable variants are 404; more than any one store of
        the merchant has is 409 `insufficient_stock`.
        """
        cart = _cart(create=True)
        carts.add_item(cart, data["variant_id"], data["quantity"])
        db.session.commit()
        return _cart_view(cart)


@blp.route("/cart/lines/<int:line_id>")
class CartLine(MethodView):
    @authenticated(cart=True)
    @blp.doc(security=CONSUMER_SECURITY)
    @blp.arguments(QuantitySchema)
    @blp.response(200, CartSchema)
    @blp.problems(401, 404, 409)
    def patch(self, data, line_id):
        """Change a line's quantity"""
        cart = _cart()
        carts.set_quantity(cart, line_id, data["quantity"])
        db.session.commit()
        return _cart_view(cart)

    @authenticated(cart=True)
    @blp.doc(security=CONSUMER_SECURITY)
    @blp.response(200, CartSchema)
    @blp.problems(401, 404)
    def delete(self, line_id):
        """Remove a line"""
        cart = _cart()
        carts.remove_line(cart, line_id)
        db.session.commit()
        return _cart_view(cart)


@blp.route("/cart/stores")
class CartStores(MethodView):
    @authenticated(cart=True)
    @blp.doc(security=CONSUMER_SECURITY)
    @blp.arguments(PositionSchema, location="query")
    @blp.response(200, MerchantOptionsSchema(many=True))
    @blp.problems(401, 404)
    def get(self, args):
        """For each merchant in the cart: its stores, those with everything first, nearest
        first when `lat`/`lng` are given, and what the others lack"""
        position = (args["lat"], args["lng"]) if "lat" in args and "lng" in args else None
        return [{"merchant_id": part.merchant.id, "merchant": part.merchant.name,
                 "payment_providers": [p.identifier for p in payments.usable_providers(
                     part.merchant, part.currency)],
                 "stores": store_choice.store_options(part.merchant, part.lines, position)}
                for part in carts.parts(_cart())]


@blp.route("/delivery-options")
class CartDeliveryOptions(MethodView):
    @authenticated()
    @blp.doc(security=[{"token": []}])
    @blp.arguments(DeliveryOptionsQuerySchema)
    @blp.response(200, DeliveryPlanSchema)
    @blp.problems(401, 404, 409)
    def post(self, data):
        """How a merchant's part of your cart would be delivered to an address

        The parcels (the nearest store with everything, else a split over the nearest
        stores) and every offer of the merchant's carriers that takes all of them, cheapest
        first. Writes nothing. 422 for a bad address, 409 `insufficient_stock` when the
        shop's stores together do not have it.
        """
        user = consumer_user()
        cart = carts.cart_of_user(user)
        part = next((p for p in (carts.parts(cart) if cart else ())
                     if p.merchant.id == data["merchant_id"]), None)
        if part is None:
            raise NotFound("merchant")
        address = delivery_choice.delivery_address(user, data)
        return planning.plan(
            part.merchant, [(line.variant, line.quantity) for line in part.lines],
            address=address, currency=part.currency,
            cash_on_delivery=data["cash_on_delivery"], now=utcnow())


@slots_blp.route("/stores/<int:store_id>/pickup-slots")
class PickupSlots(MethodView):
    @slots_blp.arguments(SlotQuerySchema, location="query")
    @slots_blp.response(200, SlotSchema(many=True))
    @slots_blp.problems(404)
    def get(self, args, store_id):
        """Free pickup slots of a store on a local date (full and closed times left out)"""
        store = db.session.get(Store, store_id) if 0 < store_id < 2**31 else None
        if store is None or not store.is_active or not store.merchant.is_public:
            raise NotFound("store")
        now = utcnow()
        horizon = current_app.config["PICKUP_HORIZON_DAYS"]
        if not 0 <= (args["date"] - slots.local_today(store, now)).days < horizon:
            return []
        return slots.day_slots(store, args["date"], now=now)


@blp.route("/checkout")
class Checkout(MethodView):
    @authenticated()
    @blp.doc(security=[{"token": []}], parameters=[{
        "in": "header", "name": "Idempotency-Key", "schema": {"type": "string"},
        "description": "Retry safely: the same key returns the first answer."}])
    @blp.arguments(CheckoutSchema)
    @blp.response(201, CheckoutResultSchema)
    @blp.problems(401, 409)
    def post(self, data):
        """Place one order per merchant chosen, holding the stock and the pickup slots

        409 `cart_changed` when the cart differs from `cart_version`; 409
        `insufficient_stock` or `slot_full` when someone was faster; 422 for a choice that is
        not possible (a store of another merchant, a closed or past slot …). Nothing is
        placed unless everything is.
        """
        user = consumer_user()
        key = idempotency.valid_key(request.headers.get("Idempotency-Key"))
        scope = f"checkout:{user.id}"
        status, body, replayed = idempotency.commit_once(
            scope, key, data,
            lambda: checkout.place(carts.cart_of_user(user), customer=user,
                                   raw_choices=data["orders"],
                                   cart_version=data["cart_version"]),
            lambda placed: CheckoutResultSchema().dump({
                "checkout_id": placed.id, "total": placed.total, "currency": placed.currency,
                "orders": placed.orders}))
        if not replayed:
            notify()
        # Sent as serialized once (a replay must be byte-for-byte the first answer).
        response = jsonify(body)
        response.status_code = status
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response


@blp.route("/orders")
class ConsumerOrders(MethodView):
    @authenticated()
    @blp.doc(security=[{"token": []}])
    @blp.response(200, CustomerOrderSchema(many=True))
    @blp.problems(401)
    def get(self):
        """Your orders, newest first"""
        return queries.customer_orders(consumer_user())


@blp.route("/orders/<number>")
class ConsumerOrder(MethodView):
    @authenticated()
    @blp.doc(security=[{"token": []}])
    @blp.response(200, CustomerOrderSchema)
    @blp.problems(401, 404)
    def get(self, number):
        """One of your orders, with its pickup code while it waits"""
        return queries.customer_order(consumer_user(), number)


@blp.route("/orders/<number>/cancel")
class ConsumerCancel(MethodView):
    @authenticated()
    @blp.doc(security=[{"token": []}])
    @blp.arguments(CancelSchema)
    @blp.response(200, CustomerOrderSchema)
    @blp.problems(401, 404, 409, 422)
    def post(self, data, number):
        """Cancel an order before the store has it ready"""
        user = consumer_user()
        order = queries.customer_order(user, number)
        lifecycle.cancel_by_customer(order, user, reason=data.get("reason"))
        db.session.commit()
        notify()
        return order

