"""Carriers' status notifications: one receiver for every carrier plugin.

The route finds the carrier and hands it the request; the carrier checks its signature
(before reading anything else) and gives each update to ``delivery.tracking.carrier_news``.
The whole notification is one transaction: committed when the carrier answers success,
rolled back otherwise, so a refused, unknown or impossible notification changes nothing.
``/<merchant_id>`` tells a carrier which merchant's account (and secret) the notification
is for, for carriers where each merchant has its own account.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..errors import MarketplaceError, NotFound
from ..errors_web import problem_response
from ..extensions import csrf, db, limiter
from ..plugins.manager import current_platform

bp = Blueprint("carrier_webhooks", __name__, url_prefix="/webhooks/carriers")


def _webhook_limit() -> str:
    from flask import current_app

    return current_app.config.get("CARRIER_WEBHOOK_RATE_LIMIT", "600 per minute")


@bp.post("/<identifier>")
@bp.post("/<identifier>/<int:merchant_id>")
@csrf.exempt
@limiter.limit(_webhook_limit)
def receive(identifier: str, merchant_id: int | None = None):
    carriers = current_platform().carriers
    try:
        if identifier not in carriers:
            raise NotFound("carrier")
        body, status = carriers.get(identifier).handle_webhook(request)
    except MarketplaceError as exc:
        db.session.rollback()
        return problem_response(exc.to_problem(), exc.status)
    if status < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return (jsonify(body) if isinstance(body, (dict, list)) else body), status
