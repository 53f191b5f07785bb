"""Dashboard: the pickup queue of each store, one order with its actions, returns in store.

Orders are loaded through the merchant scope and then the member's stores (404 for another
merchant's order or a store the member is not assigned to). Pickup-code attempts are rate
limited per member and per address, so a code cannot be guessed at the counter page.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...errors import MarketplaceError
from ...extensions import db, limiter
from ...merchants.roles import Permission
from ...merchants.services import require
from ...money import validate_amount
from ...orders import codes, lifecycle, queries, returns
from ...orders.audit import Actor
from ...orders.states import FINAL_STATES, QUEUE_STATES, OrderEvent, OrderState
from ...stores.services import accessible_stores, get_accessible_store
from . import bp, requires


def _member_key() -> str:
    return f"pickup-code:{current_user.get_id()}"



def _order(order_id: int):
    order = queries.merchant_order(g.merchant.id, order_id)
    get_accessible_store(g.membership, order.store_id)  # 404 outside the member's stores
    return order


def _actor() -> Actor:
    require(g.membership, Permission.HANDLE_ORDERS)
    return Actor.staff(current_user)


@bp.get("/<merchant_slug>/pickup")
@requires(Permission.HANDLE_ORDERS)
def pickup(merchant_slug: str):
    found = accessible_stores(g.membership)
    if not found:
        return render_template("dashboard/stock/no_stores.html")
    return redirect(url_for("dashboard.pickup_queue", store_id=found[0].id))


def _queue_context(store) -> dict:
    orders = queries.queue(store)
    return {"store": store, "stores": accessible_stores(g.membership),
            "columns": [(state, [o for o in orders if o.state == state])
                        for state in QUEUE_STATES],
            "done": queries.recent(store, states=FINAL_STATES, limit=20),
            "awaiting": queries.queue(store, states=[OrderState.PENDING_PAYMENT])}


@bp.get("/<merchant_slug>/pickup/<int:store_id>")
@requires(Permission.HANDLE_ORDERS)
def pickup_queue(merchant_slug: str, store_id: int):
    store = get_accessible_store(g.membership, store_id)
    return render_template("dashboard/orders/queue.html", **_queue_context(store))


@bp.get("/<merchant_slug>/pickup/<int:store_id>/live")
@requires(Permission.HANDLE_ORDERS)
def pickup_queue_live(merchant_slug: str, store_id: int):
    """The queue's columns alone: what the page's script swaps in every few seconds."""
    store = get_accessible_store(g.membership, store_id)
    return render_template("dashboard/orders/_columns.html", **_queue_context(store))


@bp.get("/<merchant_slug>/orders/find")
@requires(Permission.HANDLE_ORDERS)
def find_order(merchant_slug: str):
    number = (request.args.get("number") or "").strip()
    stores = None if g.membership.all_stores else set(g.membership.store_ids)
    try:
        order = queries.find_by_number(g.merchant.id, number, stores)
    except MarketplaceError:
        flash(_("No order with this number."), "error")
        return redirect(request.referrer or url_for("dashboard.pickup"), code=303)
    return redirect(url_for("dashboard.order_detail", order_id=order.id), code=303)


def _detail(order, *, status=200, message=None, errors=None, failed=None):
    return render_template(
        "dashboard/orders/detail.html", order=order, store=order.store,
        timeline=queries.timeline(order), stores=accessible_stores(g.membership),
        events=_events(order), message=message, errors=errors or {},
        failed=failed, values=request.form), status


def _events(order):
    allowed = lifecycle.staff_events(order)
    if order.state == OrderState.COLLECTED:
        allowed.append("return")
    return allowed


@bp.get("/<merchant_slug>/orders/<int:order_id>")
@requires(Permission.HANDLE_ORDERS)
def order_detail(merchant_slug: str, order_id: int):
    return _detail(_order(order_id))


def _act(order, form: str, apply, done_message):
    try:
        apply()
    except MarketplaceError as exc:
        db.session.rollback()
        return _detail(db.session.get(type(order), order.id), status=exc.status,
                       message=exc.message, errors=exc.fields, failed=form)
    db.session.commit()
    from ...outbox.services import notify

    notify()
    flash(str(done_message), "success")
    return redirect(url_for("dashboard.order_detail", order_id=order.id), code=303)


# URL word → (event, what the member is told). Collection has its own route: rate limited.
ACTIONS = {
    "prepare": (OrderEvent.PREPARE, _l("Marked as being prepared.")),
    "ready": (OrderEvent.MARK_READY, _l("Ready for pickup: the customer is notified.")),
    "cancel": (OrderEvent.CANCEL, _l("The order is cancelled.")),
    "decline": (OrderEvent.DECLINE, _l("Closed: nothing bought, the items are back on sale.")),
}


@bp.post("/<merchant_slug>/orders/<int:order_id>/<any(prepare, ready, cancel, decline):action>")
@requires(Permission.HANDLE_ORDERS)
def order_action(merchant_slug: str, order_id: int, action: str):
    order = _order(order_id)
    event, done = ACTIONS[action]
    return _act(order, action, lambda: lifecycle.staff_event(
        order, event, actor=_actor(), reason=request.form.get("reason")), done)


@bp.post("/<merchant_slug>/orders/<int:order_id>/collect")
@requires(Permission.HANDLE_ORDERS)
@limiter.limit(codes.attempt_limit, key_func=_member_key, deduct_when=codes.failed_attempt)
@limiter.limit(codes.attempt_limit, deduct_when=codes.failed_attempt)
def order_collect(merchant_slug: str, order_id: int):
    order = _order(order_id)
    quantities = {line.id: request.form.get(f"line_{line.id}", line.quantity)
                  for line in order.lines}
    return _act(order, "collect", lambda: lifecycle.staff_event(
        order, OrderEvent.COLLECT, actor=_actor(), code=request.form.get("code"),
        quantities=quantities, payment_taken=request.form.get("payment_taken") == "1"),
        _("Collected. The order is complete."))


@bp.post("/<merchant_slug>/orders/<int:order_id>/payment")
@requires(Permission.HANDLE_ORDERS)
def order_payment(merchant_slug: str, order_id: int):
    """The money of an order paid by bank transfer arrived: staff saw it in the account."""
    order = _order(order_id)

    def apply():
        # Typed as the bank shows it ("150.000"): separators dropped. Transfers are in đồng,
        # which has no minor unit, so the digits are the amount.
        typed = (request.form.get("amount") or "").replace(".", "").replace(",", "").strip()
        amount = validate_amount(typed or None, "amount", allow_zero=False)
        lifecycle.payment_received(order, amount, actor=_actor())

    return _act(order, "payment", apply, _("Payment received: the order is confirmed."))


@bp.post("/<merchant_slug>/orders/<int:order_id>/returns")
@requires(Permission.HANDLE_ORDERS)
def order_return(merchant_slug: str, order_id: int):
    order = _order(order_id)

    def apply():
        store = get_accessible_store(g.membership, request.form.get("store_id", type=int) or 0)
        lines = [{"line_id": line.id, "quantity": request.form.get(f"return_{line.id}"),
                  "condition": request.form.get(f"condition_{line.id}")}
                 for line in order.lines
                 if (request.form.get(f"return_{line.id}") or "0").strip() not in ("", "0")]
        return returns.return_in_store(order, store=store, actor=_actor(), lines=lines,
                                       reason=request.form.get("reason"))

    return _act(order, "return", apply, _("Return recorded and refunded."))
