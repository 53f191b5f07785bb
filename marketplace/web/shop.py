"""The consumer's cart, checkout and orders (storefront pages, default theme).

A guest's cart lives behind a token kept in the signed session; logging in merges it into the
account's cart (``merge_guest_cart``). Checkout needs an account: orders are followed and
notified by e-mail. The checkout form re-renders itself on "Update" (store, day, position)
without writing anything; "Place order" posts once, protected by an idempotency key in the
form, so a double click never places two sets of orders.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from .. import idempotency
from ..cart import services as carts
from ..database import utcnow
from ..delivery import addresses, planning
from ..errors import MarketplaceError, ValidationError
from ..extensions import db
from ..fulfilment import options as store_choice
from ..fulfilment import slots
from ..orders import checkout, codes, delivery_choice, lifecycle, queries
from ..orders.states import Fulfilment, OrderState
from ..payments import services as payments
from ..redemption import images
from ..redemption import services as redemption
from ..theming import render_storefront
from ..vouchers import usage as vouchers
from ..vouchers.discounts import summary as discount_summary
from ..vouchers.discounts import terms_of

bp = Blueprint("shop", __name__)

SESSION_KEY = "cart_token"
DAYS_SHOWN = 7

STATE_LABELS = {
    OrderState.PENDING_PAYMENT: _l("Waiting for payment"),
    OrderState.CONFIRMED: _l("Confirmed"),
    OrderState.PREPARING: _l("Being prepared"),
    OrderState.READY: _l("Ready for pickup"),
    OrderState.COLLECTED: _l("Collected"),
    OrderState.DECLINED: _l("Tried, nothing bought"),
    OrderState.CANCELLED: _l("Cancelled"),
    OrderState.EXPIRED: _l("Expired"),
    OrderState.NO_SHOW: _l("Not collected"),
    OrderState.SHIPPED: _l("On its way"),
    OrderState.DELIVERED: _l("Delivered"),
}
PAYMENT_STATE_LABELS = {
    "pending": _l("To pay"), "authorized": _l("Authorized"), "captured": _l("Paid"),
    "refunded": _l("Refunded"), "voided": _l("Released"), "cancelled": _l("Cancelled"),
    "failed": _l("Failed"),
}
# The staff timeline mixes entities; each state reads as its own label.
HISTORY_LABELS = {
    "order": {str(state): label for state, label in STATE_LABELS.items()},
    "payment": PAYMENT_STATE_LABELS,
    "refund": {"pending": _l("Refund pending"), "succeeded": _l("Refunded"),
               "failed": _l("Refund failed")},
    "return": {"received": _l("Taken back in store")},
    "voucher": {"applied": _l("Used on this order"), "available": _l("Given back"),
                "cancelled": _l("Cancelled")},
}
FULFILMENT_LABELS = {Fulfilment.PICKUP: _l("Pickup in store"),
                     Fulfilment.RESERVE: _l("Reserve and try in store"),
                     Fulfilment.APPOINTMENT: _l("Appointment, paid ahead"),
                     Fulfilment.DELIVERY: _l("Delivery to your address")}


def store_time(store, moment, pattern: str = "short") -> str:
    """A UTC instant in the store's own time zone, in the reader's language."""
    if moment is None:
        return ""
    return format_datetime(moment.astimezone(ZoneInfo(store.timezone)), pattern, rebase=False)


@bp.app_context_processor
def _shop_helpers():
    return {"order_state_label": lambda s: STATE_LABELS.get(OrderState(s), s),
            "fulfilment_label": lambda f: FULFILMENT_LABELS.get(Fulfilment(f), f),
            "payment_state_label": lambda s: PAYMENT_STATE_LABELS.get(s, s),
            "payment_provider": _payment_provider,
            "payment_waits_for_staff": payments.waiting_for_staff,
            "history_label": lambda entity, s: HISTORY_LABELS.get(entity, {}).get(s, s),
            "store_time": store_time, "cart_count": _cart_count}


def _payment_provider(payment):
    """The payment's provider, or ``None`` when its plugin is no longer loaded."""
    try:
        return payments.provider_for(payment)
    except MarketplaceError:  # NotFound: the plugin was removed since the order was placed
        return None


def _cart_count() -> int:
    """Items in the visitor's cart, for the header (read only: a page view never writes)."""
    try:
        return carts.item_count(current_cart())
    except SQLAlchemyError:  # the error page itself must render when the database is down
        return 0


# --- the cart of whoever is asking ------------------------------------------------------------

def current_cart(*, create: bool = False):
    if current_user.is_authenticated:
        return carts.cart_of_user(current_user, create=create)
    cart = carts.guest_cart(session.get(SESSION_KEY))
    if cart is None and create:
        cart, token = carts.new_guest_cart()
        session[SESSION_KEY] = token
    return cart


def merge_guest_cart(user, token: str | None) -> None:
    """Called by the login and sign-up views right after ``login_user`` with the guest's cart
    token, read before the session was cleared."""
    guest = carts.guest_cart(token)
    if guest is not None:
        carts.merge_into_account(guest, user)
        db.session.commit()


def _back_to_cart(message=None, category="success"):
    if message:
        flash(message, category)
    return redirect(url_for("shop.cart"), code=303)


@bp.get("/cart")
def cart():
    found = current_cart()
    return render_storefront("storefront/cart.html", cart=found, parts=carts.parts(found),
                             version=carts.version(found))


@bp.post("/cart/items")
def add_to_cart():
    try:
        line = carts.add_item(current_cart(create=True), request.form.get("variant_id"),
                              request.form.get("quantity") or 1)
    except MarketplaceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(request.referrer or url_for("shop.cart"), code=303)
    db.session.commit()
    return _back_to_cart(_("Added “%(title)s” to your cart.", title=line.variant.listing.title))


@bp.post("/cart/lines/<int:line_id>")
def update_line(line_id: int):
    found = current_cart()
    try:
        if found is None:
            raise ValidationError(_l("Your cart is empty."))
        if request.form.get("action") == "remove":
            carts.remove_line(found, line_id)
        else:
            carts.set_quantity(found, line_id, request.form.get("quantity"))
    except MarketplaceError as exc:
        db.session.rollback()
        return _back_to_cart(str(exc.message), "error")
    db.session.commit()
    return _back_to_cart(_("Your cart is updated."))


# --- checkout ---------------------------------------------------------------------------------

def _position():
    try:
        return store_choice.parse_position(request.values.get("lat"), request.values.get("lng"))
    except ValidationError:
        return None


def _day(value, store, now) -> date:
    today = slots.local_today(store, now)
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return today
    horizon = current_app.config["PICKUP_HORIZON_DAYS"]
    return day if 0 <= (day - today).days < horizon else today


def _checkout_view(found, *, errors=None, message=None, status=200):
    now = utcnow()
    position = _position()
    sections = []
    for part in carts.parts(found):
        mid = part.merchant.id
        options = store_choice.store_options(part.merchant, part.lines, position)
        usable = [o for o in options if o.has_everything]
        wanted = request.values.get(f"store_{mid}", type=int)
        chosen = next((o for o in usable if o.store.id == wanted), usable[0] if usable else None)
        fulfilment = request.values.get(f"fulfilment_{mid}") or Fulfilment.PICKUP
        day = days = day_slots = None
        if chosen is not None:
            today = slots.local_today(chosen.store, now)
            days = [today + timedelta(days=n) for n in range(
                min(DAYS_SHOWN, current_app.config["PICKUP_HORIZON_DAYS"]))]
            asked = request.values.get(f"day_{mid}")
            day = _day(asked, chosen.store, now)
            day_slots = slots.day_slots(chosen.store, day, now=now)
            # Without a chosen day, open on the first day that still has a free slot.
            for later in ([] if asked else days[1:]):
                if day_slots:
                    break
                day, day_slots = later, slots.day_slots(chosen.store, later, now=now)
        provider = request.values.get(f"provider_{mid}", "")
        sections.append({
            **_voucher_section(part, chosen, now),
            "delivery": _delivery_section(part, provider, now)
            if fulfilment == Fulfilment.DELIVERY else None,
            "part": part, "options": options, "usable": usable, "chosen": chosen,
            "fulfilment": fulfilment, "day": day, "days": days, "slots": day_slots,
            "slot_start": request.values.get(f"slot_{mid}", ""),
            "providers": payments.usable_providers(part.merchant, part.currency),
            "provider": provider,
            "included": request.values.get(f"include_{mid}", "1" if request.method == "GET"
                                           else "") == "1",
        })
    return render_storefront(
        "storefront/checkout.html", cart=found, sections=sections,
        version=carts.version(found), position=position, errors=errors or {},
        message=message, idempotency_key=request.values.get("idempotency_key")
        or uuid.uuid4().hex), status


NEW_ADDRESS = "new"


def _delivery_raw(mid: int) -> dict:
    """The address part of a delivery choice as the form has it: a saved address, or the
    fields of a new one."""
    picked = request.values.get(f"address_{mid}") or NEW_ADDRESS
    if picked != NEW_ADDRESS:
        return {"address_id": picked}
    return {"address": {name: request.values.get(f"new_{name}_{mid}", "")
                        for name in addresses.FIELDS}}


def _delivery_section(part, provider_id: str, now) -> dict:
    """The customer's addresses, and for the chosen one the parcels and the carriers'
    offers (or why there are none), worked out again on every "Update"."""
    mid = part.merchant.id
    saved = addresses.list_addresses(current_user)
    raw = _delivery_raw(mid)
    if "address" in raw and saved and f"address_{mid}" not in request.values:
        raw = {"address_id": str(saved[0].id)}  # first visit: the first saved address
    section = {"addresses": saved, "picked": raw.get("address_id") or NEW_ADDRESS,
               "new": raw.get("address") or {}, "plan": None, "problem": None,
               "service": request.values.get(f"service_{mid}", ""),
               "accept_split": request.values.get(f"accept_split_{mid}") == "1"}
    if "address" in raw and not any(raw["address"].values()):
        return section  # nothing typed yet: no error to show
    usable = {p.identifier: p for p in payments.usable_providers(part.merchant, part.currency)}
    cod = getattr(usable.get(provider_id), "collected_on_delivery", False)
    try:
        address = delivery_choice.delivery_address(current_user, raw)
        section["plan"] = planning.plan(
            part.merchant, [(line.variant, line.quantity) for line in part.lines],
            address=address, currency=part.currency, cash_on_delivery=cod, now=now)
        if not section["plan"].offers:
            section["problem"] = planning.no_offer_error("service").message
    except MarketplaceError as exc:
        section["problem"] = exc.message
        section["fields"] = exc.fields
    return section


def _voucher_section(part, chosen, now) -> dict:
    """The customer's vouchers this shop's order could use, and what the chosen one takes
    off (or why it cannot be used), worked out again on every "Update"."""
    offered = [(code, f"{v.campaign.name} — {discount_summary(terms_of(v.campaign))}")
               for code, v in vouchers.wallet_choices(part.merchant, current_user, at=now)]
    picked = request.values.get(f"voucher_{part.merchant.id}") or ""
    discount = problem = None
    if picked and chosen is not None:
        try:
            _voucher, quote = vouchers.for_checkout(
                part.merchant, current_user, picked, store=chosen.store,
                lines=checkout.priced_lines(part), currency=part.currency, at=now,
                field="voucher")
            discount = quote.discount
        except ValidationError as exc:
            problem = exc.message
    return {"vouchers": offered, "voucher": picked, "voucher_discount": discount,
            "voucher_problem": problem}


def _raw_choices(found) -> list[dict]:
    choices = []
    for part in carts.parts(found):
        mid = part.merchant.id
        if request.form.get(f"include_{mid}") != "1":
            continue
        fulfilment = request.form.get(f"fulfilment_{mid}")
        choice = {
            "merchant_id": mid, "fulfilment": fulfilment,
            "store_id": request.form.get(f"store_{mid}"),
            "slot_start": request.form.get(f"slot_{mid}") if fulfilment == "pickup" else None,
            "payment_provider": request.form.get(f"provider_{mid}"),
            "note": request.form.get(f"note_{mid}"),
            "voucher_code": request.form.get(f"voucher_{mid}") or None}
        if fulfilment == Fulfilment.DELIVERY:
            carrier, _sep, service = (request.form.get(f"service_{mid}") or "").partition(":")
            choice |= _delivery_raw(mid) | {
                "carrier": carrier, "service": service,
                "accept_split": request.form.get(f"accept_split_{mid}") == "1"}
        choices.append(choice)
    return choices


@bp.route("/checkout", methods=["GET", "POST"])
@login_required
def checkout_page():
    found = current_cart()
    if found is None or not found.lines:
        return _back_to_cart(_("Your cart is empty."), "error")
    if request.method == "GET" or request.form.get("action") != "place":
        return _checkout_view(found)
    key = idempotency.valid_key(request.form.get("idempotency_key"))
    raw = _raw_choices(found)
    version = request.form.get("cart_version")
    try:
        _status, body, replayed = idempotency.commit_once(
            f"web-checkout:{current_user.id}", key, {"orders": raw, "cart_version": version},
            lambda: checkout.place(found, customer=current_user, raw_choices=raw,
                                   cart_version=version),
            lambda placed: {"checkout_id": placed.id,
                            "orders": [o.number for o in placed.orders]})
    except MarketplaceError as exc:
        db.session.rollback()
        return _checkout_view(found, errors=exc.fields, message=exc.message, status=exc.status)
    if not replayed:
        from ..outbox.services import notify

        notify()
    numbers = body["orders"]
    pay_page = _pay_page(body["checkout_id"])
    if pay_page:  # an online payment to make now (a card form)
        return redirect(pay_page, code=303)
    flash(_("Thank you! Your order is placed.") if len(numbers) == 1
          else _("Thank you! Your %(n)d orders are placed.", n=len(numbers)), "success")
    if len(numbers) == 1:
        return redirect(url_for("shop.order", number=numbers[0]), code=303)
    return redirect(url_for("shop.orders"), code=303)


def _pay_page(checkout_id: int) -> str | None:
    """The page of the first provider that takes its payment right after checkout."""
    for order in queries.customer_checkout(current_user, checkout_id).orders:
        provider = _payment_provider(order.payment_provider)
        if provider and provider.pay_endpoint and order.state == OrderState.PENDING_PAYMENT:
            return url_for(provider.pay_endpoint, checkout_id=checkout_id)
    return None


# --- my orders --------------------------------------------------------------------------------

@bp.get("/orders")
@login_required
def orders():
    return render_storefront("storefront/orders.html",
                             orders=queries.customer_orders(current_user))


@bp.get("/orders/<number>")
@login_required
def order(number: str):
    found = queries.customer_order(current_user, number)
    # An appointment paid ahead has no pickup code: its booking shows the ticket.
    pickup = redemption.current(codes.KIND, found.id)
    return render_storefront(
        "storefront/order.html", order=found, store=found.store, merchant=found.merchant,
        code=codes.display(codes.pickup_code(found)), pickup=pickup,
        timeline=queries.timeline(found), can_cancel=lifecycle.customer_can_cancel(found),
        show_code=pickup is not None and OrderState(found.state) in (
            OrderState.CONFIRMED, OrderState.PREPARING, OrderState.READY))


@bp.get("/codes/<int:code_id>.<any(png, svg):fmt>")
@login_required
def code_image(code_id: int, fmt: str):
    """The QR image of a code the customer holds (a pickup, a voucher): SVG on the page and
    for print, PNG to save on the phone."""
    found = redemption.held_by(current_user, code_id)
    text = redemption.qr_text(found)
    body, mimetype = (images.svg(text), "image/svg+xml") if fmt == "svg" else \
        (images.png(text), "image/png")
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Cache-Control"] = "private, no-store"
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="code-{code_id}.{fmt}"'
    return response


@bp.post("/orders/<number>/cancel")
@login_required
def cancel(number: str):
    found = queries.customer_order(current_user, number)
    try:
        lifecycle.cancel_by_customer(found, current_user, reason=request.form.get("reason"))
    except MarketplaceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Your order is cancelled."), "success")
    return redirect(url_for("shop.order", number=number), code=303)
