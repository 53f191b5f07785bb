"""The merchant dashboard: /dashboard/<merchant_slug>/… for owners, managers and staff.

Every page runs with ``g.merchant`` and ``g.membership`` loaded from the URL and the logged-in
user; someone who is not on that merchant's staff gets 404, as if the merchant did not exist.
Each area (stores, listings, stock, staff, tokens, profile) is a module of this package.
"""

from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from ...extensions import db
from ...merchants.models import Merchant
from ...merchants.roles import Permission, allowed
from ...merchants.services import membership_for, require

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.before_request
def _load_merchant():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    slug = (request.view_args or {}).get("merchant_slug")
    if slug is None:
        return None
    load_member(slug)
    return None


def load_member(slug: str):
    """``g.merchant`` and ``g.membership`` of the logged-in user at the merchant ``slug``
    names; 404 for anyone not on its staff, as if the merchant did not exist. (A plugin's
    dashboard pages call it from their own ``before_request``.)"""
    merchant = db.session.scalars(sa.select(Merchant).where(Merchant.slug == slug)).first()
    membership = membership_for(current_user, merchant.id) if merchant else None
    if membership is None:
        abort(404)
    g.merchant, g.membership = merchant, membership
    return merchant, membership


@bp.url_defaults
def fill_merchant_slug(endpoint: str, values: dict) -> None:
    """Links from a merchant's page to another of its pages need not name the merchant."""
    merchant = g.get("merchant")
    if merchant is not None and "merchant_slug" not in values and \
            current_app.url_map.is_endpoint_expecting(endpoint, "merchant_slug"):
        values["merchant_slug"] = merchant.slug


@bp.context_processor
def layout_context():
    """What the dashboard layout asks of every page (a plugin's dashboard pages that extend
    the layout register it on their own blueprint)."""
    def can(permission: str) -> bool:
        membership = g.get("membership")
        return membership is not None and allowed(membership.role, Permission(permission))

    def has_page(endpoint: str) -> bool:
        """Whether a page exists: a plugin's pages (the QR plugin's scanner) are linked only
        where the plugin is installed."""
        return endpoint in current_app.view_functions

    def plugin_on(name: str) -> bool:
        """Whether the merchant runs a merchant-level plugin (its ``dashboard_links`` are
        shown only to merchants who enabled it)."""
        merchant = g.get("merchant")
        return merchant is not None and \
            name in current_app.extensions["plugins"].active_plugin_names(merchant)

    return {"can": can, "has_page": has_page, "plugin_on": plugin_on,
            "merchant": g.get("merchant"), "membership": g.get("membership")}


def requires(permission: Permission):
    """Refuse the view (403) unless the member's role has ``permission``."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            require(g.membership, permission)
            return view(*args, **kwargs)

        return wrapper

    return decorator


from . import (  # noqa: E402,F401
    campaigns,
    cod,
    deliveries,
    listings,
    orders,
    overview,
    payouts,
    plugins,
    posters,
    profile,
    redemptions,
    staff,
    statement,
    stock,
    stores,
    theme,
    tokens,
)
# (importing the area modules registers their routes on bp)
