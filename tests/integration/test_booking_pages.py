"""The booking plugin's pages: the merchant's setup and calendar in the dashboard, and the
consumer's book → confirm → ticket → cancel or move on the storefront.

Bookings are made three days ahead (the pages use the real clock), at a spa open 9:00–18:00
in Hồ Chí Minh City with two therapists and one room (tests/support/salon.py). Setup that a
refused request rolls back is committed first, as a real request would find it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.orders.models import AuditEntry
from marketplace.plugins import services as plugin_services
from marketplace.redemption import services as redemption
from tests.support.salon import PLUGIN, SAIGON, booking_module, make_spa

pytestmark = pytest.mark.usefixtures("english")

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
DAY = (utcnow().astimezone(SAIGON) + timedelta(days=3)).date()


def at(hour: int, minute: int = 0, day=DAY) -> datetime:
    """Local Hồ Chí Minh City time on ``day`` (three days ahead), as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SAIGON).astimezone(UTC)


def local(hour: int, minute: int = 0, day=DAY) -> str:
    """The same time as a ``datetime-local`` input sends it."""
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


@pytest.fixture
def models():
    return booking_module("models")


@pytest.fixture
def bookings():
    return booking_module("booking")


@pytest.fixture
def spa(db, make_merchant, make_store, make_listing):
    found = make_spa(make_merchant, make_store, make_listing)
    db.session.commit()
    return found


@pytest.fixture
def dash(spa):
    return f"/dashboard/{spa.merchant.slug}/bookings"


def confirmed(bookings, spa, customer, start, **kwargs):
    booking = bookings.hold(spa.service, spa.store, start, customer=customer, **kwargs)
    return bookings.confirm(booking, customer=customer)


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


# --- who sees the dashboard pages -------------------------------------------------------------

def test_dashboard_pages_need_a_member_of_a_merchant_who_enabled_the_plugin(
        client, db, spa, dash, login, owner_of, make_merchant, make_member, make_store):
    pages = [f"{dash}/services", f"{dash}/services/{spa.listing.id}",
             f"{dash}/stores/{spa.store.id}/resources",
             f"{dash}/resources/{spa.therapists[0].id}", f"{dash}/calendar/{spa.store.id}"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    stranger = make_merchant()
    db.session.commit()
    login(owner_of(stranger).user)
    for url in pages:
        assert client.get(url).status_code == 404, url
    # The plugin's pages of the stranger's own dashboard: not enabled, so none.
    assert client.get(f"/dashboard/{stranger.slug}/bookings/services").status_code == 404
    assert "Booking calendar" not in text(client.get(f"/dashboard/{stranger.slug}/"))
    login(owner_of(spa.merchant).user)
    for url in pages:
        assert client.get(url).status_code == 200, url
    overview = text(client.get(f"/dashboard/{spa.merchant.slug}/"))
    assert "Booking calendar" in overview and "Bookable services" in overview
    assert overview.count(">Booking calendar</a>") == 1
    # Staff handle the calendar but do not set up services, staff or rooms.
    staff = make_member(spa.merchant, role="staff")
    db.session.commit()
    login(staff.user)
    assert client.get(f"{dash}/calendar/{spa.store.id}").status_code == 200
    assert client.get(f"{dash}/services").status_code == 403
    assert client.post(f"{dash}/stores/{spa.store.id}/resources",
                       data={"kind": "room", "name": "Phòng 9"}).status_code == 403
    nav = text(client.get(f"/dashboard/{spa.merchant.slug}/"))
    assert "Booking calendar" in nav and "Bookable services" not in nav
    # A member limited to another store: that store's pages are 404 before any 403.
    elsewhere = make_store(spa.merchant, name="Spa Sen Quận 7")
    limited = make_member(spa.merchant, role="staff", stores_=(elsewhere,))
    db.session.commit()
    login(limited.user)
    for url in pages[2:]:
        assert client.get(url).status_code == 404, url
    assert client.get(f"{dash}/stores/{elsewhere.id}/resources").status_code == 403
    assert client.get(f"{dash}/calendar/{elsewhere.id}").status_code == 200
    # Switched off: the pages are gone for everyone.
    plugin_services.set_enabled(spa.merchant, PLUGIN, False)
    db.session.commit()
    login(owner_of(spa.merchant).user)
    assert client.get(f"{dash}/calendar/{spa.store.id}").status_code == 404
    assert "Booking calendar" not in text(client.get(f"/dashboard/{spa.merchant.slug}/"))


# --- setup ------------------------------------------------------------------------------------

def test_a_service_is_set_up_from_its_form_and_bad_input_changes_nothing(
        client, db, spa, dash, login, owner_of, make_store, make_merchant, make_listing):
    login(owner_of(spa.merchant).user)
    second = make_store(spa.merchant, name="Spa Sen Quận 3")
    facial = make_listing(spa.merchant, kind="service", title="Chăm sóc da",
                          duration_minutes=45, price=250000)
    db.session.commit()
    listed = text(client.get(f"{dash}/services"))
    assert "Massage 60 phút" in listed and "Chăm sóc da" in listed and "Not set up" in listed
    form = {"buffer_before_minutes": "5", "buffer_after_minutes": "10", "step_minutes": "15",
            "lead_minutes": "120", "horizon_days": "14", "party_min": "1", "party_max": "2",
            "cancel_cutoff_hours": "12", "reschedule_cutoff_hours": "6", "needs_staff": "on",
            "is_active": "on", "store_ids": [str(spa.store.id), str(second.id)]}
    saved = client.post(f"{dash}/services/{facial.id}", data=form)
    assert saved.status_code == 303
    setup_row = db.session.scalars(sa.select(booking_module("models").ServiceSetup).where(
        booking_module("models").ServiceSetup.listing_id == facial.id)).one()
    assert (setup_row.step_minutes, setup_row.party_max, setup_row.needs_resource,
            {s.id for s in setup_row.stores}) == (15, 2, False, {spa.store.id, second.id})
    refused = client.post(f"{dash}/services/{facial.id}", data={**form, "party_min": "3"})
    assert refused.status_code == 422
    assert "The largest party is below the smallest." in text(refused)
    refused = client.post(f"{dash}/services/{facial.id}",
                          data={**form, "needs_staff": "", "step_minutes": "20"})
    assert refused.status_code == 422
    assert "A service needs a staff member, a room or table, or both." in text(refused)
    refused = client.post(f"{dash}/services/{facial.id}", data={**form, "step_minutes": "x"})
    assert refused.status_code == 422
    db.session.refresh(setup_row)
    assert (setup_row.party_min, setup_row.step_minutes, setup_row.needs_staff) == (1, 15, True)
    # A product is not booked by appointment.
    shirt = make_listing(spa.merchant, title="Áo thun")
    db.session.commit()
    assert "Only services are booked by appointment" in text(
        client.get(f"{dash}/services/{shirt.id}"))
    refused = client.post(f"{dash}/services/{shirt.id}", data=form)
    assert refused.status_code == 422
    assert "Only a service with a duration is booked." in text(refused)
    # Another merchant's listing or store is not found, and nothing changes.
    other = make_merchant()
    their_store = make_store(other)
    their_listing = make_listing(other, kind="service", title="Cắt tóc", duration_minutes=30,
                                 price=100000)
    db.session.commit()
    assert client.get(f"{dash}/services/{their_listing.id}").status_code == 404
    assert client.post(f"{dash}/services/{their_listing.id}", data=form).status_code == 404
    assert client.post(f"{dash}/services/{facial.id}",
                       data={**form, "store_ids": [str(their_store.id)]}).status_code == 404
    db.session.refresh(setup_row)
    assert {s.id for s in setup_row.stores} == {spa.store.id, second.id}


def test_staff_and_rooms_their_hours_and_blocks(client, db, spa, dash, login, owner_of,
                                                 bookings, buyer, make_merchant, make_store):
    models = booking_module("models")
    login(owner_of(spa.merchant).user)
    page = text(client.get(f"{dash}/stores/{spa.store.id}/resources"))
    assert "Chị Hoa" in page and "Phòng 1" in page
    added = client.post(f"{dash}/stores/{spa.store.id}/resources", data={
        "kind": "staff", "name": "Anh Long", "capacity": "1", "user_id": "",
        "service_ids": [str(spa.service.id)]})
    assert added.status_code == 303
    long_ = db.session.scalars(sa.select(models.Resource).where(
        models.Resource.name == "Anh Long")).one()
    assert [s.id for s in long_.services] == [spa.service.id]
    before = count(db, models.Resource)
    for data, message in [({"kind": "staff", "name": "Anh Long"},
                           "This store already has one by this name."),
                          ({"kind": "robot", "name": "R2"}, "Choose staff, room or table."),
                          ({"kind": "table", "name": "Bàn 1", "capacity": "0"}, None)]:
        refused = client.post(f"{dash}/stores/{spa.store.id}/resources", data=data)
        assert refused.status_code == 422, data
        assert message is None or message in text(refused)
    assert count(db, models.Resource) == before
    # The team member link: only people on the team.
    edit = f"{dash}/resources/{long_.id}"
    outsider = client.post(edit, data={"name": "Anh Long", "capacity": "1",
                                       "user_id": str(buyer.id), "is_active": "on"})
    assert outsider.status_code == 422 and "This person is not on your team." in text(outsider)
    owner_id = owner_of(spa.merchant).user_id
    assert client.post(edit, data={"name": "Anh Long Nguyễn", "capacity": "1",
                                   "user_id": str(owner_id), "is_active": "on",
                                   "service_ids": [str(spa.service.id)]}).status_code == 303
    db.session.refresh(long_)
    assert (long_.name, long_.user_id) == ("Anh Long Nguyễn", owner_id)
    # Working hours: Monday and Tuesday mornings; a row that ends before it starts is refused.
    hours = client.post(f"{edit}/hours", data={
        "hours-0-0-opens": "09:00", "hours-0-0-closes": "12:00",
        "hours-1-0-opens": "09:00", "hours-1-0-closes": "12:00"})
    assert hours.status_code == 303
    db.session.refresh(long_)
    assert [(h.weekday, h.opens.hour, h.closes.hour) for h in long_.hours] == \
        [(0, 9, 12), (1, 9, 12)]
    refused = client.post(f"{edit}/hours", data={"hours-2-0-opens": "14:00",
                                                 "hours-2-0-closes": "10:00"})
    assert refused.status_code == 422
    assert "Closing time must be after opening time" in text(refused)
    db.session.refresh(long_)
    assert len(long_.hours) == 2
    # Rooms have no working hours.
    room = f"{dash}/resources/{spa.rooms[0].id}"
    assert "Working hours" not in text(client.get(room))
    assert client.post(f"{room}/hours", data={"hours-0-0-opens": "09:00",
                                              "hours-0-0-closes": "12:00"}).status_code == 422
    # Blocks: one over a booking is refused; a free one is listed, then removed.
    booking = confirmed(bookings, spa, buyer, at(10))
    busy = next(t for t in spa.therapists if t.id == booking.staff_id)
    db.session.commit()
    refused = client.post(f"{dash}/resources/{busy.id}/blocks", data={
        "starts_at": local(9), "ends_at": local(12), "reason": "Nghỉ phép"})
    assert refused.status_code == 409
    assert "A booking holds part of this time" in text(refused)
    refused = client.post(f"{dash}/resources/{busy.id}/blocks", data={
        "starts_at": local(13), "ends_at": local(12)})
    assert refused.status_code == 422 and "The end must be after the start." in text(refused)
    assert client.post(f"{dash}/resources/{busy.id}/blocks", data={
        "starts_at": "soon", "ends_at": local(12)}).status_code == 422
    assert count(db, models.Block) == 0
    assert client.post(f"{dash}/resources/{busy.id}/blocks", data={
        "starts_at": local(13), "ends_at": local(18), "reason": "Nghỉ phép"}).status_code == 303
    block = db.session.scalars(sa.select(models.Block)).one()
    assert (block.starts_at, block.ends_at) == (at(13), at(18))
    listed = text(client.get(f"{dash}/resources/{busy.id}"))
    assert "Nghỉ phép" in listed and "13:00" in listed
    starts = {s.start for s in bookings.day_slots(spa.service, spa.store, DAY)
              if busy.id in s.staff_ids}
    assert at(14) not in starts
    # Another merchant's resource, or removing a block through another resource: 404.
    other = make_merchant()
    theirs = booking_module("setup").create_resource(other.id, {
        "store_id": make_store(other).id, "kind": "room", "name": "Phòng riêng"})
    db.session.commit()
    assert client.get(f"{dash}/resources/{theirs.id}").status_code == 404
    assert client.post(f"{dash}/resources/{theirs.id}/blocks", data={
        "starts_at": local(13), "ends_at": local(18)}).status_code == 404
    idle = next(t for t in spa.therapists if t.id != busy.id)
    assert client.post(f"{dash}/resources/{idle.id}/blocks/{block.id}/remove"
                       ).status_code == 404
    assert client.post(f"{dash}/resources/{busy.id}/blocks/{block.id}/remove"
                       ).status_code == 303
    assert count(db, models.Block) == 0


# --- the calendar ------------------------------------------------------------------------------

def test_the_calendar_shows_bookings_by_staff_in_the_stores_time(
        client, db, spa, dash, login, owner_of, bookings, buyer, make_user, make_member,
        make_store):
    booking = confirmed(bookings, spa, buyer, at(10), staff_id=spa.therapists[1].id)
    other_customer = make_user(full_name="Lê Văn Cường")
    later = bookings.hold(spa.service, spa.store, at(14), customer=other_customer,
                          staff_id=spa.therapists[0].id)
    elsewhere = make_store(spa.merchant, name="Spa Sen Quận 7")
    db.session.commit()
    login(owner_of(spa.merchant).user)
    day = client.get(f"{dash}/calendar/{spa.store.id}?day={DAY.isoformat()}")
    page = text(day)
    assert day.status_code == 200
    hoa, mai = (re.search(rf'data-resource="{t.id}">(.*?)</section>', page, re.DOTALL).group(1)
                for t in spa.therapists)
    assert "Trần Thị Bình" in mai and "10:00–11:00" in mai and "Massage 60 phút" in mai
    assert booking.reference in mai and "Confirmed" in mai and "Check in" in mai
    assert "Lê Văn Cường" in hoa and "14:00–15:00" in hoa and "Held" in hoa
    assert "Check in" not in hoa  # a held booking waits for its customer
    only_mai = text(client.get(f"{dash}/calendar/{spa.store.id}?day={DAY.isoformat()}"
                               f"&staff={spa.therapists[1].id}"))
    assert "Trần Thị Bình" in only_mai and "Lê Văn Cường" not in only_mai
    week = text(client.get(f"{dash}/calendar/{spa.store.id}?day={DAY.isoformat()}&view=week"))
    column = re.search(rf'data-day="{DAY.isoformat()}">(.*?)</section>', week, re.DOTALL)
    assert "Trần Thị Bình" in column.group(1) and "Lê Văn Cường" in column.group(1)
    other_day = text(client.get(f"{dash}/calendar/{spa.store.id}"
                                f"?day={(DAY + timedelta(days=1)).isoformat()}"))
    assert "Trần Thị Bình" not in other_day
    bad = client.get(f"{dash}/calendar/{spa.store.id}?day=tomorrow")
    assert bad.status_code == 422 and "Enter a date as YYYY-MM-DD." in text(bad)
    # A member limited to another store sees neither the store nor its bookings.
    limited = make_member(spa.merchant, role="staff", stores_=(elsewhere,))
    db.session.commit()
    login(limited.user)
    assert client.get(f"{dash}/calendar/{spa.store.id}").status_code == 404
    assert client.post(f"{dash}/{booking.id}/check_in").status_code == 404
    assert client.get(f"{dash}/calendar").headers["Location"].endswith(
        f"/calendar/{elsewhere.id}")
    db.session.refresh(later)
    assert later.state == "held"


def test_staff_check_in_complete_no_show_cancel_and_move_from_the_calendar(
        client, db, spa, dash, login, owner_of, bookings, buyer, make_user, make_merchant,
        make_store, make_listing):
    visit = confirmed(bookings, spa, buyer, at(10))
    absent = confirmed(bookings, spa, make_user(full_name="Phạm Thu"), at(13))
    moving = confirmed(bookings, spa, make_user(full_name="Đỗ Minh"), at(15),
                       staff_id=spa.therapists[0].id)
    db.session.commit()
    login(owner_of(spa.merchant).user)
    back = f"{dash}/calendar/{spa.store.id}?day={DAY.isoformat()}"
    done = client.post(f"{dash}/{visit.id}/check_in", data={"next": back})
    assert done.status_code == 303 and done.headers["Location"].endswith(back)
    db.session.refresh(visit)
    assert visit.state == "checked_in"
    assert redemption.current("appointment", visit.id).state == "redeemed"
    # Checked in already: the action is refused with a message and nothing changes.
    again = client.post(f"{dash}/{visit.id}/check_in", data={"next": back})
    assert again.status_code == 409
    assert "This action is not possible in the current state." in text(again)
    assert client.post(f"{dash}/{visit.id}/complete").status_code == 303
    db.session.refresh(visit)
    assert visit.state == "completed"
    # A no-show before the appointment started is refused.
    early = client.post(f"{dash}/{absent.id}/no_show", data={"next": back})
    assert early.status_code == 422
    assert "A no-show can be marked once the appointment has started." in text(early)
    db.session.refresh(absent)
    assert absent.state == "confirmed"
    cancelled = client.post(f"{dash}/{absent.id}/cancel", data={"reason": "Khách gọi hủy"})
    assert cancelled.status_code == 303
    db.session.refresh(absent)
    assert (absent.state, absent.cancel_reason) == ("cancelled", "Khách gọi hủy")
    # Move: off the grid is refused and keeps the time; a free start with another therapist.
    refused = client.post(f"{dash}/{moving.id}/move", data={"starts_at": local(16, 10)})
    assert refused.status_code == 422
    assert "Choose one of the offered start times." in text(refused)
    assert client.post(f"{dash}/{moving.id}/move", data={"starts_at": "later"}
                       ).status_code == 422
    db.session.refresh(moving)
    assert (moving.starts_at, moving.staff_id) == (at(15), spa.therapists[0].id)
    moved = client.post(f"{dash}/{moving.id}/move", data={
        "starts_at": local(16), "staff_id": str(spa.therapists[1].id)})
    assert moved.status_code == 303
    db.session.refresh(moving)
    assert (moving.starts_at, moving.staff_id, moving.state) == \
        (at(16), spa.therapists[1].id, "confirmed")
    assert "Đỗ Minh" in text(client.get(f"{dash}/calendar/{spa.store.id}?day={DAY}"))
    # Another merchant's booking is not found, whatever the action.
    other = make_spa(make_merchant, make_store, make_listing)
    theirs = confirmed(bookings, other, buyer, at(11))
    db.session.commit()
    for action in ("check_in", "complete", "no_show", "cancel", "move"):
        assert client.post(f"{dash}/{theirs.id}/{action}",
                           data={"starts_at": local(12)}).status_code == 404, action
    db.session.refresh(theirs)
    assert (theirs.state, theirs.starts_at) == ("confirmed", at(11))
    # The changes are recorded as the member's.
    events = db.session.execute(sa.select(AuditEntry.event, AuditEntry.actor_kind,
                                          AuditEntry.actor_id).where(
        AuditEntry.entity == "booking", AuditEntry.entity_id == visit.id,
        AuditEntry.event.in_(["check_in", "complete"]))).all()
    owner_id = owner_of(spa.merchant).user_id
    assert sorted(events) == [("check_in", "staff", owner_id), ("complete", "staff", owner_id)]


# --- the storefront ---------------------------------------------------------------------------

def book_url(spa) -> str:
    return f"/m/{spa.merchant.slug}/book/{spa.listing.slug}"


def test_book_hold_confirm_then_the_ticket_and_cancel(client, db, spa, login, buyer,
                                                      make_user, models):
    listing_page = text(client.get(f"/m/{spa.merchant.slug}/l/{spa.listing.slug}"))
    assert f'href="{book_url(spa)}"' in listing_page
    page = client.get(f"{book_url(spa)}?day={DAY.isoformat()}")
    assert page.status_code == 200
    html = text(page)
    assert "Spa Sen Quận 1" in html and "Anyone available" in html and "Chị Hoa" in html
    assert f'value="{at(10).isoformat()}"' in html and "10:00–11:00" in html
    assert f'value="{at(17, 30).isoformat()}"' not in html  # would run past closing
    # Not logged in: holding sends to the login page and holds nothing.
    anonymous = client.post(book_url(spa), data={
        "store_id": spa.store.id, "day": DAY.isoformat(), "start": at(10).isoformat()})
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["Location"]
    assert count(db, models.Booking) == 0
    login(buyer)
    held = client.post(book_url(spa), data={
        "store_id": spa.store.id, "day": DAY.isoformat(), "staff_id": "",
        "party": "1", "start": at(10).isoformat(), "note": "Lần đầu"})
    assert held.status_code == 303
    booking = db.session.scalars(sa.select(models.Booking)).one()
    assert held.headers["Location"].endswith(f"/bookings/{booking.reference}")
    assert (booking.state, booking.starts_at, booking.note) == ("held", at(10), "Lần đầu")
    confirm_page = text(client.get(f"/bookings/{booking.reference}"))
    assert "Confirm your booking" in confirm_page and "minutes left" in confirm_page
    assert "10:00–11:00" in confirm_page and "Asia/Ho_Chi_Minh" in confirm_page
    assert "data-booking-qr" not in confirm_page  # no ticket before confirming
    # Someone else can neither see nor confirm it.
    stranger = make_user()
    db.session.commit()
    login(stranger)
    assert client.get(f"/bookings/{booking.reference}").status_code == 404
    assert client.post(f"/bookings/{booking.reference}/confirm").status_code == 404
    assert client.post(f"/bookings/{booking.reference}/cancel").status_code == 404
    assert booking.reference not in text(client.get("/bookings"))
    login(buyer)
    done = client.post(f"/bookings/{booking.reference}/confirm")
    assert done.status_code == 303
    db.session.refresh(booking)
    assert booking.state == "confirmed"
    ticket = redemption.current("appointment", booking.id)
    shown = text(client.get(f"/bookings/{booking.reference}"))
    assert booking.reference in shown and "Confirmed" in shown
    assert f'src="/codes/{ticket.id}.svg"' in shown
    assert client.get(f"/codes/{ticket.id}.svg").mimetype == "image/svg+xml"
    listed = text(client.get("/bookings"))
    assert booking.reference in listed and "Massage 60 phút" in listed
    login(stranger)
    assert client.get(f"/codes/{ticket.id}.svg").status_code == 404
    login(buyer)
    cancelled = client.post(f"/bookings/{booking.reference}/cancel",
                            data={"reason": "Bận việc"})
    assert cancelled.status_code == 303
    db.session.refresh(booking)
    assert (booking.state, booking.cancel_reason) == ("cancelled", "Bận việc")
    assert redemption.current("appointment", booking.id) is None
    assert f'value="{at(10).isoformat()}"' in text(
        client.get(f"{book_url(spa)}?day={DAY.isoformat()}"))  # the time is free again


def test_bad_holds_are_refused_with_a_message_and_hold_nothing(client, db, spa, login, buyer,
                                                               models, make_store):
    login(buyer)
    form = {"store_id": spa.store.id, "day": DAY.isoformat(), "party": "1"}
    for start, status, message in [
            (at(10, 10).isoformat(), 422, "Choose one of the offered start times."),
            (at(8).isoformat(), 422, "The store is closed at this time."),
            ("tomorrow at ten", 422, "Choose one of the offered times."),
            ("2026-12-09T10:00", 422, "Choose one of the offered times.")]:
        refused = client.post(book_url(spa), data={**form, "start": start})
        assert refused.status_code == status, start
        assert message in text(refused), start
    refused = client.post(book_url(spa), data={**form, "party": "3",
                                               "start": at(10).isoformat()})
    assert refused.status_code == 422 and "Choose between 1 and 1 people." in text(refused)
    elsewhere = make_store(spa.merchant)
    db.session.commit()
    assert client.post(book_url(spa), data={**form, "store_id": elsewhere.id,
                                            "start": at(10).isoformat()}).status_code == 404
    assert count(db, models.Booking) == 0
    # A time someone else took meanwhile: 409 with the reason, and the form again.
    other = booking_module("booking").hold(spa.service, spa.store, at(10), customer=buyer)
    db.session.commit()
    taken = client.post(book_url(spa), data={**form, "start": at(10, 30).isoformat()})
    assert taken.status_code == 409
    assert "No suitable table or room is free at this time." in text(taken)
    assert count(db, models.Booking) == 1 and other.state == "held"


def test_customers_change_their_bookings_until_the_cut_off(
        client, db, make_merchant, make_store, make_listing, login, buyer, bookings):
    spa = make_spa(make_merchant, make_store, make_listing, cancel_cutoff_hours=24 * 30,
                   reschedule_cutoff_hours=1)
    booking = confirmed(bookings, spa, buyer, at(10))
    db.session.commit()
    login(buyer)
    # Cancelling is past its cut-off (30 days): refused on the list, with the reason.
    refused = client.post(f"/bookings/{booking.reference}/cancel",
                          data={"back": "list", "reason": "x"})
    assert refused.status_code == 422
    assert "Free cancellation ended 720 hours before the appointment" in text(refused)
    assert "My bookings" in text(refused)
    db.session.refresh(booking)
    assert booking.state == "confirmed"
    # Moving from the list: a typed time off the grid is refused; a free one moves it.
    refused = client.post(f"/bookings/{booking.reference}/reschedule", data={
        "back": "list", "day": DAY.isoformat(), "time": "10:10"})
    assert refused.status_code == 422
    assert "Choose one of the offered start times." in text(refused)
    assert client.post(f"/bookings/{booking.reference}/reschedule", data={
        "back": "list", "day": "someday", "time": "10:00"}).status_code == 422
    db.session.refresh(booking)
    assert booking.starts_at == at(10)
    moved = client.post(f"/bookings/{booking.reference}/reschedule", data={
        "back": "list", "day": DAY.isoformat(), "time": "14:00"})
    assert moved.status_code == 303
    db.session.refresh(booking)
    assert (booking.starts_at, booking.reschedules) == (at(14), 1)
    # From the booking's page: the free times of a day, one chosen.
    page = text(client.get(f"/bookings/{booking.reference}?day={DAY.isoformat()}"))
    assert f'value="{at(16).isoformat()}"' in page and "Free cancellation until" in page
    assert client.post(f"/bookings/{booking.reference}/reschedule",
                       data={"start": at(16).isoformat()}).status_code == 303
    db.session.refresh(booking)
    assert booking.starts_at == at(16)
    upcoming = text(client.get("/bookings"))
    assert "16:00" in upcoming and booking.reference in upcoming


def test_merchants_without_the_plugin_have_no_booking_pages(
        client, db, make_merchant, make_store, make_listing, login, buyer, bookings):
    spa = make_spa(make_merchant, make_store, make_listing)
    booking = confirmed(bookings, spa, buyer, at(10))
    plugin_services.set_enabled(spa.merchant, PLUGIN, False)
    db.session.commit()
    assert client.get(book_url(spa)).status_code == 404
    assert book_url(spa) not in text(client.get(f"/m/{spa.merchant.slug}/l/{spa.listing.slug}"))
    login(buyer)
    assert client.post(book_url(spa), data={"store_id": spa.store.id,
                                            "start": at(11).isoformat()}).status_code == 404
    # The customer keeps seeing what they booked.
    assert client.get(f"/bookings/{booking.reference}").status_code == 200


def test_times_are_shown_on_the_stores_clock_not_the_platforms(
        client, db, spa, dash, login, owner_of, buyer, bookings):
    from zoneinfo import ZoneInfo

    from marketplace.stores.services import update_store

    update_store(spa.store, {"timezone": "Asia/Tokyo"})  # 2 hours ahead of Hồ Chí Minh City
    tokyo = ZoneInfo("Asia/Tokyo")
    ten = datetime(DAY.year, DAY.month, DAY.day, 10, tzinfo=tokyo).astimezone(UTC)
    booking = confirmed(bookings, spa, buyer, ten)
    db.session.commit()
    login(buyer)
    one = datetime(DAY.year, DAY.month, DAY.day, 13, tzinfo=tokyo).astimezone(UTC)
    page = text(client.get(f"{book_url(spa)}?day={DAY.isoformat()}"))
    assert "Asia/Tokyo" in page
    assert re.search(rf'value="{re.escape(one.isoformat())}"[^>]*>\s*13:00–14:00', page)
    shown = text(client.get(f"/bookings/{booking.reference}"))
    when = re.search(r"data-booking-time>(.*?)</dd>", shown, re.DOTALL).group(1)
    assert "10:00–11:00" in when and "Asia/Tokyo" in when
    login(owner_of(spa.merchant).user)
    calendar = text(client.get(f"{dash}/calendar/{spa.store.id}?day={DAY.isoformat()}"))
    assert "10:00–11:00" in calendar and "08:00–09:00" not in calendar
    moved = client.post(f"{dash}/{booking.id}/move", data={"starts_at": local(15)})
    assert moved.status_code == 303
    db.session.refresh(booking)
    assert booking.starts_at == datetime(DAY.year, DAY.month, DAY.day, 15,
                                         tzinfo=tokyo).astimezone(UTC)


def test_the_booking_pages_render_in_a_sandboxed_package_theme(
        make_app, db, spa, buyer, bookings, monkeypatch):
    """A merchant on a third-party theme: its pages render in the sandbox, which refuses
    private attributes, so the booking pages must not need any."""
    from importlib.metadata import EntryPoint

    from marketplace.theming import catalog as theme_catalog
    from tests.support.plugin_apps import english_client, log_in

    hostile = EntryPoint(name="hostile", value="tests.support.themes.hostile",
                         group="marketplace.themes")
    monkeypatch.setattr(theme_catalog, "entry_points", lambda group: [hostile])
    held = bookings.hold(spa.service, spa.store, at(14), customer=buyer)
    booking = confirmed(bookings, spa, buyer, at(10))
    spa.merchant.theme = "hostile"
    db.session.commit()
    app = make_app(PLUGINS_AUTOLOAD=True)
    assert not app.extensions["themes"].themes["hostile"].trusted
    client = log_in(english_client(app), buyer)
    for url, said in ((f"{book_url(spa)}?day={DAY.isoformat()}", ("Hold this time", "Chị Mai",
                                                                   "11:30–12:30")),
                      (f"/bookings/{held.reference}", ("Confirm your booking", "14:00–15:00")),
                      (f"/bookings/{booking.reference}?day={DAY.isoformat()}",
                       ("Your ticket", "Spa Sen Quận 1", "Phòng 1", "11:30–12:30")),
                      ("/bookings", (booking.reference, "Massage 60 phút"))):
        response = client.get(url)
        assert response.status_code == 200, url
        assert all(words in text(response) for words in said), url


# --- CSRF ---------------------------------------------------------------------------------------

def _token(page: str) -> str:
    return CSRF_INPUT.search(page).group(1)


def test_every_form_carries_the_csrf_token_and_a_post_without_it_changes_nothing(
        make_app, db, spa, owner_of, buyer, bookings, models):
    booking = confirmed(bookings, spa, buyer, at(10))
    db.session.commit()
    app = make_app(WTF_CSRF_ENABLED=True)

    def logged_in(user):
        client = app.test_client()
        token = _token(client.get("/login").get_data(as_text=True))
        assert client.post("/login", data={"email": user.email, "csrf_token": token,
                                           "password": "correct horse battery staple"}
                           ).status_code == 303
        return client

    staff = logged_in(owner_of(spa.merchant).user)
    dash = f"/dashboard/{spa.merchant.slug}/bookings"
    for url in (f"{dash}/services/{spa.listing.id}", f"{dash}/stores/{spa.store.id}/resources",
                f"{dash}/resources/{spa.therapists[0].id}",
                f"{dash}/calendar/{spa.store.id}?day={DAY.isoformat()}",
                f"{dash}/calendar/{spa.store.id}?day={DAY.isoformat()}&view=week"):
        html = staff.get(url).get_data(as_text=True)
        # Two forms are the header's (log out, language); the rest are the page's.
        assert html.count('<form method="post"') == html.count('name="csrf_token"') > 2, url
    assert staff.post(f"{dash}/{booking.id}/check_in").status_code == 400
    assert staff.post(f"{dash}/{booking.id}/check_in",
                      data={"csrf_token": "forged"}).status_code == 400
    db.session.refresh(booking)
    assert booking.state == "confirmed"
    calendar = staff.get(f"{dash}/calendar/{spa.store.id}").get_data(as_text=True)
    assert staff.post(f"{dash}/{booking.id}/check_in",
                      data={"csrf_token": _token(calendar)}).status_code == 303
    db.session.refresh(booking)
    assert booking.state == "checked_in"

    customer = logged_in(buyer)
    book = f"/m/{spa.merchant.slug}/book/{spa.listing.slug}"
    form = {"store_id": spa.store.id, "day": DAY.isoformat(), "start": at(14).isoformat()}
    assert customer.post(book, data=form).status_code == 400
    assert count(db, models.Booking) == 1
    page = customer.get(f"{book}?day={DAY.isoformat()}").get_data(as_text=True)
    held = customer.post(book, data={**form, "csrf_token": _token(page)})
    assert held.status_code == 303
    reference = held.headers["Location"].rsplit("/", 1)[1]
    for url, forms in ((f"/bookings/{reference}", 2), ("/bookings", 0)):
        html = customer.get(url).get_data(as_text=True)
        assert html.count('<form method="post"') == html.count('name="csrf_token"') == \
            2 + forms, url
    assert customer.post(f"/bookings/{reference}/confirm").status_code == 400
    assert db.session.scalars(sa.select(models.Booking.state).where(
        models.Booking.reference == reference)).one() == "held"


def test_the_stores_are_listed_nearest_first_once_the_customer_shares_where_they_are(
        client, db, spa, make_store):
    hanoi = make_store(spa.merchant, name="Spa Sen Hoàn Kiếm", latitude=21.0285,
                       longitude=105.8542)
    booking_module("setup").configure_service(spa.listing, {
        "store_ids": [spa.store.id, hanoi.id]})
    plain = text(client.get(book_url(spa)))
    assert "data-locate" in plain and "Nearest first." not in plain
    near = text(client.get(book_url(spa), query_string={"lat": "21.03", "lng": "105.85"}))
    assert "Nearest first." in near
    assert near.index("Spa Sen Hoàn Kiếm") < near.index("Spa Sen Quận 1")
    assert "km" in near[near.index("Spa Sen Quận 1"):]  # about 1,140 km away
    far = text(client.get(book_url(spa), query_string={"lat": "10.78", "lng": "106.70"}))
    assert far.index("Spa Sen Quận 1") < far.index("Spa Sen Hoàn Kiếm")
    broken = client.get(book_url(spa), query_string={"lat": "north", "lng": "1"})
    assert broken.status_code == 200  # a mangled position loses the order only


def test_a_deposit_is_set_up_paid_on_the_booking_page_and_kept_only_as_said(
        client, db, spa, dash, login, owner_of, buyer, bookings, models):
    login(owner_of(spa.merchant).user)
    page = f"{dash}/services/{spa.listing.id}"
    form = {"buffer_after_minutes": "15", "step_minutes": "30", "lead_minutes": "60",
            "needs_staff": "on", "needs_resource": "on", "is_active": "on",
            "store_ids": [str(spa.store.id)], "payment": "deposit"}
    refused = client.post(page, data={**form, "deposit_amount": "300000"})
    assert refused.status_code == 422 and "A deposit is less than the price" in text(refused)
    assert client.post(page, data={**form, "deposit_amount": "100000"}).status_code == 303
    db.session.refresh(spa.service)
    assert (spa.service.payment, spa.service.deposit_amount) == ("deposit", 100000)
    plugin_services.update_merchant_settings(spa.merchant, "payment_vietqr", {
        "bank_bin": "970436", "account_number": "1023456789", "account_name": "Spa Sen"})
    plugin_services.set_enabled(spa.merchant, "payment_vietqr", True)
    booking = bookings.hold(spa.service, spa.store, at(10), customer=buyer)
    db.session.commit()

    login(buyer)
    shown = text(client.get(f"/bookings/{booking.reference}"))
    assert "Pay ₫100,000 now to book" in shown and 'value="vietqr"' in shown
    assert "Confirm (pay at the store)" not in shown
    assert 'value="pay_at_store"' not in shown  # the counter cannot take money ahead
    paying = client.post(f"/bookings/{booking.reference}/pay",
                         data={"payment_provider": "vietqr"})
    assert paying.status_code == 303
    db.session.refresh(booking)
    order = booking.order
    assert paying.headers["Location"].endswith(f"/orders/{order.number}")
    order_page = text(client.get(f"/orders/{order.number}"))
    assert "Appointment, paid ahead" in order_page and "Deposit: Massage 60 phút" in order_page
    assert booking.reference in order_page  # the order links back to its booking
    assert "Cancel this order" not in order_page and "Pickup code" not in order_page
    assert client.post(f"/bookings/{booking.reference}/confirm").status_code == 422
    assert "Waiting for your payment of order" in text(
        client.get(f"/bookings/{booking.reference}"))
    # Staff confirm the transfer; the order's event confirms the booking; the calendar says
    # what is left to take at the counter.
    from marketplace.orders import lifecycle
    from marketplace.orders.audit import Actor
    from marketplace.outbox.services import drain

    lifecycle.payment_received(order, 100000, actor=Actor.staff(owner_of(spa.merchant).user))
    db.session.commit()
    drain()
    db.session.refresh(booking)
    assert booking.state == "confirmed"
    login(owner_of(spa.merchant).user)
    calendar = text(client.get(f"{dash}/calendar/{spa.store.id}?day={DAY.isoformat()}"))
    assert "Paid ahead ₫100,000 · at the counter ₫200,000" in calendar
    assert f'/orders/{order.id}"' in calendar


def test_a_logged_in_customer_finds_my_bookings_in_the_header(client, db, login, buyer):
    assert "My bookings" not in text(client.get("/"))  # nothing of theirs to show yet
    login(buyer)
    home = text(client.get("/"))
    assert 'href="/bookings">My bookings</a>' in home
    assert home.count('href="/bookings">My bookings</a>') == 1


def test_a_group_class_shows_places_left_and_sits_once_on_the_calendar(
        client, db, spa, dash, login, owner_of, bookings, buyer, make_user, make_listing,
        models):
    setup = booking_module("setup")
    listing = make_listing(spa.merchant, kind="service", title="Yoga buổi sáng",
                           duration_minutes=60, price=120000)
    yoga = setup.configure_service(listing, {
        "needs_staff": True, "needs_resource": True, "step_minutes": 60, "seats": 12,
        "party_max": 4, "store_ids": [spa.store.id]})
    teacher, room = spa.therapists[0], spa.rooms[0]
    setup.update_resource(teacher, {"service_ids": [spa.service.id, yoga.id]})
    setup.update_resource(room, {"service_ids": [spa.service.id, yoga.id], "capacity": 12})
    bookings.hold(yoga, spa.store, at(10), customer=buyer, party=3)
    db.session.commit()
    page = text(client.get(f"/m/{spa.merchant.slug}/book/{listing.slug}?day={DAY.isoformat()}"))
    ten = re.search(rf'value="{re.escape(at(10).isoformat())}".*?</label>', page, re.DOTALL)
    assert "9 places left" in ten.group(0)
    assert "12 places left" in page  # 11:00 onwards: a new class would have them all
    assert "Anyone available" not in page  # nobody chooses a class's teacher
    login(make_user(full_name="Lê Văn Cường"))
    held = client.post(f"/m/{spa.merchant.slug}/book/{listing.slug}", data={
        "store_id": spa.store.id, "day": DAY.isoformat(), "staff_id": "", "party": "2",
        "start": at(10).isoformat()})
    assert held.status_code == 303, text(held)
    login(owner_of(spa.merchant).user)
    calendar = text(client.get(f"{dash}/calendar/{spa.store.id}?day={DAY.isoformat()}"))
    column = re.search(rf'data-resource="{teacher.id}">(.*?)</section>', calendar,
                       re.DOTALL).group(1)
    assert column.count("data-session=") == 1 and column.count("data-booking=") == 2
    assert "5 of 12 places taken" in column
    assert "Trần Thị Bình (3), Lê Văn Cường (2)" in column
