"""Merchant A's token never reaches merchant B's data: every id-taking route answers 404.

The test walks the app's URL map, so a new route with an id fails here until it is added to
``REQUESTS`` (and so is checked too).
"""

from __future__ import annotations

import io
import itertools
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.accounts import services as accounts
from marketplace.catalog import services as catalog
from marketplace.extensions import db as _db
from marketplace.merchants import services as merchants
from marketplace.posters import services as posters
from marketplace.stores import services as stores
from tests.support.payouts import a_payout


def png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 120, 255)).save(out, format="PNG")
    out.seek(0)
    return out


# (method, rule) → keyword arguments of a request that would succeed on one's own ids.
REQUESTS = {
    ("GET", "/api/v1/orders/<int:order_id>"): {},
    ("POST", "/api/v1/orders/<int:order_id>/events"): {"json": {"event": "prepare"}},
    ("POST", "/api/v1/orders/<int:order_id>/payment"): {"json": {"amount": 1}},
    ("POST", "/api/v1/orders/<int:order_id>/returns"): {"json": {
        "store_id": 1, "lines": [{"line_id": 1, "quantity": 1, "condition": "damaged"}],
        "reason": "x"}},
    ("GET", "/api/v1/stores/<int:store_id>"): {},
    ("PATCH", "/api/v1/stores/<int:store_id>"): {"json": {"phone": "0999 999 999"}},
    ("PUT", "/api/v1/stores/<int:store_id>/hours"): {"json": {"hours": []}},
    ("GET", "/api/v1/stores/<int:store_id>/exceptions"): {},
    ("POST", "/api/v1/stores/<int:store_id>/exceptions"): {"json": {"date": "2031-01-01"}},
    ("DELETE", "/api/v1/stores/<int:store_id>/exceptions/<int:exception_id>"): {},
    ("GET", "/api/v1/listings/<int:listing_id>"): {},
    ("PATCH", "/api/v1/listings/<int:listing_id>"): {"json": {"title": "Bị đổi"}},
    ("POST", "/api/v1/listings/<int:listing_id>/transitions"): {"json": {"event": "archive"}},
    ("POST", "/api/v1/listings/<int:listing_id>/variants"): {
        "json": {"sku": "INTRUDER", "price": 1}},
    ("PATCH", "/api/v1/listings/<int:listing_id>/variants/<int:variant_id>"): {
        "json": {"price": 1}},
    ("DELETE", "/api/v1/listings/<int:listing_id>/variants/<int:variant_id>"): {},
    ("POST", "/api/v1/listings/<int:listing_id>/images"): {
        "data": lambda: {"image": (png(), "x.png")}, "content_type": "multipart/form-data"},
    ("DELETE", "/api/v1/listings/<int:listing_id>/images/<int:image_id>"): {},
    ("PATCH", "/api/v1/staff/<int:membership_id>"): {"json": {"role": "manager"}},
    ("DELETE", "/api/v1/staff/<int:membership_id>"): {},
    ("DELETE", "/api/v1/invitations/<int:invitation_id>"): {},
    ("DELETE", "/api/v1/tokens/<int:token_id>"): {},
    ("GET", "/api/v1/payouts/<int:payout_id>"): {},
    ("GET", "/api/v1/payouts/<int:payout_id>/entries"): {},
    ("GET", "/api/v1/posters/<int:poster_id>"): {},
    ("GET", "/api/v1/campaigns/<int:campaign_id>/funnel"): {},
    ("GET", "/api/v1/campaigns/<int:campaign_id>"): {},
    ("PATCH", "/api/v1/campaigns/<int:campaign_id>"): {"json": {"name": "Bị đổi"}},
    ("POST", "/api/v1/campaigns/<int:campaign_id>/transitions"): {"json": {"event": "end"}},
    ("GET", "/api/v1/campaigns/<int:campaign_id>/vouchers"): {},
    ("POST", "/api/v1/campaigns/<int:campaign_id>/vouchers/<int:voucher_id>/cancel"): {
        "json": {"reason": "x"}},
    # The appointments plugin (booking_appointments), enabled for both merchants.
    ("GET", "/api/v1/booking/services/<int:listing_id>"): {},
    ("PUT", "/api/v1/booking/services/<int:listing_id>"): {"json": {"lead_minutes": 30}},
    ("GET", "/api/v1/booking/resources/<int:resource_id>"): {},
    ("PATCH", "/api/v1/booking/resources/<int:resource_id>"): {"json": {"name": "Bị đổi"}},
    ("PUT", "/api/v1/booking/resources/<int:resource_id>/hours"): {"json": {"hours": []}},
    ("GET", "/api/v1/booking/resources/<int:resource_id>/blocks"): {},
    ("POST", "/api/v1/booking/resources/<int:resource_id>/blocks"): {"json": {
        "starts_at": "2031-03-01T09:00:00+07:00", "ends_at": "2031-03-01T12:00:00+07:00"}},
    ("DELETE", "/api/v1/booking/blocks/<int:block_id>"): {},
    ("GET", "/api/v1/booking/bookings/<int:booking_id>"): {},
    ("POST", "/api/v1/booking/bookings/<int:booking_id>/transitions"): {
        "json": {"event": "cancel"}},
    ("POST", "/api/v1/booking/bookings/<int:booking_id>/reschedule"): {
        "json": lambda: {"start": _booked_at(14).isoformat()}},
    # Deliveries (marketplace/api/shipments.py).
    ("GET", "/api/v1/merchant/shipments/<int:shipment_id>"): {},
    ("POST", "/api/v1/merchant/shipments/<int:shipment_id>/events"): {
        "json": {"event": "pick_up"}},
    ("PUT", "/api/v1/merchant/shipments/<int:shipment_id>/courier"): {
        "json": {"courier_user_id": None}},
    ("PUT", "/api/v1/merchant/shipments/<int:shipment_id>/return-store"): {
        "json": {"store_id": None}},
}

# URL parameters that name another object than the one ``build_merchant`` keeps under that
# name: the booking plugin's services are listings of kind service (the listing is a product).
ID_KEYS = {"/api/v1/booking/services/<int:listing_id>": {"listing_id": "service_listing_id"}}


def id_of(owner: dict, rule, name: str):
    return owner[ID_KEYS.get(rule.rule, {}).get(name, name)]


def build_merchant(make_merchant, make_store, make_listing, make_member, owner_of, app, admin):
    """A merchant with one of everything an API route can name by id."""
    merchant = make_merchant()
    owner = owner_of(merchant)
    store = make_store(merchant)
    exception = stores.set_exception(store, {"date": date(2031, 2, 1), "note": "Nghỉ"})
    listing = make_listing(merchant, publish=False, variants=[
        {"sku": f"{merchant.slug}-A", "price": 100000},
        {"sku": f"{merchant.slug}-B", "price": 120000}])
    with app.test_request_context():
        image = catalog.add_image(listing, png())
    member = make_member(merchant, role="staff")
    invitation, _secret = merchants.invite_staff(merchant, actor=owner, email=
                                                 f"invitee@{merchant.slug}.vn", role="staff",
                                                 ttl_hours=72)
    token, _plaintext = accounts.create_token(user=owner.user, merchant_id=merchant.id,
                                              name="kho")
    order = _an_order(merchant, make_store, make_listing, owner.user)
    payout = a_payout(merchant, order, admin)
    poster = posters.create_poster(merchant, {"target": "store", "target_id": store.id,
                                              "store_id": store.id})
    campaign, voucher = _a_campaign(merchant, owner.user)
    bookings = _a_booking(merchant, make_store, make_listing, owner.user)
    shipment = _a_shipment(merchant, make_store, make_listing, owner.user)
    _db.session.flush()
    return {"merchant": merchant, "store_id": store.id, "exception_id": exception.id,
            "listing_id": listing.id, "variant_id": listing.variants[1].id,
            "image_id": image.id, "membership_id": member.id,
            "invitation_id": invitation.id, "token_id": token.id, "order_id": order.id,
            "payout_id": payout.id, "poster_id": poster.id, "campaign_id": campaign.id,
            "voucher_id": voucher.id, "shipment_id": shipment.id, **bookings}


def _an_order(merchant, make_store, make_listing, buyer):
    from marketplace.plugins import services as plugin_services
    from tests.support.shopping import PAY_AT_STORE, buy, pickup_choice, slot_at, stock

    plugin_services.set_enabled(merchant, PAY_AT_STORE, True)
    store = make_store(merchant, pickup_enabled=True)
    listing = make_listing(merchant)
    stock(store, listing.variants[0], 5)
    return buy(buyer, [(listing.variants[0], 1)],
               [pickup_choice(merchant, store, slot_at(store))]).orders[0]


def _a_shipment(merchant, make_store, make_listing, buyer):
    from marketplace.delivery.shipments import create_shipment
    from marketplace.plugins import DeliveryQuote
    from tests.support.shopping import NOW

    order = _an_order(merchant, make_store, make_listing, buyer)
    quote = DeliveryQuote(carrier="walker", service="same_day", label="Same day", fee=20000,
                          currency="VND", window_start=NOW, window_end=NOW + timedelta(hours=4),
                          cash_on_delivery=False)
    return create_shipment(order, quote, address={
        "recipient_name": "Bình", "phone": "0901 234 567", "line": "12 Nguyễn Huệ",
        "district": "Quận 1", "city": "Hồ Chí Minh", "latitude": 10.77, "longitude": 106.70})


def _a_campaign(merchant, user):
    from tests.support.vouchers import claimed, running_campaign

    campaign = running_campaign(merchant, user)
    voucher, _code = claimed(campaign, user)
    return campaign, voucher


def _booked_at(hour: int):
    """A time two days ahead by the real clock: the API books by its own clock."""
    from tests.support.salon import at, days_ahead

    return at(hour, day=days_ahead(2))


def _a_booking(merchant, make_store, make_listing, customer) -> dict:
    """A bookable service, a staff member with a day off, and a confirmed booking."""
    from marketplace.plugins import services as plugin_services
    from tests.support.salon import NINE_TO_SIX, PLUGIN, booking_module

    setup, bookings = booking_module("setup"), booking_module("booking")
    plugin_services.set_enabled(merchant, PLUGIN, True)
    store = make_store(merchant, hours=NINE_TO_SIX)
    listing = make_listing(merchant, kind="service", title="Cắt tóc", duration_minutes=60,
                           price=120000)
    service = setup.configure_service(listing, {"store_ids": [store.id]})
    staff = setup.create_resource(merchant.id, {"store_id": store.id, "name": "Chị Hoa",
                                                "service_ids": [service.id]})
    block = setup.add_block(staff, _booked_at(9) + timedelta(days=20),
                            _booked_at(12) + timedelta(days=20), reason="Nghỉ",
                            actor_id=customer.id)
    booking = bookings.confirm(bookings.hold(service, store, _booked_at(10), customer=customer),
                               customer=customer)
    return {"service_listing_id": listing.id, "resource_id": staff.id, "block_id": block.id,
            "booking_id": booking.id}


def snapshot(ids: dict) -> dict:
    """Everything the requests above could change, read fresh from the database."""
    from marketplace.accounts.models import PersonalAccessToken
    from marketplace.catalog.models import Listing, ListingImage, Variant
    from marketplace.merchants.models import Invitation, Membership
    from marketplace.orders.models import Order
    from marketplace.settlement.models import Payout
    from marketplace.stores.models import Store, StoreException
    from marketplace.vouchers.models import Campaign, Voucher

    _db.session.expire_all()
    store = _db.session.get(Store, ids["store_id"])
    listing = _db.session.get(Listing, ids["listing_id"])
    return {
        "store": (store.phone, len(store.hours), [e.date for e in store.exceptions]),
        "exception": _db.session.get(StoreException, ids["exception_id"]) is not None,
        "listing": (listing.title, listing.status,
                    sorted((v.sku, v.price, v.is_active) for v in listing.variants)),
        "variant": _db.session.get(Variant, ids["variant_id"]).price,
        "image": _db.session.get(ListingImage, ids["image_id"]) is not None,
        "membership": _db.session.get(Membership, ids["membership_id"]).role,
        "invitation": _db.session.get(Invitation, ids["invitation_id"]).revoked_at,
        "token": _db.session.get(PersonalAccessToken, ids["token_id"]).revoked_at,
        "order": _db.session.get(Order, ids["order_id"]).state,
        "payout": _db.session.get(Payout, ids["payout_id"]).state,
        "campaign": (_db.session.get(Campaign, ids["campaign_id"]).name,
                     _db.session.get(Campaign, ids["campaign_id"]).state),
        "voucher": _db.session.get(Voucher, ids["voucher_id"]).state,
        "shipment": _shipment_snapshot(ids["shipment_id"]),
        **_booking_snapshot(ids),
    }


def _shipment_snapshot(shipment_id: int) -> tuple:
    from marketplace.delivery.models import Shipment

    shipment = _db.session.get(Shipment, shipment_id)
    return (shipment.state, shipment.courier_user_id, shipment.return_store_id,
            len(shipment.events))


def _booking_snapshot(ids: dict) -> dict:
    from tests.support.salon import booking_module

    models = booking_module("models")
    service = _db.session.scalars(sa.select(models.ServiceSetup).where(
        models.ServiceSetup.listing_id == ids["service_listing_id"])).one()
    resource = _db.session.get(models.Resource, ids["resource_id"])
    booking = _db.session.get(models.Booking, ids["booking_id"])
    return {
        "service": service.lead_minutes,
        "resource": (resource.name, len(resource.hours)),
        "blocks": sorted(b.starts_at for b in _db.session.scalars(sa.select(models.Block).where(
            models.Block.resource_id == resource.id))),
        "booking": (booking.state, booking.starts_at, booking.staff_id),
    }


@pytest.fixture
def two_merchants(app, db, make_merchant, make_store, make_listing, make_member, owner_of,
                  api_token, admin_user):
    mine = build_merchant(make_merchant, make_store, make_listing, make_member, owner_of, app,
                          admin_user)
    theirs = build_merchant(make_merchant, make_store, make_listing, make_member, owner_of, app,
                            admin_user)
    db.session.commit()
    token = api_token(owner_of(mine["merchant"]))
    db.session.commit()
    return mine, theirs, {"Authorization": f"Bearer {token}"}


def id_routes(app):
    for rule in app.url_map.iter_rules():
        # Public catalogue and search routes, and the consumer's own (test_api_consumer).
        if not rule.rule.startswith("/api/v1/") or rule.rule.startswith(
                ("/api/v1/catalog/", "/api/v1/search/", "/api/v1/consumer/")):
            continue
        # Ids only: a plugin's name is not a merchant's row (its rows hang off the token's
        # merchant, tested in test_plugin_pages).
        names = sorted(a for a in rule.arguments if f"<int:{a}>" in rule.rule)
        if names:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule, names


def test_every_id_taking_route_is_covered(app):
    routes = {(method, rule.rule) for method, rule, _names in id_routes(app)}
    assert routes == set(REQUESTS), "add new id-taking API routes to REQUESTS"


def test_other_merchants_ids_are_404(app, client, two_merchants):
    mine, theirs, headers = two_merchants
    before = (snapshot(mine), snapshot(theirs))
    checked = 0
    for method, rule, names in id_routes(app):
        kwargs = REQUESTS[(method, rule.rule)]
        # Every mix of owners but "all mine": B's listing with A's variant is as foreign as
        # A's listing with B's variant.
        for owners in itertools.product((mine, theirs), repeat=len(names)):
            if all(owner is mine for owner in owners):
                continue
            url = rule.rule
            for name, owner in zip(names, owners, strict=True):
                url = url.replace(f"<int:{name}>", str(id_of(owner, rule, name)))
            request = {k: (v() if callable(v) else v) for k, v in kwargs.items()}
            response = client.open(url, method=method, headers=headers, **request)
            assert response.status_code == 404, (method, url, response.get_data(as_text=True))
            assert response.mimetype == "application/problem+json"
            assert response.get_json()["code"] == "not_found"
            checked += 1
    assert checked >= 24
    assert (snapshot(mine), snapshot(theirs)) == before


def test_the_same_requests_work_on_ones_own_ids(app, client, two_merchants):
    """The 404s above are about ownership, not about malformed requests."""
    mine, _theirs, headers = two_merchants
    for method, rule, names in id_routes(app):
        if method == "DELETE" or rule.rule.endswith(("/transitions", "/returns", "/payment")):
            continue  # destructive or state-dependent; covered by each domain's tests
        url = rule.rule
        for name in names:
            url = url.replace(f"<int:{name}>", str(id_of(mine, rule, name)))
        kwargs = REQUESTS[(method, rule.rule)]
        request = {k: (v() if callable(v) else v) for k, v in kwargs.items()}
        response = client.open(url, method=method, headers=headers, **request)
        assert response.status_code in (200, 201), (method, url, response.get_json())


HUGE = 10**20  # more than any id column (or SQLite's integers) can hold


def test_absurd_numbers_are_client_errors(app, client, two_merchants):
    mine, _theirs, headers = two_merchants
    for method, rule, names in id_routes(app):
        url = rule.rule
        for name in names:
            url = url.replace(f"<int:{name}>", str(HUGE))
        kwargs = REQUESTS[(method, rule.rule)]
        request = {k: (v() if callable(v) else v) for k, v in kwargs.items()}
        response = client.open(url, method=method, headers=headers, **request)
        assert response.status_code == 404, (method, url, response.status_code)
    for url in (f"/api/v1/catalog/listings/{HUGE}", f"/api/v1/catalog/stores/{HUGE}",
                f"/api/v1/search/listings/{HUGE}/nearby"):
        assert client.get(url).status_code == 404, url
    for url in (f"/api/v1/stock?store_id={HUGE}", f"/api/v1/stock/movements?before_id={HUGE}"):
        assert client.get(url, headers=headers).status_code == 422, url
    listing = f"/api/v1/listings/{mine['listing_id']}"
    for method, url, body in [
        ("POST", "/api/v1/stock/adjustments", {"store_id": HUGE, "variant_id": 1, "delta": 1,
                                               "reason": "receipt"}),
        ("POST", f"{listing}/variants", {"sku": "BIG", "price": HUGE}),
        ("PATCH", f"{listing}/variants/{mine['variant_id']}", {"compare_at_price": HUGE}),
        ("POST", "/api/v1/invitations", {"email": "x@example.vn", "role": "staff",
                                         "store_ids": [HUGE]}),
        ("PATCH", f"/api/v1/staff/{mine['membership_id']}", {"store_ids": [HUGE]}),
    ]:
        response = client.open(url, method=method, headers=headers, json=body)
        assert response.status_code == 422, (method, url, response.get_data(as_text=True))


def test_a_plugin_cannot_replace_the_cores_lookup_of_a_url_id():
    from marketplace.api.blueprint import ApiBlueprint

    with pytest.raises(ValueError, match="store_id"):
        ApiBlueprint("sneaky_api", __name__, url_loaders={
            "store_id": ("store", lambda _caller, value, _found: value)})
    assert ApiBlueprint("fair_api", __name__, url_loaders={
        "thing_id": ("thing", lambda _caller, value, _found: value)}).url_loaders
