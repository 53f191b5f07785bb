"""The delivery pages: a customer's saved addresses, the order page's "Delivery" section and
the tracking page, and the merchant dashboard's deliveries (list, one shipment, its actions,
its rider, its return store). Someone else's address, parcel or shipment is 404; a refused
form shows why next to its input and changes nothing.

Orders are pickup orders of the checkout tests' shop with a shipment made by
``shipments.create_shipment``, as tests/integration/test_shipments.py does: the pages do not
care how the order was placed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.delivery import addresses
from marketplace.delivery import shipments as ship
from marketplace.delivery.models import DeliveryAddress, Shipment, ShipmentEventRecord
from marketplace.extensions import db
from marketplace.inventory.models import StockLevel
from marketplace.plugins import Carrier, DeliveryQuote, TrackingUpdate
from marketplace.plugins.manager import current_platform
from tests.support.shopping import buy, pickup_choice, slot_at

pytestmark = pytest.mark.usefixtures("english")

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")
HOME = {"label": "Nhà", "recipient_name": "Trần Thị Bình", "phone": "0901 234 567",
        "line": "12 Nguyễn Huệ", "ward": "Bến Nghé", "district": "Quận 1",
        "city": "Hồ Chí Minh", "latitude": "10.7741", "longitude": "106.7038"}


class QuickCarrier(Carrier):
    """A carrier with a name, so the pages show its label rather than its identifier."""

    identifier = "quick_test"
    label = "Giao Nhanh Thử"

    def quote(self, request):
        return []

    def create_shipment(self, shipment):
        return "QT-1"

    def cancel(self, shipment):
        return None

    def track(self, shipment):
        return []

    def handle_webhook(self, request):
        return {}, 200


@pytest.fixture
def quick_carrier(app):
    registry = current_platform().carriers
    registry.register(QuickCarrier(), plugin="tests")
    yield registry.get("quick_test")
    registry.forget("tests")


def quote(**changes) -> DeliveryQuote:
    start = utcnow().replace(microsecond=0) + timedelta(hours=2)
    terms = {"carrier": "quick_test", "service": "same_day", "label": "Same day", "fee": 25000,
             "currency": "VND", "window_start": start, "window_end": start + timedelta(hours=3),
             "cash_on_delivery": True, "inspect_before_accept": True, "delivery_attempts": 2,
             "redelivery_fee": 10000}
    return DeliveryQuote(**(terms | changes))


class Parcel:
    def __init__(self, merchant, store, other, order, shipment, listing):
        self.merchant, self.store, self.other = merchant, store, other
        self.order, self.shipment, self.listing = order, shipment, listing

    @property
    def dash(self) -> str:
        return f"/dashboard/{self.merchant.slug}/deliveries"


@pytest.fixture
def make_parcel(db, selling_shop, buyer, quick_carrier):
    def factory(customer=None, *, cod=True, shop=None, **changes):
        """A parcel of a new shop's order (or of another order of ``shop``'s)."""
        merchant, (store, other), listing = shop or selling_shop()
        order = buy(customer or buyer, [(listing.variants[0], 2)],
                    [pickup_choice(merchant, store, slot_at(store))]).orders[0]
        shipment = ship.create_shipment(order, quote(**changes), address=HOME,
                                         cod_amount=order.total if cod else 0)
        db.session.commit()  # views roll back on errors: the set-up must survive that
        return Parcel(merchant, store, other, order, shipment, listing)

    return factory


@pytest.fixture
def parcel(make_parcel):
    return make_parcel()


@pytest.fixture
def english_pages(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def local(moment) -> str:
    """The hour and minute of a UTC instant in the store's zone (Hồ Chí Minh City, UTC+7),
    as the pages' short English pattern writes them."""
    return moment.astimezone(SAIGON).strftime("%-I:%M")


def saved(user) -> list[DeliveryAddress]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(DeliveryAddress).where(
        DeliveryAddress.user_id == user.id).order_by(DeliveryAddress.id)))


def fresh(shipment) -> Shipment:
    db.session.expire_all()
    return db.session.get(Shipment, shipment.id)


def on_hand(store, variant) -> int:
    db.session.expire_all()
    return db.session.scalars(sa.select(StockLevel.on_hand).where(
        StockLevel.store_id == store.id, StockLevel.variant_id == variant.id)).one()


def section(html: str, marker: str) -> str:
    return html[html.index(marker):]


# --- the customer's addresses -----------------------------------------------------------------

def test_a_customer_adds_edits_and_deletes_addresses(english_pages, login, buyer):
    assert 'href="/account/addresses"' not in text(english_pages.get("/"))
    client = login(buyer)
    empty = text(client.get("/account/addresses"))
    assert "No saved address yet." in empty
    for page in ("/", "/account"):  # the header links to it, once, themed page or not
        assert text(client.get(page)).count('href="/account/addresses">My addresses</a>') == 1
    form = text(client.get("/account/addresses/new"))
    for name in HOME:
        assert f'name="{name}"' in form, name
    added = client.post("/account/addresses/new", data=HOME)
    assert added.status_code == 303 and added.headers["Location"] == "/account/addresses"
    [address] = saved(buyer)
    assert (address.recipient_name, address.phone, address.ward) == (
        "Trần Thị Bình", "0901 234 567", "Bến Nghé")
    assert (address.latitude, address.longitude) == (10.7741, 106.7038)
    listed = text(client.get("/account/addresses"))
    assert "12 Nguyễn Huệ, Bến Nghé, Quận 1, Hồ Chí Minh" in listed
    edit = text(client.get(f"/account/addresses/{address.id}"))
    assert 'value="12 Nguyễn Huệ"' in edit and 'value="10.7741"' in edit
    changed = client.post(f"/account/addresses/{address.id}",
                          data=HOME | {"label": "Công ty", "line": "5 Lê Duẩn", "ward": ""})
    assert changed.status_code == 303
    [address] = saved(buyer)
    assert (address.label, address.line, address.ward) == ("Công ty", "5 Lê Duẩn", None)
    assert client.post(f"/account/addresses/{address.id}/delete").status_code == 303
    assert saved(buyer) == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"phone": ""}, "phone"),
    ({"phone": "call me"}, "phone"),
    ({"recipient_name": "  "}, "recipient_name"),
    ({"line": ""}, "line"),
    ({"district": ""}, "district"),
    ({"city": ""}, "city"),
    ({"latitude": ""}, "latitude"),
    ({"latitude": "95"}, "latitude"),
    ({"longitude": "east"}, "longitude"),
])
def test_bad_address_input_is_shown_next_to_its_input_and_saves_nothing(
        english_pages, login, buyer, changes, field):
    client = login(buyer)
    refused = client.post("/account/addresses/new", data=HOME | changes)
    assert refused.status_code == 422
    html = text(refused)
    assert f'id="e-{field}"' in html  # the message under the input
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', html)
    assert 'value="12 Nguyễn Huệ"' in html or field == "line"  # what was typed is kept
    assert saved(buyer) == []
    # Changing a saved address with the same mistake leaves it as it was.
    assert client.post("/account/addresses/new", data=HOME).status_code == 303
    [address] = saved(buyer)
    again = client.post(f"/account/addresses/{address.id}", data=HOME | changes)
    assert again.status_code == 422 and f'id="e-{field}"' in text(again)
    [kept] = saved(buyer)
    assert (kept.phone, kept.line, kept.latitude, kept.city) == (
        "0901 234 567", "12 Nguyễn Huệ", 10.7741, "Hồ Chí Minh")


def test_the_address_list_is_full_at_twenty(english_pages, login, buyer):
    client = login(buyer)
    for n in range(addresses.MAX_ADDRESSES):
        addresses.save_address(buyer, HOME | {"label": f"#{n}"})
    db.session.commit()
    page = text(client.get("/account/addresses"))
    assert "delete one first" in page and 'href="/account/addresses/new"' not in page
    refused = client.post("/account/addresses/new", data=HOME)
    assert refused.status_code == 422 and "delete one first" in text(refused)
    assert len(saved(buyer)) == addresses.MAX_ADDRESSES


def test_someone_elses_address_is_404_and_stays(client, login, buyer, make_user):
    client = login(buyer)
    assert client.post("/account/addresses/new", data=HOME).status_code == 303
    [mine] = saved(buyer)
    client.post("/logout")
    login(make_user())
    assert client.get(f"/account/addresses/{mine.id}").status_code == 404
    assert client.post(f"/account/addresses/{mine.id}", data=HOME | {"line": "X"}
                       ).status_code == 404
    assert client.post(f"/account/addresses/{mine.id}/delete").status_code == 404
    assert client.get("/account/addresses/99999999999").status_code == 404
    [kept] = saved(buyer)
    assert kept.line == "12 Nguyễn Huệ"


def test_address_pages_need_a_login(client):
    for url in ("/account/addresses", "/account/addresses/new"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_use_my_location_only_fills_the_two_inputs_through_a_static_script(
        english_pages, login, buyer):
    html = text(login(buyer).get("/account/addresses/new"))
    button = re.search(r"<button[^>]*data-use-location[^>]*>", html).group(0)
    assert 'data-latitude="f-latitude"' in button and 'data-longitude="f-longitude"' in button
    assert "hidden" in button  # shown by the script only where geolocation exists
    assert '<script src="/static/js/dashboard-location.js" defer></script>' in html
    # The Content-Security-Policy runs no inline script: every script has a src.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []


# --- the customer's tracking ------------------------------------------------------------------

def _journey(parcel, owner_user):
    """Picked up, forwarded, sent out, a failed attempt with its reason; then late carrier
    news that changes nothing."""
    shipment = parcel.shipment
    for event in ("pick_up", "forward", "send_out"):
        ship.apply(shipment, event, source="staff", actor_id=owner_user.id)
    ship.apply(shipment, "fail_attempt", source="staff", actor_id=owner_user.id,
               note="Không ai ở nhà")
    late = utcnow() - timedelta(hours=1)
    ship.report(shipment, TrackingUpdate(event_id="late-1", status="in_transit",
                                         occurred_at=late, note="Old hub scan"))
    db.session.commit()
    return fresh(shipment)


def test_the_order_page_shows_each_parcel_with_its_timeline(english_pages, login, buyer,
                                                            parcel, owner_of):
    shipment = _journey(parcel, owner_of(parcel.merchant).user)
    html = text(login(buyer).get(f"/orders/{parcel.order.number}"))
    delivery = section(html, 'id="delivery"')
    assert f"Parcel {shipment.reference}" in delivery
    assert "Giao Nhanh Thử" in delivery  # the carrier's label, not its identifier
    assert "Delivery attempt failed" in delivery  # the state in words
    assert f"₫{parcel.order.total:,}" in delivery  # cash at the door: the order's total
    assert "you may open and check the parcel" in delivery
    assert "1 of 2" in delivery  # attempts made, allowed
    start = shipment.window_start.astimezone(SAIGON)
    assert start.strftime("%H:%M") in delivery and start.strftime("%B") in delivery
    timeline = section(delivery, "data-parcel-timeline")
    events = re.findall(r'data-event="([a-z_]+)"', timeline)
    assert events == ["create", "pick_up", "forward", "send_out", "fail_attempt"]
    assert "Delivery attempt failed: Không ai ở nhà" in timeline
    assert "Old hub scan" not in timeline  # ignored news is the staff's business
    picked = db.session.scalars(sa.select(ShipmentEventRecord).where(
        ShipmentEventRecord.shipment_id == shipment.id, ShipmentEventRecord.event == "pick_up"
    )).one()
    row = re.search(r'<li data-event="pick_up">.*?</li>', timeline, re.S).group(0)
    assert local(picked.occurred_at) in row  # in the store's time zone, not UTC
    assert f'href="/track/{shipment.reference}"' in delivery


def test_an_order_without_a_shipment_has_no_delivery_section(english_pages, login, buyer,
                                                             selling_shop):
    merchant, (store, _other), listing = selling_shop()
    order = buy(buyer, [(listing.variants[0], 1)],
                [pickup_choice(merchant, store, slot_at(store))]).orders[0]
    db.session.commit()
    html = text(login(buyer).get(f"/orders/{order.number}"))
    assert 'id="delivery"' not in html


def test_the_tracking_page_shows_the_parcel_with_its_progress(english_pages, login, buyer,
                                                              parcel, owner_of):
    shipment = _journey(parcel, owner_of(parcel.merchant).user)
    client = login(buyer)
    page = client.get(f"/track/{shipment.reference}")
    assert page.status_code == 200
    html = text(page)
    assert f"Parcel {shipment.reference}" in html and "Giao Nhanh Thử" in html
    assert f'href="/orders/{parcel.order.number}"' in html
    assert '<progress value="4" max="5"' in html  # created … out for delivery reached
    steps = section(html, "data-progress")
    assert re.findall(r'data-step="([a-z_]+)" aria-current', steps) == []  # off the way
    assert 'data-step="delivered" class="muted"' in steps
    timeline = section(html, "data-parcel-timeline")
    assert "Delivery attempt failed: Không ai ở nhà" in timeline and "Old hub scan" not in html
    assert 'href="/track/' not in html[html.index("data-parcel-timeline"):]
    # Typed in small letters: the same parcel.
    assert client.get(f"/track/{shipment.reference.lower()}").status_code == 200


def test_the_tracking_page_marks_the_current_step(english_pages, login, buyer, parcel,
                                                  owner_of):
    ship.apply(parcel.shipment, "pick_up", source="staff")
    db.session.commit()
    html = text(login(buyer).get(f"/track/{parcel.shipment.reference}"))
    assert '<progress value="2" max="5"' in html
    assert 'data-step="picked_up" aria-current="step"' in html


def test_a_parcel_is_only_its_customers(client, login, buyer, parcel, make_user, owner_of):
    url = f"/track/{parcel.shipment.reference}"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(make_user())
    assert client.get(url).status_code == 404
    client.post("/logout")
    login(owner_of(parcel.merchant).user)  # the merchant's staff use the dashboard
    assert client.get(url).status_code == 404
    client.post("/logout")
    login(buyer)
    assert client.get("/track/GH-NOTHING1").status_code == 404


def test_the_tracking_page_renders_in_another_theme(english_pages, login, buyer, parcel):
    parcel.merchant.theme = "hoian"
    db.session.commit()
    html = text(login(buyer).get(f"/track/{parcel.shipment.reference}"))
    assert f"Parcel {parcel.shipment.reference}" in html and "<progress" in html
    order = text(login(buyer).get(f"/orders/{parcel.order.number}"))
    assert 'id="delivery"' in order


# --- the merchant's deliveries ----------------------------------------------------------------

def test_the_list_shows_the_merchants_shipments_with_filters(
        english_pages, login, parcel, make_parcel, owner_of, buyer):
    shop = (parcel.merchant, (parcel.store, parcel.other), parcel.listing)
    walked = make_parcel(shop=shop, carrier="walker_test")
    theirs = make_parcel()
    client = login(owner_of(parcel.merchant).user)
    html = text(client.get(parcel.dash))
    assert f'data-shipment="{parcel.shipment.reference}"' in html
    assert f'data-shipment="{walked.shipment.reference}"' in html
    assert theirs.shipment.reference not in html  # another merchant's
    assert "Waiting at the store" in html and "Giao Nhanh Thử" in html
    ship.apply(parcel.shipment, "pick_up", source="staff")
    db.session.commit()
    assert parcel.shipment.reference not in text(client.get(parcel.dash,
                                                            query_string={"state": "created"}))
    assert parcel.shipment.reference in text(client.get(parcel.dash,
                                                        query_string={"state": "picked_up"}))
    assert parcel.shipment.reference in text(client.get(
        parcel.dash, query_string={"store": parcel.store.id, "carrier": "quick_test"}))
    assert parcel.shipment.reference not in text(client.get(
        parcel.dash, query_string={"store": parcel.other.id}))
    by_carrier = text(client.get(parcel.dash, query_string={"carrier": "walker_test"}))
    assert walked.shipment.reference in by_carrier
    assert parcel.shipment.reference not in by_carrier
    # Another merchant's store as a filter: 404, as if it did not exist.
    assert client.get(parcel.dash, query_string={"store": theirs.store.id}).status_code == 404
    assert client.get(parcel.dash, query_string={"page": 10**30}).status_code == 200
    # A state that does not exist shows everything rather than failing.
    assert parcel.shipment.reference in text(client.get(parcel.dash,
                                                        query_string={"state": "lost"}))
    # The dashboard's menu links to the list.
    assert f'href="{parcel.dash}"' in text(client.get(f"/dashboard/{parcel.merchant.slug}/"))


def test_a_store_limited_member_sees_only_their_stores_shipments(
        english_pages, login, parcel, make_member, selling_shop):
    limited = make_member(parcel.merchant, role="staff", stores_=[parcel.other])
    db.session.commit()
    client = login(limited.user)
    assert parcel.shipment.reference not in text(client.get(parcel.dash))
    assert client.get(f"{parcel.dash}/{parcel.shipment.id}").status_code == 404
    assert client.post(f"{parcel.dash}/{parcel.shipment.id}/events",
                       data={"event": "pick_up"}).status_code == 404
    assert client.get(parcel.dash, query_string={"store": parcel.store.id}).status_code == 404
    assert fresh(parcel.shipment).state == "created"
    # Assigned to the parcel's store, the same member sees and moves it.
    limited.stores = [parcel.store]
    db.session.commit()
    assert parcel.shipment.reference in text(client.get(parcel.dash))
    assert client.post(f"{parcel.dash}/{parcel.shipment.id}/events",
                       data={"event": "pick_up"}).status_code == 303
    assert fresh(parcel.shipment).state == "picked_up"


def test_another_merchants_shipment_is_404_everywhere(client, login, parcel, make_parcel,
                                                      owner_of):
    theirs = make_parcel()
    login(owner_of(parcel.merchant).user)
    base = f"{parcel.dash}/{theirs.shipment.id}"
    assert client.get(base).status_code == 404
    for path, data in (("events", {"event": "pick_up"}), ("courier", {"courier_user_id": ""}),
                       ("return-store", {"store_id": theirs.other.id})):
        assert client.post(f"{base}/{path}", data=data).status_code == 404, path
    assert client.get(f"{parcel.dash}/99999999999").status_code == 404
    after = fresh(theirs.shipment)
    assert (after.state, after.return_store_id) == ("created", None)
    # Not a member of the merchant at all: its dashboard does not exist.
    assert client.get(f"/dashboard/{theirs.merchant.slug}/deliveries").status_code == 404


def test_the_shipment_page_shows_everything_staff_need(english_pages, login, parcel,
                                                        owner_of):
    owner = owner_of(parcel.merchant).user
    shipment = _journey(parcel, owner)
    html = text(login(owner).get(f"{parcel.dash}/{shipment.id}"))
    assert "Trần Thị Bình" in html and 'href="tel:0901234567"' in html
    assert "12 Nguyễn Huệ, Bến Nghé, Quận 1, Hồ Chí Minh" in html
    assert "https://www.openstreetmap.org/?mlat=10.7741&mlon=106.7038" in html
    line = parcel.order.lines[0]
    assert line.title in html and line.sku in html
    assert f"₫{parcel.order.total:,}" in html and "1 of 2" in html
    assert f'href="/dashboard/{parcel.merchant.slug}/orders/{parcel.order.id}"' in html
    history = section(html, "data-shipment-timeline")
    ignored = re.search(r'<li data-event="in_transit" class="muted" data-ignored>.*?</li>',
                        history, re.S).group(0)
    assert "(ignored)" in ignored and "Old hub scan" in ignored and "carrier" in ignored
    assert "Không ai ở nhà" in history and owner.full_name in history
    # A failed attempt may go out again or back to the store: those are the buttons.
    actions = re.findall(r'data-action="([a-z_]+)"', html)
    assert actions == ["redeliver", "send_back"]


def test_staff_move_a_parcel_to_the_door_and_record_the_cash(english_pages, login, parcel,
                                                              owner_of):
    owner = owner_of(parcel.merchant).user
    client = login(owner)
    url = f"{parcel.dash}/{parcel.shipment.id}"
    variant = parcel.listing.variants[0]
    before = on_hand(parcel.store, variant)
    assert re.findall(r'data-action="([a-z_]+)"', text(client.get(url))) == [
        "pick_up", "cancel"]
    for event in ("pick_up", "forward", "send_out"):
        done = client.post(f"{url}/events", data={"event": event})
        assert done.status_code == 303 and done.headers["Location"] == url
    assert on_hand(parcel.store, variant) == before - 2  # sold at pick-up
    page = text(client.get(url))
    assert "Recorded: Out for delivery." in page
    # Cash on delivery: the rider's cash must be said; nothing changes without it.
    refused = client.post(f"{url}/events", data={"event": "deliver", "cash_collected": ""})
    assert refused.status_code == 422
    assert 'id="e-deliver-cash_collected"' in text(refused)
    assert fresh(parcel.shipment).state == "out_for_delivery"
    bad = client.post(f"{url}/events", data={"event": "deliver", "cash_collected": "lots"})
    assert bad.status_code == 422 and fresh(parcel.shipment).state == "out_for_delivery"
    total = parcel.order.total
    typed = f"{total:,}".replace(",", ".")  # as a bank or a till shows đồng: 300.000
    done = client.post(f"{url}/events", data={"event": "deliver", "cash_collected": typed})
    assert done.status_code == 303
    shipment = fresh(parcel.shipment)
    assert (shipment.state, shipment.cod_collected, shipment.attempts) == (
        "delivered", total, 1)
    last = shipment.events[-1]
    assert (last.event, last.source, last.actor_id, last.cash_collected) == (
        "deliver", "staff", owner.id, total)
    over = text(client.get(url))
    assert "data-action=" not in over and "data-courier-form" not in over


def test_a_failed_attempt_needs_its_reason_and_runs_out_into_a_return(
        english_pages, login, parcel, owner_of):
    client = login(owner_of(parcel.merchant).user)
    url = f"{parcel.dash}/{parcel.shipment.id}"
    for event in ("pick_up", "forward", "send_out"):
        client.post(f"{url}/events", data={"event": event})
    refused = client.post(f"{url}/events", data={"event": "fail_attempt", "note": " "})
    assert refused.status_code == 422 and 'id="e-fail_attempt-note"' in text(refused)
    assert fresh(parcel.shipment).state == "out_for_delivery"
    client.post(f"{url}/events", data={"event": "fail_attempt", "note": "Sai số nhà"})
    client.post(f"{url}/events", data={"event": "redeliver"})
    client.post(f"{url}/events", data={"event": "fail_attempt", "note": "Vắng nhà"})
    shipment = fresh(parcel.shipment)
    assert (shipment.state, shipment.attempts) == ("returning", 2)  # no attempt left
    assert re.findall(r'data-action="([a-z_]+)"', text(client.get(url))) == ["receive_back"]


def test_an_event_the_state_does_not_allow_is_409_and_a_forged_one_400(
        english_pages, login, parcel, owner_of):
    client = login(owner_of(parcel.merchant).user)
    url = f"{parcel.dash}/{parcel.shipment.id}"
    refused = client.post(f"{url}/events", data={"event": "deliver", "cash_collected": "1"})
    assert refused.status_code == 409
    assert "not possible in the current state" in text(refused)
    assert client.post(f"{url}/events", data={"event": "teleport"}).status_code == 400
    assert client.post(f"{url}/events", data={}).status_code == 400
    shipment = fresh(parcel.shipment)
    assert (shipment.state, len(shipment.events)) == ("created", 1)


def test_staff_assign_and_unassign_a_rider_of_the_store(english_pages, login, parcel, owner_of,
                                                         make_member, make_parcel):
    client = login(owner_of(parcel.merchant).user)
    url = f"{parcel.dash}/{parcel.shipment.id}"
    rider = make_member(parcel.merchant, role="staff", stores_=[parcel.store])
    elsewhere = make_member(parcel.merchant, role="staff", stores_=[parcel.other])
    stranger = owner_of(make_parcel().merchant)
    db.session.commit()
    form = text(client.get(url))
    options = section(form, "data-courier-form")
    assert f'value="{rider.user_id}"' in options
    assert f'value="{elsewhere.user_id}"' not in options  # not at the parcel's store
    for wrong in (elsewhere.user_id, stranger.user_id, "nobody", 2**40):
        refused = client.post(f"{url}/courier", data={"courier_user_id": wrong})
        assert refused.status_code == 422, wrong
        assert 'id="e-courier-courier_user_id"' in text(refused)
        assert fresh(parcel.shipment).courier_user_id is None
    assert client.post(f"{url}/courier", data={"courier_user_id": rider.user_id}
                       ).status_code == 303
    assert fresh(parcel.shipment).courier_user_id == rider.user_id
    assert rider.user.full_name in section(text(client.get(url)), "data-rider")
    assert client.post(f"{url}/courier", data={"courier_user_id": ""}).status_code == 303
    assert fresh(parcel.shipment).courier_user_id is None


def test_staff_choose_the_store_a_returned_parcel_goes_back_to(
        english_pages, login, parcel, owner_of, make_parcel):
    client = login(owner_of(parcel.merchant).user)
    url = f"{parcel.dash}/{parcel.shipment.id}"
    foreign = make_parcel().store
    for wrong in (foreign.id, "x", 2**40):
        refused = client.post(f"{url}/return-store", data={"store_id": wrong})
        assert refused.status_code == 422, wrong
        assert 'id="e-return_store-store_id"' in text(refused)
    assert fresh(parcel.shipment).return_store_id is None
    assert client.post(f"{url}/return-store", data={"store_id": parcel.other.id}
                       ).status_code == 303
    assert fresh(parcel.shipment).return_store_id == parcel.other.id
    assert parcel.other.name in section(text(client.get(url)), "data-return-store")
    # Sent back and received: the goods go back on sale at the chosen store.
    variant = parcel.listing.variants[0]
    before = on_hand(parcel.other, variant)
    for event, note in (("pick_up", ""), ("forward", ""), ("send_out", ""),
                        ("fail_attempt", "Vắng nhà"), ("send_back", ""), ("receive_back", "")):
        assert client.post(f"{url}/events", data={"event": event, "note": note}
                           ).status_code == 303, event
    assert on_hand(parcel.other, variant) == before + 2
    page = text(client.get(url))
    assert "data-return-store-form" not in page  # the goods are back: nothing to choose


def test_the_dashboard_order_page_links_its_parcels(english_pages, login, parcel, owner_of):
    html = text(login(owner_of(parcel.merchant).user).get(
        f"/dashboard/{parcel.merchant.slug}/orders/{parcel.order.id}"))
    parcels = section(html, 'id="shipments"')
    assert f'href="{parcel.dash}/{parcel.shipment.id}"' in parcels
    assert "Waiting at the store" in parcels and f"₫{parcel.order.total:,}" in parcels


# --- CSRF -------------------------------------------------------------------------------------

def _token(page: str) -> str:
    return CSRF_INPUT.search(page).group(1)


def test_every_form_carries_the_csrf_token_and_a_post_without_it_changes_nothing(
        make_app, db, parcel, owner_of, buyer):
    app = make_app(WTF_CSRF_ENABLED=True)

    def logged_in(user):
        client = app.test_client()
        token = _token(client.get("/login").get_data(as_text=True))
        assert client.post("/login", data={"email": user.email, "csrf_token": token,
                                           "password": "correct horse battery staple"}
                           ).status_code == 303
        return client

    customer = logged_in(buyer)
    new = customer.get("/account/addresses/new").get_data(as_text=True)
    assert customer.post("/account/addresses/new", data=HOME).status_code == 400
    assert customer.post("/account/addresses/new",
                         data=HOME | {"csrf_token": "forged"}).status_code == 400
    assert saved(buyer) == []
    assert customer.post("/account/addresses/new",
                         data=HOME | {"csrf_token": _token(new)}).status_code == 303
    [address] = saved(buyer)
    listed = customer.get("/account/addresses").get_data(as_text=True)
    # Two forms are the header's (log out, language); one deletes the address.
    assert listed.count('<form method="post"') == listed.count('name="csrf_token"') == 3
    assert customer.post(f"/account/addresses/{address.id}/delete").status_code == 400
    assert len(saved(buyer)) == 1

    staff = logged_in(owner_of(parcel.merchant).user)
    url = f"{parcel.dash}/{parcel.shipment.id}"
    page = staff.get(url).get_data(as_text=True)
    assert page.count('<form method="post"') == page.count('name="csrf_token"') > 4
    assert staff.post(f"{url}/events", data={"event": "pick_up"}).status_code == 400
    assert staff.post(f"{url}/courier", data={"courier_user_id": ""}).status_code == 400
    assert fresh(parcel.shipment).state == "created"
    assert staff.post(f"{url}/events", data={"event": "pick_up", "csrf_token": _token(page)}
                      ).status_code == 303
    assert fresh(parcel.shipment).state == "picked_up"
