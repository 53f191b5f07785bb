"""The customer's saved delivery addresses: list, add, change, delete (account pages).

The rules are ``marketplace.delivery.addresses``: a bad field re-renders the form with the
message next to its input and nothing saved. Someone else's address is 404.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..delivery import addresses
from ..errors import MarketplaceError
from ..extensions import db
from .forms import form_dict

bp = Blueprint("account_addresses", __name__, url_prefix="/account/addresses")


@bp.record_once
def _header_link(state) -> None:
    # The customer's own pages are linked in the header, as a plugin's are (their bookings).
    links = state.app.jinja_env.globals.setdefault("account_links", [])
    link = ("account_addresses.addresses", _l("My addresses"))
    if link not in links:
        links.append(link)


def _values(address) -> dict:
    return {name: getattr(address, name) for name in addresses.FIELDS} if address else {}


def _form(address=None, *, values=None, errors=None, message=None, status=200):
    return render_template("account/address_form.html", address=address,
                           values=values if values is not None else _values(address),
                           errors=errors or {}, message=message), status


def _save(address_id=None):
    values = form_dict(*addresses.FIELDS)
    try:
        addresses.save_address(current_user, values, address_id=address_id)
    except MarketplaceError as exc:
        db.session.rollback()
        address = addresses.get_address(current_user, address_id) if address_id else None
        return _form(address, values=values, errors=exc.fields, message=exc.message,
                     status=exc.status)
    db.session.commit()
    flash(_("The address is saved."), "success")
    return redirect(url_for("account_addresses.addresses"), code=303)


@bp.get("", endpoint="addresses")
@login_required
def index():
    return render_template("account/addresses.html",
                           addresses=addresses.list_addresses(current_user),
                           limit=addresses.MAX_ADDRESSES)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if request.method == "POST":
        return _save()
    return _form()


@bp.route("/<int:address_id>", methods=["GET", "POST"])
@login_required
def edit(address_id: int):
    address = addresses.get_address(current_user, address_id)  # 404 for anyone else's
    if request.method == "POST":
        return _save(address.id)
    return _form(address)


@bp.post("/<int:address_id>/delete")
@login_required
def delete(address_id: int):
    addresses.delete_address(current_user, addresses.get_address(current_user, address_id).id)
    db.session.commit()
    flash(_("The address is deleted."), "success")
    return redirect(url_for("account_addresses.addresses"), code=303)
