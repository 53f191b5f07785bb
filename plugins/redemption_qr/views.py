"""The staff scanner: a phone-first page, its service worker, and the JSON calls it makes.

The page is a member's, like the dashboard: someone not on the merchant's staff (or without
the right to hand over orders) gets 404. The JSON calls take the same bodies as the REST API
(``/api/v1/redemptions``) and answer the same way; they use the login session, so they carry
the CSRF token in ``X-CSRFToken``. Typed codes are rate limited per device, member and address.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, render_template, request, send_file
from flask_login import current_user, login_required
from marshmallow import ValidationError as SchemaError

from marketplace.api.schemas.redemptions import RedeemSchema, SyncSchema
from marketplace.errors import MarketplaceError
from marketplace.extensions import db
from marketplace.merchants.models import Merchant
from marketplace.merchants.roles import Permission, allowed
from marketplace.merchants.services import membership_for
from marketplace.outbox.services import notify
from marketplace.redemption import limits
from marketplace.redemption import services as redemption
from marketplace.stores.services import accessible_stores, get_accessible_store

from . import keys

SERVICE_WORKER = Path(__file__).parent / "static" / "sw.js"

bp = Blueprint("redemption_qr", __name__, static_folder="static", static_url_path="/static",
               template_folder="templates")


def _member(merchant_slug: str):
    merchant = db.session.scalar(sa.select(Merchant).where(Merchant.slug == merchant_slug))
    membership = membership_for(current_user, merchant.id) if merchant else None
    if membership is None or not allowed(membership.role, Permission.HANDLE_ORDERS):
        abort(404)
    return merchant, membership


def _problem(exc: MarketplaceError):
    return jsonify(exc.to_problem()), exc.status


def _load(schema, merchant_slug: str):
    merchant, membership = _member(merchant_slug)
    try:
        data = schema.load(request.get_json(silent=True) or {})
    except SchemaError as exc:
        return merchant, membership, (jsonify({"outcome": "invalid", "errors": exc.messages}),
                                      400)
    return merchant, membership, data


def _scan(data: dict, membership):
    store = get_accessible_store(membership, data["store_id"])
    return redemption.scan_from(data, store=store, staff=current_user,
                                device=limits.device_id() or None, ip=request.remote_addr)


@bp.get("/<merchant_slug>/scanner/")
@login_required
def scanner(merchant_slug: str):
    merchant, membership = _member(merchant_slug)
    return render_template("redemption_qr/scanner.html", merchant=merchant,
                           stores=accessible_stores(membership))


@bp.get("/<merchant_slug>/scanner/sw.js")
@login_required
def service_worker(merchant_slug: str):
    _member(merchant_slug)
    # Served from the scanner's own path: a worker controls only pages under its folder.
    response = send_file(SERVICE_WORKER, mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/<merchant_slug>/scanner/kit")
@login_required
def kit(merchant_slug: str):
    """What the page needs to judge codes offline: the merchant's public keys, revoked and
    redeemed codes, and the member's stores."""
    merchant, membership = _member(merchant_slug)
    keys.signing_key(merchant.id)  # a merchant with no code yet still gets its key now
    db.session.commit()
    lists = redemption.revocations(merchant.id)
    response = jsonify({
        "merchant": {"id": merchant.id, "name": merchant.name, "slug": merchant.slug},
        "staff": {"id": current_user.id, "name": current_user.full_name},
        "stores": [{"id": s.id, "name": s.name} for s in accessible_stores(membership)],
        "keys": [{"id": k.id, "public_key": k.public_key, "retired": k.retired_at is not None}
                 for k in keys.merchant_keys(merchant.id)],
        "revoked": lists["revoked"], "redeemed": lists["redeemed"],
        "generated_at": lists["generated_at"].isoformat()})
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<merchant_slug>/scanner/lookup")
@login_required
@limits.limited
def lookup(merchant_slug: str):
    merchant, membership, data = _load(RedeemSchema(partial=("nonce",)), merchant_slug)
    if isinstance(data, tuple):
        return data
    try:
        result = redemption.preview(merchant.id, _scan(data, membership))
    except MarketplaceError as exc:
        return _problem(exc)
    return jsonify(result.answer), result.status


@bp.post("/<merchant_slug>/scanner/redeem")
@login_required
@limits.limited
def redeem(merchant_slug: str):
    merchant, membership, data = _load(RedeemSchema(), merchant_slug)
    if isinstance(data, tuple):
        return data
    try:
        result = redemption.redeem(merchant, _scan(data, membership))
    except MarketplaceError as exc:
        db.session.rollback()
        return _problem(exc)
    db.session.commit()
    notify()
    return jsonify(result.answer), result.status


@bp.post("/<merchant_slug>/scanner/sync")
@login_required
def sync(merchant_slug: str):
    merchant, membership, data = _load(SyncSchema(), merchant_slug)
    if isinstance(data, tuple):
        return data
    try:
        scans = redemption.offline_scans(
            data["scans"], stores=accessible_stores(membership), staff=current_user,
            device=limits.device_id() or None, ip=request.remote_addr)
        results = redemption.sync(merchant, scans)
    except MarketplaceError as exc:
        db.session.rollback()
        return _problem(exc)
    db.session.commit()
    notify()
    return jsonify({"results": [{"nonce": nonce, "status": result.status,
                                 "answer": result.answer} for nonce, result in results]})
