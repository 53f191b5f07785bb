"""The rider's page, ``/rider/``: made for a phone on the road.

It lists the parcels assigned to the logged-in user (``riders.rider_shipments``) with the
recipient, a ``tel:`` link, the address with navigation links, the goods, the cash to take,
whether the customer may inspect first and the attempts made; each parcel has the buttons
its state allows. Any other parcel's id is 404. A refused action shows its message on the
page and changes nothing (the transaction is rolled back).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.errors import MarketplaceError
from marketplace.extensions import db
from marketplace.media import delete_file
from marketplace.money import parse_typed, to_decimal
from marketplace.outbox.services import notify

from . import riders
from .photos import send_photo

rider = Blueprint("rider", __name__, url_prefix="/rider", static_folder="static",
                  static_url_path="/static")


@rider.before_request
def _logged_in():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    return None


def navigation(shipment) -> dict:
    """Links that open the phone's maps at the door: directions in Google Maps, and the
    ``geo:`` link any Android maps app answers."""
    at = f"{shipment.latitude},{shipment.longitude}"
    return {"directions": f"https://www.google.com/maps/dir/?api=1&destination={at}",
            "geo": f"geo:{at}"}


def _page(*, status=200, failed=None, action=None, message=None, errors=None):
    opened, finished = riders.rider_shipments(current_user.id)
    return render_template(
        "delivery_local_courier/rider.html", opened=opened, finished=finished,
        navigation=navigation, reasons=riders.REASONS, photos_of=riders.photos_of,
        on_my_way=riders.ON_MY_WAY, cod_typed=_cod_typed, failed=failed, action=action,
        message=message, errors=errors or {}, values=request.form), status


def _cod_typed(shipment) -> str:
    return str(to_decimal(shipment.cod_amount, shipment.currency))


def _act(shipment_id: int, action: str, change, done, *, undo=None):
    """Run ``change`` on one of the rider's parcels and commit; on a refusal, roll back (and
    ``undo`` what is not in the database, a stored photo) and show the page again."""
    shipment = riders.rider_shipment(current_user.id, shipment_id)  # 404 for anyone else's
    try:
        change(shipment)
        db.session.commit()
    except MarketplaceError as exc:
        db.session.rollback()
        if undo:
            undo()
        return _page(status=exc.status, failed=shipment_id, action=action,
                     message=exc.message, errors=exc.fields)
    except Exception:
        db.session.rollback()
        if undo:
            undo()
        raise
    notify()
    flash(str(done), "success")
    return redirect(url_for(".index", _anchor=f"shipment-{shipment_id}"), code=303)


@rider.get("/")
def index():
    return _page()


@rider.post("/<int:shipment_id>/pick-up")
def pick_up(shipment_id: int):
    return _act(shipment_id, "pick_up",
                lambda shipment: riders.pick_up(shipment, current_user.id),
                _("Picked up. Tap “On my way” when you leave for the door."))


@rider.post("/<int:shipment_id>/on-my-way")
def on_my_way(shipment_id: int):
    return _act(shipment_id, "on_my_way",
                lambda shipment: riders.on_my_way(shipment, current_user.id),
                _("On your way: the customer is told."))


def _cash(shipment) -> int | None:
    """The cash taken, typed as it is read ("250.000" in đồng)."""
    return parse_typed(request.form.get("cash_collected"), shipment.currency, "cash_collected")


@rider.post("/<int:shipment_id>/delivered")
def delivered(shipment_id: int):
    upload = request.files.get("photo")
    stream = upload.stream if upload is not None and upload.filename else None
    saved: list[str] = []

    def change(shipment):
        _outcome, photo = riders.deliver(shipment, current_user.id,
                                         cash_collected=_cash(shipment), photo=stream)
        if photo is not None:
            saved.append(photo.path)

    def undo():
        for path in saved:  # not recorded after all: the photo must not stay on disk
            delete_file(path)

    return _act(shipment_id, "deliver", change, _("Delivered. Thank you!"), undo=undo)


@rider.post("/<int:shipment_id>/failed")
def failed_attempt(shipment_id: int):
    return _act(shipment_id, "fail_attempt",
                lambda shipment: riders.fail_attempt(
                    shipment, current_user.id, reason=request.form.get("reason"),
                    detail=request.form.get("detail")),
                _("The failed attempt is recorded: the customer is told why."))


@rider.get("/photos/<int:photo_id>")
def photo(photo_id: int):
    return send_photo(riders.rider_photo(current_user.id, photo_id))
