"""The booking REST API: the merchant's setup and calendar (``/api/v1/booking``, a personal
access token) and the consumer's side (``/api/v1/consumer``: free times without a token,
holding, confirming, moving and cancelling one's own bookings with a consumer token).

A merchant that has not enabled the plugin has no booking API: every merchant route answers
404, and its services and bookings are not found on the consumer's side either. The views
parse, call a service of ``setup``/``booking``, commit and answer; the rules are there.
"""

from __future__ import annotations

from contextlib import contextmanager

from flask.views import MethodView
from flask_babel import lazy_gettext as _l

from marketplace.api.blueprint import TOKEN_SECURITY, ApiBlueprint, principal
from marketplace.api.consumer import authenticated
from marketplace.api.pagination import PageArgsSchema, page_schema, paginate
from marketplace.auth import consumer_user
from marketplace.database import utcnow
from marketplace.errors import MarketplaceError, ValidationError
from marketplace.extensions import db
from marketplace.fulfilment.options import parse_position
from marketplace.fulfilment.slots import local_today
from marketplace.merchants.roles import Permission
from marketplace.orders.audit import Actor
from marketplace.outbox.services import notify
from marketplace.stores.services import get_accessible_store

from . import booking as bookings
from . import prepay, queries
from . import setup as setups
from .schemas import (
    AvailabilityQuerySchema,
    AvailabilitySchema,
    BookingBlockCreateSchema,
    BookingBlockSchema,
    BookingCalendarQuerySchema,
    BookingCancelSchema,
    BookingHoldSchema,
    BookingHoursSchema,
    BookingPaymentSchema,
    BookingPaySchema,
    BookingRescheduleSchema,
    BookingResourceCreateSchema,
    BookingResourceQuerySchema,
    BookingResourceSchema,
    BookingResourceUpdateSchema,
    BookingSchema,
    BookingServiceSchema,
    BookingServiceSetupSchema,
    BookingTransitionSchema,
    CustomerBookingSchema,
    ServiceStoreSchema,
    ServiceStoresQuerySchema,
)

# The plugin's URL ids → (keyword the view receives, loader), loaded after the core's. Each
# 404s for another merchant's row and for a store the member may not see, before the body is
# read or the permission weighed.
LOADERS = {
    "resource_id": ("resource", lambda c, v, _f: queries.accessible_resource(c.membership, v)),
    "block_id": ("block", lambda c, v, _f: queries.accessible_block(c.membership, v)),
    "booking_id": ("booking", lambda c, v, _f: queries.accessible_booking(c.membership, v)),
}


def _store_id(objects: dict) -> int | None:
    """The store a booking route acts at (its permission is weighed there)."""
    if "block" in objects:
        return objects["block"].resource.store_id
    for name in ("booking", "resource"):
        if name in objects:
            return objects[name].store_id
    return None


@contextmanager
def named_as(**names: str):
    """The services name a few inputs after their own arguments (``party``, ``store_id``):
    a 422 names the field as this API's client sent it."""
    try:
        yield
    except MarketplaceError as exc:
        exc.fields = {names.get(field, field): messages
                      for field, messages in exc.fields.items()}
        raise


blp = ApiBlueprint(
    "booking_appointments_api", __name__, url_prefix="/api/v1/booking", url_loaders=LOADERS,
    caller_check=lambda caller: queries.require_bookings(caller.merchant), store_of=_store_id,
    description="Appointments (plugin booking_appointments, enabled per merchant): how each "
                "service is booked, the staff, rooms and tables of each store with their "
                "hours and time off, and the calendar with check-in. 404 while the merchant "
                "has not enabled the plugin.")
consumer_blp = ApiBlueprint(
    "booking_appointments_consumer_api", __name__, url_prefix="/api/v1/consumer",
    description="For customers: a service's free times at a store (no token), then hold one, "
                "confirm it, move or cancel it, and show the ticket at the counter.")


# --- services -------------------------------------------------------------------------------

@blp.route("/services")
class Services(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(BookingServiceSchema))
    def get(self, args):
        """The services set up for booking, in the order they were set up"""
        return paginate(queries.services(principal().merchant.id), args)


@blp.route("/services/<int:listing_id>")
class Service(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.response(200, BookingServiceSchema)
    @blp.problems(404)
    def get(self, listing):
        """How a service listing is booked (404 until it is set up)"""
        return queries.service_of(listing)

    @blp.authorize(Permission.MANAGE_STORES)
    @blp.arguments(BookingServiceSetupSchema)
    @blp.response(200, BookingServiceSchema)
    @blp.problems(404, 422)
    def put(self, data, listing):
        """Set up or change how a service listing is booked

        The listing must be a service with a duration (its price and duration are the
        listing's). Fields left out keep their value, or their default for a new setup.
        """
        setup = setups.configure_service(listing, data, membership=principal().membership)
        db.session.commit()
        return setup


# --- resources ------------------------------------------------------------------------------

@blp.route("/resources")
class Resources(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.arguments(BookingResourceQuerySchema, location="query")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(BookingResourceSchema))
    @blp.problems(404)
    def get(self, query, args):
        """The staff, rooms and tables of the stores the caller may see, by store and name"""
        membership = principal().membership
        store = get_accessible_store(membership, query["store"]) if "store" in query else None
        return paginate(queries.resources(membership, store), args)

    @blp.authorize(Permission.MANAGE_STORES)
    @blp.arguments(BookingResourceCreateSchema)
    @blp.response(201, BookingResourceSchema)
    @blp.problems(404, 422)
    def post(self, data):
        """Add a staff member, room or table to a store"""
        caller = principal()
        store = get_accessible_store(caller.membership, data["store_id"])
        resource = setups.create_resource(caller.merchant.id, data | {"store_id": store.id})
        db.session.commit()
        return resource


@blp.route("/resources/<int:resource_id>")
class ResourceItem(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.response(200, BookingResourceSchema)
    @blp.problems(404)
    def get(self, resource):
        """One staff member, room or table, with its services and hours"""
        return resource

    @blp.authorize(Permission.MANAGE_STORES)
    @blp.arguments(BookingResourceUpdateSchema)
    @blp.response(200, BookingResourceSchema)
    @blp.problems(404, 422)
    def patch(self, data, resource):
        """Change a resource; only the fields sent change (its store and kind stay)"""
        resource = setups.update_resource(resource, data)
        db.session.commit()
        return resource


@blp.route("/resources/<int:resource_id>/hours")
class ResourceHours(MethodView):
    @blp.authorize(Permission.MANAGE_STORES)
    @blp.arguments(BookingHoursSchema)
    @blp.response(200, BookingResourceSchema)
    @blp.problems(404, 422)
    def put(self, data, resource):
        """Replace a staff member's weekly working hours (local to the store)"""
        resource = setups.set_working_hours(resource, data["hours"])
        db.session.commit()
        return resource


@blp.route("/resources/<int:resource_id>/blocks")
class ResourceBlocks(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(BookingBlockSchema))
    @blp.problems(404)
    def get(self, args, resource):
        """The resource's time off that has not ended yet, soonest first"""
        return paginate(queries.blocks(resource), args)

    @blp.authorize(Permission.MANAGE_STORES)
    @blp.arguments(BookingBlockCreateSchema)
    @blp.response(201, BookingBlockSchema)
    @blp.problems(404, 409, 422)
    def post(self, data, resource):
        """Take a resource out of service for a while (leave, a day off, a repair)

        409 `time_taken` if a booking holds part of that time: move or cancel it first.
        """
        block = setups.add_block(resource, data["starts_at"], data["ends_at"],
                                 reason=data.get("reason"), actor_id=principal().user.id)
        db.session.commit()
        return block


@blp.route("/blocks/<int:block_id>")
class BlockItem(MethodView):
    @blp.authorize(Permission.MANAGE_STORES)
    @blp.response(204)
    @blp.problems(404)
    def delete(self, block):
        """Give the time of a block back"""
        setups.remove_block(block)
        db.session.commit()
        return None


# --- the calendar ---------------------------------------------------------------------------

def _calendar_scope(membership, query: dict):
    """The store (and resource) whose calendar is asked for; 404 for one the member may
    not see."""
    resource = queries.accessible_resource(membership, query["staff"]) \
        if "staff" in query else None
    if "store" in query:
        return get_accessible_store(membership, query["store"]), resource
    if resource is None:
        raise ValidationError.field("store", _l("Choose a store or a staff member."))
    return resource.store, resource


@blp.route("/bookings")
class BookingCalendar(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(BookingCalendarQuerySchema, location="query")
    @blp.response(200, BookingSchema(many=True))
    @blp.problems(404)
    def get(self, query):
        """A day of a store's calendar (`store`), or of one staff member's (`staff`), in time
        order; `state` narrows to one state. The whole day: not paged"""
        store, resource = _calendar_scope(principal().membership, query)
        day = query.get("date") or local_today(store, utcnow())
        return queries.calendar(store, day, resource=resource, state=query.get("state"))


@blp.route("/bookings/<int:booking_id>")
class BookingItem(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.response(200, BookingSchema)
    @blp.problems(404)
    def get(self, booking):
        """One booking"""
        return booking


@blp.route("/bookings/<int:booking_id>/transitions")
class BookingTransitions(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(BookingTransitionSchema)
    @blp.response(200, BookingSchema)
    @blp.problems(404, 409, 422)
    def post(self, data, booking):
        """Move a booking: `check_in` (the customer arrived; the ticket is used up),
        `complete`, `no_show` (once the appointment has started: frees the time) or `cancel`
        (any time before the visit, with a `reason` for the customer)

        409 `invalid_transition` when the booking's state does not allow it.
        """
        booking = bookings.staff_event(booking, data["event"],
                                       actor=Actor.staff(principal().user),
                                       reason=data.get("reason"))
        db.session.commit()
        notify()
        return booking


@blp.route("/bookings/<int:booking_id>/reschedule")
class BookingReschedule(MethodView):
    @blp.authorize(Permission.HANDLE_ORDERS)
    @blp.arguments(BookingRescheduleSchema)
    @blp.response(200, BookingSchema)
    @blp.problems(404, 409, 422)
    def post(self, data, booking):
        """Move a confirmed booking to another offered start (no cut-off for staff)

        All or nothing: 409 `slot_taken` (or a more precise code) keeps the old time.
        """
        booking = bookings.reschedule(booking, data["start"],
                                      actor=Actor.staff(principal().user), by_customer=False,
                                      staff_id=data.get("staff_id"))
        db.session.commit()
        notify()
        return booking


# --- the consumer's side --------------------------------------------------------------------

@consumer_blp.route("/booking/services/<int:listing_id>/stores")
class ServiceStores(MethodView):
    @consumer_blp.arguments(ServiceStoresQuerySchema, location="query")
    @consumer_blp.response(200, ServiceStoreSchema(many=True))
    @consumer_blp.problems(404, 422)
    def get(self, args, listing_id):
        """The stores offering a service, nearest first when `lat` and `lng` are sent (no
        token needed)"""
        setup = queries.public_service(listing_id)
        position = parse_position(args.get("lat"), args.get("lng"))
        return [{"id": store.id, "name": store.name, "address": store.address,
                 "latitude": store.latitude, "longitude": store.longitude,
                 "timezone": store.timezone,
                 "distance_km": round(km, 2) if km is not None else None}
                for store, km in bookings.stores_offering(setup, position)]


@consumer_blp.route("/booking/services/<int:listing_id>/availability")
class Availability(MethodView):
    @consumer_blp.arguments(AvailabilityQuerySchema, location="query")
    @consumer_blp.response(200, AvailabilitySchema)
    @consumer_blp.problems(404)
    def get(self, args, listing_id):
        """The free start times of a service at a store on a local date, with the staff free
        at each (no token needed)

        Past, too soon and too far ahead are left out; a day without any has no slots.
        A party the service does not take is 422 `party_out_of_range`. A group service (a
        class, a tour) offers its open sessions with places for the party left and the
        starts where a new one could open, each with `seats_left`; its sessions come with
        their instructor, so `staff` is 422 `staff_choice_refused`.
        """
        setup = queries.public_service(listing_id)
        with named_as(store_id="store", staff_id="staff"):
            store = queries.offering_store(setup, args["store"])
            slots = bookings.day_slots(setup, store, args["date"], staff_id=args.get("staff"),
                                       party=args.get("party", setup.party_min))
        return queries.slot_views(setup, store, slots)


@consumer_blp.route("/bookings")
class CustomerBookings(MethodView):
    @authenticated()
    @consumer_blp.doc(security=TOKEN_SECURITY)
    @consumer_blp.response(200, CustomerBookingSchema(many=True))
    @consumer_blp.problems(401)
    def get(self):
        """Your bookings, latest appointment first"""
        return queries.customer_bookings(consumer_user())

    @authenticated()
    @consumer_blp.doc(security=TOKEN_SECURITY)
    @consumer_blp.arguments(BookingHoldSchema)
    @consumer_blp.response(201, CustomerBookingSchema)
    @consumer_blp.problems(401, 404, 409)
    def post(self, data):
        """Hold a free start for a few minutes while you confirm

        `hold_expires_at` says until when; confirm with `POST …/confirm`. 409 `slot_taken`
        (or `staff_busy`, `no_staff_free`, `no_resource_free`) when someone was faster; 422
        for a start the service does not offer (`slot_off_grid`, `store_closed`, …). A group
        service's places: 409 `session_full` (with `seats_left`) when fewer are left than the
        party.
        """
        setup = queries.public_service(data["listing_id"])
        with named_as(party="party_size"):
            store = queries.offering_store(setup, data["store_id"])
            booking = bookings.hold(setup, store, data["start"], customer=consumer_user(),
                                    party=data.get("party_size", setup.party_min),
                                    staff_id=data.get("staff_id"), note=data.get("note"))
        db.session.commit()
        notify()
        return booking


@consumer_blp.route("/bookings/<reference>")
class CustomerBooking(MethodView):
    @authenticated()
    @consumer_blp.doc(security=TOKEN_SECURITY)
    @consumer_blp.response(200, CustomerBookingSchema)
    @consumer_blp.problems(401, 404)
    def get(self, reference):
        """One of your bookings, with its ticket once confirmed"""
        return queries.customer_booking(consumer_user(), reference)


@consumer_blp.route("/bookings/<reference>/confirm")
class CustomerConfirm(MethodView):
    @authenticated()
    @consumer_blp.doc(security=TOKEN_SECURITY)
    @consumer_blp.response(200, CustomerBookingSchema)
    @consumer_blp.problems(401, 404, 409)
    def post(self, reference):
        """Confirm your held booking (you pay at the store); the ticket is issued

        A lapsed hold whose time someone else took is 409 `slot_taken`.
        """
        user = consumer_user()
        booking = bookings.confirm(queries.customer_booking(user, reference), customer=user)
        db.session.commit()
        notify()
        return booking


@consumer_blp.route("/bookings/<reference>/payment")
class CustomerPayment(MethodView):
    @authenticated()
    @consumer_blp.doc(security=TOKEN_SECURITY)
    @consumer_blp.arguments(BookingPaySchema)
    @consumer_blp.response(201, BookingPaymentSchema)
    @consumer_blp.problems(401, 404, 422)
    def post(self, data, reference):
        """Pay ahead for your held booking (a deposit or the price, as the service asks)

        Places the order that pays for it and keeps the time while the payment can come
        (`ORDER_PAYMENT_MINUTES`); paid, the booking is confirmed and its ticket issued.
        Choosing again replaces an order still waiting. A service paid at the store is 422.
        """
        user = consumer_user()
        found = queries.customer_booking(user, reference)
        order = prepay.start(bookings.lock(found), data["payment_provider"], customer=user,
                             now=utcnow())
        db.session.commit()
        notify()
        return {"order_number": order.number, "checkout_id": order.checkout_id,
                "amount": order.total, "currency": order.currency,
                "pay_url": prepay.pay_url(order)}


@consumer_blp.route("/bookings/<reference>/cancel")
class CustomerCancel(MethodView):
    @authenticated()
    @consumer_blp.doc(security=TOKEN_SECURITY)
    @consumer_blp.arguments(BookingCancelSchema)
    @consumer_blp.response(200, CustomerBookingSchema)
    @consumer_blp.problems(401, 404, 409, 422)
    def post(self, data, reference):
        """Cancel your booking: a confirmed one until the service's cut-off (then 422
        `past_cutoff`: call the store)

        Money paid ahead goes back. After the cut-off a booking paid ahead may still be
        cancelled with `forfeit: true`, leaving that money to the shop (without it: 422
        `past_cutoff` on `forfeit`, saying how much).
        """
        user = consumer_user()
        booking = bookings.cancel(queries.customer_booking(user, reference),
                                  actor=Actor.customer(user), by_customer=True,
                                  reason=data.get("reason"), forfeit=data["forfeit"])
        db.session.commit()
        notify()
        return booking


@consumer_blp.route("/bookings/<reference>/reschedule")
class CustomerReschedule(MethodView):
    @authenticated()
    @consumer_blp.doc(security=TOKEN_SECURITY)
    @consumer_blp.arguments(BookingRescheduleSchema)
    @consumer_blp.response(200, CustomerBookingSchema)
    @consumer_blp.problems(401, 404, 409)
    def post(self, data, reference):
        """Move your confirmed booking to another free start, until the service's cut-off

        The staff member you chose stays yours unless you name another. All or nothing: if
        the new time is taken (409) you keep the old one.
        """
        user = consumer_user()
        booking = bookings.reschedule(queries.customer_booking(user, reference), data["start"],
                                      actor=Actor.customer(user), by_customer=True,
                                      staff_id=data.get("staff_id"))
        db.session.commit()
        notify()
        return booking
