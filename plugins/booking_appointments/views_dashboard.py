"""The booking area of the merchant dashboard: ``/dashboard/<merchant>/bookings/…``.

It behaves like the core dashboard (``marketplace.web.dashboard``): a visitor who is not
logged in goes to the login page; someone not on the merchant's staff gets 404, and so does
every member while the merchant has not enabled the plugin. Pages run with ``g.merchant`` and
``g.membership`` and render in the dashboard's layout with its helpers (``can`` …).

Ids in URLs are looked up in the merchant's scope first and then in the member's stores, so
another merchant's booking, staff member or block is 404 before any permission (403) or
input (422) is looked at.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from marketplace.database import get_scoped
from marketplace.errors import NotFound
from marketplace.merchants.roles import Permission
from marketplace.merchants.services import require
from marketplace.stores.services import get_accessible_store
from marketplace.web.dashboard import fill_merchant_slug, layout_context, load_member

from .models import Resource
from .pages import enabled_for

dashboard = Blueprint("dashboard", __name__, url_prefix="/dashboard/<merchant_slug>/bookings")
dashboard.context_processor(layout_context)


@dashboard.url_value_preprocessor
def _take_merchant_slug(endpoint, values) -> None:
    g.booking_merchant_slug = (values or {}).pop("merchant_slug", None)


dashboard.url_defaults(fill_merchant_slug)


@dashboard.before_request
def _load_merchant():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    merchant, _membership = load_member(g.pop("booking_merchant_slug", None))
    if not enabled_for(merchant):
        abort(404)
    # Settle the page's language now: a service error raised after a failed flush (a
    # duplicate name) is translated without reading the session, which awaits its rollback.
    get_locale()
    return None


def member_store(store_id, permission: Permission):
    """A store the member may see (else 404), then the right to act there (else 403)."""
    store = get_accessible_store(g.membership, store_id)
    require(g.membership, permission)
    return store


def member_resource(resource_id, permission: Permission = Permission.MANAGE_STORES) -> Resource:
    """A staff member, room or table of the merchant at a store the member may see (else
    404), then the right to set it up (else 403)."""
    resource = get_scoped(Resource, g.merchant.id, resource_id)
    member_store(resource.store_id, permission)
    return resource


def store_resource(store, resource_id) -> Resource | None:
    """``resource_id`` as typed in a form or a link: none, or one of this store's."""
    if resource_id in (None, ""):
        return None
    resource = get_scoped(Resource, g.merchant.id, resource_id)
    if resource.store_id != store.id:
        raise NotFound("resource")
    return resource


def no_stores():
    return render_template("booking_appointments/dashboard_no_stores.html")
