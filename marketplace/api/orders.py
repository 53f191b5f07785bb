"""Orders for the merchant's staff: the pickup queue of a store, one order, its events
(prepare, ready, collect with the pickup code, decline, cancel), and returns in store."""

from __future__ import annotations

from flask.views import MethodView

from ..extensions import db, limiter
from ..merchants.roles import Permission
from ..orders import codes, lifecycle, queries, returns
from ..orders.audit import Actor
from ..orders.states import QUEUE_STATES, OrderState
from ..outbox.services import notify
from ..stores.services import get_accessible_store
from .blueprint import ApiBlueprint, principal
from .schemas.orders import (
    OrderEventSchema,
    OrderQuerySchema,
    PaymentReceivedSchema,
    ReturnResultSchema,
    ReturnSchema,
    StaffOrderSchema,
)

blp = ApiBlueprint("orders", __name__, url_prefix="/api/v1/orders",
                   description="Orders placed with this merchant, for the staff at the "
                               "counter: the pickup queue, state changes, returns in store.")




@blp.route("")
class PickupQueue(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(OrderQuerySchema, location="query")
    @blp.response(200, StaffOrderSchema(many=True))
    @blp.problems(404)
    def get(self, args):
        """A store's orders: by default its pickup queue (confirmed, preparing, ready), soonest
        first; `state` narrows to one state"""
        caller = principal()
        store = get_accessible_store(caller.membership, args["store_id"])
        states = [OrderState(args["state"])] if "state" in args else QUEUE_STATES
        return queries.queue(store, states=states)


@blp.route("/<int:order_id>")
class OrderItem(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.response(200, StaffOrderSchema)
    @blp.problems(404)
    def get(self, order):
        """One order with its lines, payments and history"""
        return order


@blp.route("/<int:order_id>/events")
class OrderEvents(MethodView):
    # Only wrong pickup codes count: a busy counter is never slowed down.
    decorators = [limiter.limit(codes.attempt_limit, deduct_when=codes.failed_attempt)]

    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(OrderEventSchema)
    @blp.response(200, StaffOrderSchema)
    @blp.problems(404, 409, 429)
    def post(self, data, order):
        """Move the order: `prepare`, `mark_ready` (notifies the customer), `collect` (with
        the pickup code; `lines` for a partial pickup or what was bought after trying;
        `payment_taken` for pay at store), `decline` (tried, bought nothing), `cancel` (with a
        `reason` for the customer)

        A wrong pickup code is 422 `wrong_pickup_code` and counts against a rate limit.
        """
        lifecycle.staff_event(order, data["event"], actor=Actor.staff(principal().user),
                              code=data.get("code"), quantities=data.get("lines"),
                              payment_taken=data["payment_taken"], reason=data.get("reason"))
        db.session.commit()
        notify()
        return order


@blp.route("/<int:order_id>/payment")
class OrderPaymentReceived(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(PaymentReceivedSchema)
    @blp.response(200, StaffOrderSchema)
    @blp.problems(404, 422)
    def post(self, data, order):
        """The money of an order paid by bank transfer arrived in the shop's account: the
        payment is captured and the order confirmed (the customer is notified). Only for
        payments staff confirm (`vietqr`); `amount` must be the order's total"""
        lifecycle.payment_received(order, data["amount"], actor=Actor.staff(principal().user))
        db.session.commit()
        notify()
        return order


@blp.route("/<int:order_id>/returns")
class OrderReturns(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(ReturnSchema)
    @blp.response(201, ReturnResultSchema)
    @blp.problems(404, 409)
    def post(self, data, order):
        """Take goods of a collected order back at a store: resellable items are restocked
        there, the refund goes back through the order's payment (cash for pay at store)"""
        caller = principal()
        store = get_accessible_store(caller.membership, data["store_id"])
        item = returns.return_in_store(order, store=store, actor=Actor.staff(caller.user),
                                       lines=data["lines"], reason=data["reason"])
        db.session.commit()
        return item
