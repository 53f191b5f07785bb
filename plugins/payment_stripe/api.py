"""Paying a checkout by card from an app: the same steps as the card page, with a consumer
token. The app makes the PaymentMethod with Stripe's own SDK (card data never reaches the
marketplace) and sends its id; 3-D Secure is handled by Stripe's SDK with the client secret
answered, then ``confirm`` applies what Stripe says."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from marketplace.api.blueprint import ApiBlueprint
from marketplace.api.consumer import authenticated
from marketplace.api.schemas.orders import MONEY
from marketplace.auth import consumer_user
from marketplace.orders import queries

from . import gateway, paying

blp = ApiBlueprint(f"{gateway.NAME}_api", __name__, url_prefix="/api/v1/consumer/checkouts",
                   description="Card payments (Stripe) of a consumer's checkout: authorized "
                               "at order, captured at pickup for what is collected.")


class CardPaymentSchema(Schema):
    checkout_id = fields.Integer()
    amount = fields.Integer(metadata=MONEY)
    currency = fields.String()
    orders = fields.List(fields.String(), metadata={"description": "Order numbers to pay."})
    publishable_key = fields.String(allow_none=True)
    late_pickup_orders = fields.List(fields.String(), metadata={
        "description": "Orders collected later than a card hold lasts: charged in full "
                       "earlier, what is not collected is refunded."})


class PayWithCardSchema(Schema):
    payment_method = fields.String(required=True, metadata={
        "description": "A PaymentMethod id (pm_…) made by Stripe's SDK."})


class CardOutcomeSchema(Schema):
    status = fields.String(metadata={
        "description": "authorized, requires_action (finish 3-D Secure with client_secret, "
                       "then POST …/confirm) or failed (message says why)."})
    message = fields.String()
    orders = fields.List(fields.String())
    client_secret = fields.String(allow_none=True)


@blp.route("/<int:checkout_id>/card-payment")
class CardPayment(MethodView):
    @authenticated()
    @blp.doc(security=[{"token": []}])
    @blp.response(200, CardPaymentSchema)
    @blp.problems(401, 404, 422)
    def get(self, checkout_id):
        """What is still to pay by card for a checkout"""
        found = queries.customer_checkout(consumer_user(), checkout_id)
        owed = paying.due(found)
        return {"checkout_id": found.id, "amount": owed.amount, "currency": owed.currency,
                "orders": [p.order.number for p in owed.shares],
                "publishable_key": gateway.settings()["publishable_key"],
                "late_pickup_orders": [p.order.number for p in owed.late]}

    @authenticated()
    @blp.doc(security=[{"token": []}])
    @blp.arguments(PayWithCardSchema)
    @blp.response(200, CardOutcomeSchema)
    @blp.problems(401, 404, 422, 503)
    def post(self, data, checkout_id):
        """Authorize the checkout's card payments with a PaymentMethod

        A declined card answers `failed` with the card's message, and the orders stay
        unpaid and held until their deadline. Repeating the same request never authorizes
        twice (Stripe idempotency keys are made from our ids and the PaymentMethod).
        """
        found = queries.customer_checkout(consumer_user(), checkout_id)
        return paying.charge(found, data["payment_method"])


@blp.route("/<int:checkout_id>/card-payment/confirm")
class ConfirmCardPayment(MethodView):
    @authenticated()
    @blp.doc(security=[{"token": []}])
    @blp.response(200, CardOutcomeSchema)
    @blp.problems(401, 404, 422, 503)
    def post(self, checkout_id):
        """Apply the PaymentIntent as Stripe has it after 3-D Secure"""
        found = queries.customer_checkout(consumer_user(), checkout_id)
        return paying.after_action(found)
