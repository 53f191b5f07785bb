"""The consumer's saved delivery addresses (``/api/v1/consumer/addresses``, a consumer
token). The rules are ``marketplace.delivery.addresses``: a bad field is a 422 naming it and
saves nothing; another customer's address is 404, before the body is read."""

from __future__ import annotations

from functools import wraps

from flask.views import MethodView

from ..auth import consumer_user
from ..delivery import addresses
from ..extensions import db
from .blueprint import TOKEN_SECURITY, ApiBlueprint
from .consumer import authenticated
from .schemas.shipments import SavedAddressSchema

blp = ApiBlueprint("consumer_addresses", __name__, url_prefix="/api/v1/consumer",
                   description="For shoppers: the addresses deliveries go to, each with its "
                               "position (latitude and longitude: there is no geocoding).")


def own_address(func):
    """Load the caller's address of the URL first: anyone else's is 404 before the body is
    parsed (a stranger learns nothing from validation errors)."""

    @wraps(func)
    def wrapper(*args, address_id, **kwargs):
        address = addresses.get_address(consumer_user(), address_id)
        return func(*args, address=address, **kwargs)

    return wrapper


@blp.route("/addresses")
class Addresses(MethodView):
    @authenticated()
    @blp.doc(security=TOKEN_SECURITY)
    @blp.response(200, SavedAddressSchema(many=True))
    @blp.problems(401)
    def get(self):
        """Your saved addresses, oldest first (at most 20)"""
        return addresses.list_addresses(consumer_user())

    @authenticated()
    @blp.doc(security=TOKEN_SECURITY)
    @blp.arguments(SavedAddressSchema)
    @blp.response(201, SavedAddressSchema)
    @blp.problems(401, 422)
    def post(self, data):
        """Save an address

        422 names the offending field (a phone the courier cannot call, a position out of
        range …), or says the list is full.
        """
        address = addresses.save_address(consumer_user(), data)
        db.session.commit()
        return address


@blp.route("/addresses/<int:address_id>")
class AddressItem(MethodView):
    @authenticated()
    @own_address
    @blp.doc(security=TOKEN_SECURITY)
    @blp.arguments(SavedAddressSchema)
    @blp.response(200, SavedAddressSchema)
    @blp.problems(401, 404, 422)
    def put(self, data, address):
        """Replace one of your addresses (parcels on their way keep the old one)"""
        address = addresses.save_address(consumer_user(), data, address_id=address.id)
        db.session.commit()
        return address

    @authenticated()
    @own_address
    @blp.doc(security=TOKEN_SECURITY)
    @blp.response(204)
    @blp.problems(401, 404)
    def delete(self, address):
        """Delete one of your addresses"""
        addresses.delete_address(consumer_user(), address.id)
        db.session.commit()
        return None
