"""What the booking API reads and answers. Instants are ISO 8601 with an offset in (a time
without one is ambiguous: 422) and UTC out; the services check everything else and name the
offending field themselves."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields, pre_dump, validate

from marketplace.api.schemas.common import ID, Annotated, WeeklyIntervalSchema
from marketplace.api.schemas.orders import MONEY

from . import prepay
from .setup import PAYMENT_POLICIES, SERVICE_NUMBERS
from .states import BookingState


class Instant(fields.AwareDateTime):
    """An ISO 8601 instant with its offset, read as UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)


_NUMBERS = {name: (low, high, default) for name, low, high, default in SERVICE_NUMBERS}


def _number(name: str, what: str) -> fields.Integer:
    low, high, default = _NUMBERS[name]
    return fields.Integer(strict=True, metadata={
        "description": f"{what} {low}–{high}; {default} for a new service when left out."})


# --- services -------------------------------------------------------------------------------

class BookingServiceSchema(Schema):
    id = fields.Integer(metadata={"description": "The booking setup's id (resources name "
                                                 "their services by it)."})
    listing_id = fields.Integer()
    title = fields.Function(lambda s: s.listing.title, metadata={"type": "string"})
    duration_minutes = fields.Function(lambda s: s.listing.duration_minutes,
                                       metadata={"type": "integer",
                                                 "description": "The listing's duration."})
    buffer_before_minutes = fields.Integer()
    buffer_after_minutes = fields.Integer()
    step_minutes = fields.Integer()
    lead_minutes = fields.Integer()
    horizon_days = fields.Integer()
    needs_staff = fields.Boolean()
    needs_resource = fields.Boolean()
    party_min = fields.Integer()
    party_max = fields.Integer()
    seats = fields.Integer(metadata={"description": "Places per session; more than 1: a group "
                                                    "service (a class, a tour)."})
    cancel_cutoff_hours = fields.Integer()
    reschedule_cutoff_hours = fields.Integer()
    is_active = fields.Boolean()
    payment = fields.String(metadata={"enum": list(PAYMENT_POLICIES)})
    deposit_amount = fields.Integer(allow_none=True, metadata=MONEY)
    store_ids = fields.Function(lambda s: [store.id for store in s.stores],
                                metadata={"type": "array", "items": {"type": "integer"}})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class BookingServiceSetupSchema(Schema):
    """How a service is booked; the fields left out keep their value."""

    buffer_before_minutes = _number("buffer_before_minutes",
                                    "Minutes kept free before it (preparing the room).")
    buffer_after_minutes = _number("buffer_after_minutes",
                                   "Minutes kept free after it (tidying up).")
    step_minutes = _number("step_minutes", "Minutes between offered starts.")
    lead_minutes = _number("lead_minutes", "Minutes' notice a booking needs.")
    horizon_days = _number("horizon_days", "Days ahead it can be booked.")
    party_min = _number("party_min", "The smallest party.")
    party_max = _number("party_max", "The largest party (at most `seats` for a group "
                                     "service).")
    seats = _number("seats", "Places per session: more than 1 makes a group service (a "
                             "class, a tour, a workshop) whose customers share each start, "
                             "each party taking its places; its room must hold them all.")
    cancel_cutoff_hours = _number("cancel_cutoff_hours",
                                  "The customer may cancel until this many hours before.")
    reschedule_cutoff_hours = _number("reschedule_cutoff_hours",
                                      "The customer may move it until this many hours before.")
    needs_staff = fields.Boolean(metadata={"description": "A staff member serves it "
                                                          "(default true)."})
    needs_resource = fields.Boolean(metadata={"description": "It takes a room, chair or "
                                                             "table (default false)."})
    is_active = fields.Boolean()
    store_ids = fields.List(fields.Integer(validate=ID), metadata={
        "description": "The stores that offer it (replaces the list)."})
    payment = fields.String(validate=validate.OneOf(PAYMENT_POLICIES), metadata={
        "description": "What the customer pays online when booking: `at_store` (nothing), "
                       "`deposit` (`deposit_amount`) or `full` (the price). A late "
                       "cancellation or a no-show keeps it."})
    deposit_amount = fields.Integer(strict=True, allow_none=True, metadata={
        **MONEY, "description": "The deposit, below the price (minor units)."})


# --- resources, hours, blocks -----------------------------------------------------------------

class BookingResourceSchema(Schema):
    id = fields.Integer()
    store_id = fields.Integer()
    kind = fields.String(metadata={"enum": ["staff", "room", "table"]})
    name = fields.String()
    capacity = fields.Integer(metadata={"description": "People it serves at once."})
    user_id = fields.Integer(allow_none=True, metadata={
        "description": "The team member this staff member is (sees their own calendar)."})
    is_active = fields.Boolean()
    service_ids = fields.Function(lambda r: sorted(s.id for s in r.services),
                                  metadata={"type": "array", "items": {"type": "integer"}})
    hours = fields.List(fields.Nested(WeeklyIntervalSchema), metadata={
        "description": "Staff: weekly working hours, local to the store; none means whenever "
                       "the store is open."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class BookingResourceUpdateSchema(Schema):
    """Only the fields sent change."""

    name = fields.String()
    kind = fields.String(metadata={"description": "staff, room or table; kept once created."})
    capacity = fields.Integer(strict=True)
    user_id = fields.Integer(allow_none=True, validate=ID)
    is_active = fields.Boolean()
    service_ids = fields.List(fields.Integer(validate=ID), metadata={
        "description": "The services it serves (`id` of a booking service, not the "
                       "listing's); replaces the list."})


class BookingResourceCreateSchema(BookingResourceUpdateSchema):
    store_id = fields.Integer(required=True, validate=ID)
    name = fields.String(required=True)
    kind = fields.String(load_default="staff", metadata={"enum": ["staff", "room", "table"]})


class BookingResourceQuerySchema(Schema):
    store = fields.Integer(validate=ID, metadata={"description": "Only this store's."})


class BookingHoursSchema(Schema):
    hours = fields.List(fields.Nested(WeeklyIntervalSchema), required=True, metadata={
        "description": "Replaces the weekly working hours; an empty list means whenever the "
                       "store is open."})


class BookingBlockSchema(Schema):
    id = fields.Integer()
    resource_id = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    reason = fields.String()
    created_at = fields.DateTime()


class BookingBlockCreateSchema(Schema):
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    reason = fields.String(validate=validate.Length(max=200))


# --- bookings ---------------------------------------------------------------------------------

class BookingNamedSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class BookingSchema(Schema):
    """A booking as the merchant's staff see it."""

    id = fields.Integer()
    reference = fields.String()
    state = fields.String(metadata={"enum": [s.value for s in BookingState]})
    store_id = fields.Integer()
    service_id = fields.Integer()
    listing_id = fields.Function(lambda b: b.service.listing_id,
                                 metadata={"type": "integer"})
    title = fields.Function(lambda b: b.service.listing.title, metadata={"type": "string"})
    customer_name = fields.Function(lambda b: b.customer.full_name, metadata={"type": "string"})
    customer_phone = fields.Function(lambda b: b.customer.phone,
                                     metadata={"type": ["string", "null"]})
    party_size = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    hold_expires_at = fields.DateTime(allow_none=True)
    staff = fields.Nested(BookingNamedSchema, allow_none=True)
    resource = fields.Nested(BookingNamedSchema, allow_none=True)
    staff_requested = fields.Boolean(metadata={"description": "The customer chose this "
                                                              "staff member."})
    session_id = fields.Integer(allow_none=True, metadata={
        "description": "A group service's booking: the session it has its places in (its "
                       "bookings share `staff` and `resource`)."})
    price = fields.Integer(metadata=MONEY)
    currency = fields.String()
    note = fields.String()
    cancel_reason = fields.String(allow_none=True)
    reschedules = fields.Integer()
    confirmed_at = fields.DateTime(allow_none=True)
    checked_in_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    paid_ahead = fields.Function(prepay.paid_total, metadata={
        **MONEY, "description": "Paid online and not given back."})
    order_number = fields.Function(lambda b: b.order.number if b.order else None,
                                   metadata={"type": ["string", "null"], "description":
                                             "The order paying ahead for it, if any."})


class BookingCalendarQuerySchema(Schema):
    store = fields.Integer(validate=ID, metadata={"description": "The store's calendar."})
    staff = fields.Integer(validate=ID, metadata={
        "description": "A staff member's calendar (a resource id of kind staff)."})
    date = fields.Date(metadata={"description": "The store's local date (default: today)."})
    state = fields.String(validate=validate.OneOf([s.value for s in BookingState]))


class BookingTransitionSchema(Schema):
    event = fields.String(required=True, validate=validate.OneOf(
        ["check_in", "complete", "no_show", "cancel"]))
    reason = fields.String(validate=validate.Length(max=200), metadata={
        "description": "cancel: why (the customer sees it)."})


class BookingRescheduleSchema(Schema):
    start = Instant(required=True, metadata={"description": "An offered start (ISO 8601 "
                                                            "with offset)."})
    staff_id = fields.Integer(validate=ID, metadata={
        "description": "Another staff member (default: the one the customer chose, or "
                       "whoever is free)."})


# --- the consumer's side ----------------------------------------------------------------------

class AvailabilityQuerySchema(Schema):
    store = fields.Integer(required=True, validate=ID)
    date = fields.Date(required=True, metadata={"description": "The store's local date."})
    staff = fields.Integer(validate=ID, metadata={"description": "Only this staff member's "
                                                                 "free times."})
    party = fields.Integer(validate=validate.Range(min=1, max=500), metadata={
        "description": "People (default: the service's smallest party)."})


class ServiceStoresQuerySchema(Schema):
    lat = fields.Float(validate=validate.Range(min=-90, max=90),
                       metadata={"description": "The customer's latitude (with `lng`)."})
    lng = fields.Float(validate=validate.Range(min=-180, max=180),
                       metadata={"description": "The customer's longitude (with `lat`)."})


class ServiceStoreSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    timezone = fields.String()
    distance_km = fields.Float(allow_none=True, metadata={
        "description": "From the position sent; null without one."})


class AvailableSlotSchema(Schema):
    start = fields.DateTime()
    end = fields.DateTime()
    staff_ids = fields.List(fields.Integer(), metadata={
        "description": "The staff members free then, by id (see `staff`); empty if the "
                       "service needs none. A group session's: its instructor."})
    seats_left = fields.Integer(allow_none=True, metadata={
        "description": "A group service: the places left in the session at this start (all "
                       "of them for a session nobody booked yet); null otherwise."})


class AvailabilitySchema(Schema):
    # The names once, the ids per slot: a busy day has dozens of slots and as many people.
    staff = fields.List(fields.Nested(BookingNamedSchema), metadata={
        "description": "Who performs the service at this store."})
    slots = fields.List(fields.Nested(AvailableSlotSchema))


class BookingHoldSchema(Schema):
    listing_id = fields.Integer(required=True, validate=ID)
    store_id = fields.Integer(required=True, validate=ID)
    start = Instant(required=True, metadata={"description": "A `start` from the "
                                                            "availability."})
    party_size = fields.Integer(validate=validate.Range(min=1, max=500), metadata={
        "description": "People (default: the service's smallest party)."})
    staff_id = fields.Integer(validate=ID, metadata={"description": "A chosen staff member "
                                                                    "(default: anyone free)."})
    note = fields.String(validate=validate.Length(max=500))


class BookingCancelSchema(Schema):
    reason = fields.String(validate=validate.Length(max=200))
    forfeit = fields.Boolean(load_default=False, metadata={
        "description": "After the free-cancellation cut-off of a booking paid ahead: cancel "
                       "anyway, leaving the money paid ahead to the shop."})


class BookingPaySchema(Schema):
    payment_provider = fields.String(required=True, metadata={
        "description": "One of the shop's online ways to pay (`ways_to_pay` of the booking)."})


class BookingPaymentSchema(Schema):
    order_number = fields.String(metadata={"description": "The order paying ahead."})
    checkout_id = fields.Integer(metadata={
        "description": "Pay it with the provider's own API (a card: "
                       "`/api/v1/consumer/checkouts/<checkout_id>/card-payment`)."})
    amount = fields.Integer(metadata=MONEY)
    currency = fields.String()
    pay_url = fields.String(metadata={"description": "The web page where the customer pays."})


class BookingTicketSchema(Schema):
    code = fields.String(metadata={"description": "Say or type it at the counter."})
    qr = fields.String(metadata={"description": "What the QR image holds."})
    valid_until = fields.DateTime()


class BookingStoreSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    timezone = fields.String()


class CustomerBookingSchema(Schema):
    """One of the customer's bookings."""

    reference = fields.String()
    state = fields.String(metadata={"enum": [s.value for s in BookingState]})
    listing_id = fields.Function(lambda b: b.service.listing_id,
                                 metadata={"type": "integer"})
    title = fields.Function(lambda b: b.service.listing.title, metadata={"type": "string"})
    store = fields.Nested(BookingStoreSchema)
    party_size = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    hold_expires_at = fields.DateTime(allow_none=True, metadata={
        "description": "Held: confirm before this, or the time is given to others."})
    staff = fields.Nested(BookingNamedSchema, allow_none=True)
    price = fields.Integer(metadata=MONEY)
    currency = fields.String()
    note = fields.String()
    cancel_reason = fields.String(allow_none=True)
    reschedules = fields.Integer()
    confirmed_at = fields.DateTime(allow_none=True)
    checked_in_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    ticket = fields.Nested(BookingTicketSchema, allow_none=True, metadata={
        "description": "Confirmed: the code to show at the counter."})
    due_ahead = fields.Function(lambda b: prepay.due_ahead(b.service, b.price), metadata={
        **MONEY, "description": "Paid online to confirm (a deposit or the price); 0: "
                                "everything is paid at the store."})
    paid_ahead = fields.Function(prepay.paid_total, metadata={
        **MONEY, "description": "Paid online and not given back."})
    to_pay_at_store = fields.Function(prepay.price_left, metadata=MONEY)
    order_number = fields.Function(lambda b: b.order.number if b.order else None,
                                   metadata={"type": ["string", "null"]})
    ways_to_pay = fields.Function(
        lambda b: [p.identifier for p in prepay.ways_to_pay(b)] if b.state == "held"
        and prepay.asks_payment(b) else [],
        metadata={"type": "array", "items": {"type": "string"}, "description":
                  "Held and paid ahead: the `payment_provider`s to choose from."})

    @pre_dump
    def _ticket(self, booking, **_kwargs):
        from .queries import ticket

        return Annotated(booking, ticket=ticket(booking) if booking.state == "confirmed"
                         else None)
