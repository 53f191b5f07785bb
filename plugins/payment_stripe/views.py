"""The card page after checkout, its two JSON calls, and Stripe's webhook receiver."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, jsonify, make_response, redirect, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from marketplace.errors import MarketplaceError
from marketplace.extensions import csrf, db
from marketplace.orders import queries
from marketplace.payments.services import provider_for
from marketplace.theming import render_storefront

from . import gateway, intents, paying

bp = Blueprint(gateway.NAME, __name__, static_folder="static", static_url_path="/static")
# Stripe.js loads parts of itself from subdomains of js.stripe.com.
STRIPE_JS_HOSTS = "https://*.js.stripe.com"


@bp.get("/checkout/<int:checkout_id>")
@login_required
def pay_page(checkout_id: int):
    found = queries.customer_checkout(current_user, checkout_id)
    if request.args.get("payment_intent"):  # back from a payment method's redirect
        return _back_from_redirect(found, request.args["payment_intent"])
    try:
        owed = paying.due(found)
    except MarketplaceError as exc:  # paid, cancelled or expired meanwhile
        flash(str(exc.message), "info")
        return redirect(url_for("shop.orders"), code=303)
    config = gateway.settings()
    js_url = config["js_url"] or "https://js.stripe.com/v3/"
    response = make_response(render_storefront(
        "payment_stripe/pay.html", checkout=found, due=owed,
        stripe_amount=gateway.to_stripe(owed.amount, owed.currency),
        publishable_key=config["publishable_key"], js_url=js_url,
        locale=str(get_locale() or "en")))
    # Stripe's script and its frames are the only outside code this site ever runs.
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(js_url))
    response.headers["Content-Security-Policy"] = "; ".join([
        "default-src 'self'", "img-src 'self' data: https://*.stripe.com",
        "style-src 'self' 'unsafe-inline'", f"script-src 'self' {origin} {STRIPE_JS_HOSTS}",
        f"frame-src {origin} {STRIPE_JS_HOSTS} https://hooks.stripe.com",
        f"connect-src 'self' https://api.stripe.com {origin}", "frame-ancestors 'none'",
        "form-action 'self'", "base-uri 'self'", "object-src 'none'"])
    return response


def _back_from_redirect(found, intent_id: str):
    """Stripe sends the customer back here after a redirect-based next action: apply the
    PaymentIntent as Stripe has it now, then go on like the page's own script does."""
    latest = intents.latest(found)
    if latest is None or latest.intent_id != intent_id:
        return redirect(url_for(".pay_page", checkout_id=found.id), code=303)
    try:
        outcome = paying.after_action(found)
    except MarketplaceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for(".pay_page", checkout_id=found.id), code=303)
    if outcome.status == "authorized":
        return redirect(_next(outcome), code=303)
    flash(outcome.message or str(intents.NOTHING_TO_PAY), "error")
    return redirect(url_for(".pay_page", checkout_id=found.id), code=303)


def _next(outcome) -> str:
    return (url_for("shop.order", number=outcome.orders[0]) if len(outcome.orders) == 1
            else url_for("shop.orders"))


@bp.post("/checkout/<int:checkout_id>")
@login_required
def pay(checkout_id: int):
    """Authorize with the PaymentMethod Stripe.js made (JSON ``{"payment_method": "pm_…"}``)."""
    found = queries.customer_checkout(current_user, checkout_id)
    body = request.get_json(silent=True) or {}
    return _answer(lambda: paying.charge(found, body.get("payment_method")))


@bp.post("/checkout/<int:checkout_id>/confirm")
@login_required
def confirm(checkout_id: int):
    """After 3-D Secure in the browser: apply what Stripe says now."""
    found = queries.customer_checkout(current_user, checkout_id)
    return _answer(lambda: paying.after_action(found))


def _answer(step):
    try:
        outcome = step()
    except MarketplaceError as exc:
        db.session.rollback()
        return jsonify({"status": "failed", "code": exc.code,
                        "message": str(exc.message)}), exc.status
    body = {"status": outcome.status, "message": outcome.message, "orders": outcome.orders}
    if outcome.client_secret:
        body["client_secret"] = outcome.client_secret
    if outcome.status == "authorized":
        body["next"] = _next(outcome)
    return jsonify(body)


@bp.post("/webhook")
@csrf.exempt
def webhook():
    body, status = provider_for("stripe").handle_webhook(request)
    return jsonify(body), status
