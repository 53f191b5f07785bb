"""The demo marketplace: idempotent, believable, complete, and browsable.

The demo loads into a database of its own (module scope, loaded once), because it commits and
would otherwise show up in every other test's pages.
"""

from __future__ import annotations

import contextlib
import importlib
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.accounts import services as accounts
from marketplace.catalog.models import Listing, Variant
from marketplace.cli import main as cli
from marketplace.demo import load_demo_data
from marketplace.demo import shops as spec
from marketplace.demo.loader import demo_quantity
from marketplace.extensions import db
from marketplace.inventory.models import StockLevel
from marketplace.merchants.models import Membership, Merchant
from marketplace.plugins.testing_support import base_config
from marketplace.stores.models import Store, StoreException
from tests.support import databases

# Rough boxes around the two cities: every demo store must be in one of them.
CITY_BOXES = {spec.HCM: ((10.70, 10.90), (106.60, 106.80)),
              spec.HN: ((20.98, 21.08), (105.76, 105.87))}


@pytest.fixture(scope="module")
def demo(request, tmp_path_factory):
    """An app on a fresh database with the demo loaded once (committed), then again via CLI."""
    tmp = tmp_path_factory.mktemp("demo")
    if request.config.getoption("--db") == "postgres":
        database = databases.fresh_postgres("demo")
    else:
        database = contextlib.nullcontext(f"sqlite:///{tmp / 'demo.sqlite3'}")
    with database as url:
        app = create_app(base_config(url, tmp))
        with app.app_context():
            upgrade(revision="heads")
            first = load_demo_data()
            db.session.commit()
            db.session.remove()
        second = app.test_cli_runner().invoke(cli, ["demo-data"])
        yield app, first, second
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def demo_db(demo):
    app, *_ = demo
    with app.app_context():
        yield db
        db.session.rollback()
        db.session.remove()


def test_loading_twice_creates_and_changes_nothing(demo):
    app, first, second = demo
    assert first.created["merchants"] == 6 and first.created["listings"] == first.totals[
        "listings"]
    assert second.exit_code == 0, second.output
    assert "Nothing new" in second.output
    with app.app_context():
        third = load_demo_data()
        assert not third.created_anything
        assert third.totals == first.totals
        db.session.rollback()


def test_volumes(demo):
    _app, first, _second = demo
    totals = first.totals
    assert totals["merchants"] >= 5
    assert totals["stores"] >= 20
    assert totals["listings"] >= 200
    assert totals["variants"] > totals["listings"]
    assert totals["stock_levels"] > 1000


def test_describe_prints_every_login_and_the_counts(demo):
    _app, first, second = demo
    text = first.describe()
    for email in (spec.ADMIN["email"], spec.CONSUMER["email"], "quanly.moclan@demo.o2o.example",
                  "nhanvien.dongkhoi@demo.o2o.example", *map(spec.owner_email, spec.SHOPS)):
        assert email in text
    assert spec.ADMIN_PASSWORD in text and spec.DEMO_PASSWORD in text
    assert f"{first.totals['listings']} listings" in text
    assert "existing account" in second.output  # the second run did not reset passwords


def test_demo_logins_work(demo_db):
    admin = accounts.authenticate(email=spec.ADMIN["email"], password=spec.ADMIN_PASSWORD)
    assert admin.is_platform_admin
    owner = accounts.authenticate(email=spec.owner_email(spec.SHOPS[0]),
                                  password=spec.DEMO_PASSWORD)
    assert not owner.is_platform_admin
    consumer = accounts.authenticate(email=spec.CONSUMER["email"], password=spec.DEMO_PASSWORD)
    assert consumer.memberships == []


def test_merchants_are_approved_vietnamese_shops(demo_db):
    merchants = {m.slug: m for m in demo_db.session.scalars(sa.select(Merchant))}
    assert set(merchants) == {shop.slug for shop in spec.SHOPS}
    assert all(m.status == "approved" and m.default_currency == "VND" for m in merchants.values())
    assert merchants["moc-lan"].name == "Thời Trang Mộc Lan"
    for merchant in merchants.values():
        roles = sorted(m.role for m in merchant.memberships)
        assert roles.count("owner") == 1


def test_staff_roles_and_store_limits(demo_db):
    rows = demo_db.session.execute(
        sa.select(Membership, Merchant.slug).join(Merchant)
        .where(Membership.role != "owner")).all()
    by_email = {m.user.email: (m, slug) for m, slug in rows}
    manager, shop = by_email["quanly.moclan@demo.o2o.example"]
    assert (manager.role, manager.all_stores, shop) == ("manager", True, "moc-lan")
    staff, shop = by_email["nhanvien.dongkhoi@demo.o2o.example"]
    assert (staff.role, staff.all_stores, shop) == ("staff", False, "moc-lan")
    assert [s.slug for s in staff.stores] == ["dong-khoi"]


def test_stores_are_real_places_with_hours(demo_db):
    stores = list(demo_db.session.scalars(sa.select(Store)))
    assert len(stores) >= 20
    assert {s.city for s in stores} == {spec.HCM, spec.HN}
    districts = {s.district for s in stores}
    assert {"Quận 1", "Quận 3", "Bình Thạnh", "Phú Nhuận", "Thủ Đức", "Hoàn Kiếm", "Ba Đình",
            "Cầu Giấy", "Đống Đa", "Tây Hồ"} <= districts
    for store in stores:
        (lat_low, lat_high), (lon_low, lon_high) = CITY_BOXES[store.city]
        assert lat_low < store.latitude < lat_high and lon_low < store.longitude < lon_high, \
            store.name
        assert store.hours, f"{store.name} has no opening hours"
        assert store.phone and store.timezone == "Asia/Ho_Chi_Minh"
    assert any(s.pickup_enabled for s in stores) and not all(s.pickup_enabled for s in stores)


def test_hours_tell_the_shops_apart(demo_db):
    def hours(slug):
        store = demo_db.session.scalars(sa.select(Store).where(Store.slug == slug)).one()
        return {(i.weekday, i.opens.strftime("%H:%M"), i.closes.strftime("%H:%M"), i.overnight)
                for i in store.hours}

    assert (0, "06:30", "22:30", False) in hours("nguyen-hue")            # coffee chain
    assert (4, "06:30", "02:00", True) in hours("bui-vien")               # late-night store
    assert not any(day == 0 for day, *_ in hours("le-van-sy"))            # spa: closed Monday
    assert {day for day, *_ in hours("le-van-sy")} == {1, 2, 3, 4, 5, 6}
    tet = set(demo_db.session.scalars(
        sa.select(StoreException.date).where(StoreException.closed.is_(True))))
    assert {date(2027, 2, 6), date(2027, 2, 7)} <= tet


def test_listings_have_the_expected_shapes(demo_db):
    listings = list(demo_db.session.scalars(sa.select(Listing)))
    assert len(listings) >= 200
    assert all(listing.status == "published" and listing.currency == "VND"
               for listing in listings)
    kinds = {kind: [x for x in listings if x.kind == kind]
             for kind in ("product", "service", "voucher")}
    assert all(s.duration_minutes for s in kinds["service"]) and len(kinds["service"]) >= 20
    voucher = next(v for v in kinds["voucher"] if v.merchant.slug == "moc-lan"
                   and v.voucher_kind == "percent")
    assert voucher.voucher_value == 30 and "chỉ tại cửa hàng" in voucher.tags
    shirt = next(x for x in kinds["product"] if x.slug == "ao-so-mi-linen-tay-dai")
    assert {tuple(v.options) for v in shirt.variants} == {("Kích cỡ", "Màu")}
    assert len(shirt.variants) == 8
    phone = next(x for x in kinds["product"] if x.slug == "dien-thoai-iphone-16")
    prices = {v.options["Dung lượng"]: v.price for v in phone.variants}
    assert prices == {"128GB": 22990000, "256GB": 25990000}
    latte = next(x for x in kinds["product"] if x.slug == "latte")
    assert sorted(v.price for v in latte.variants) == [49000, 55000, 59000]
    assert all(v.price % 1000 == 0 for x in listings for v in x.variants)  # believable VND


def test_stock_is_deterministic_and_matches_the_seed(demo_db):
    rows = demo_db.session.execute(
        sa.select(Variant.sku, Store.slug, StockLevel.on_hand, Listing.category_id)
        .join(Variant, Variant.id == StockLevel.variant_id)
        .join(Store, Store.id == StockLevel.store_id)
        .join(Listing, Listing.id == Variant.listing_id)).all()
    categories = {shop.key: shop.category for shop in spec.SHOPS}
    for sku, store_slug, on_hand, _category in rows[:: max(len(rows) // 200, 1)]:
        assert on_hand == demo_quantity(categories[sku.split("-")[0]], sku, store_slug)
    assert any(0 < on_hand <= 3 for _s, _st, on_hand, _c in rows)  # some "only N left"
    assert min(on_hand for _s, _st, on_hand, _c in rows) > 0       # no empty rows created


def test_the_storefront_shows_the_demo(demo):
    app, *_ = demo
    client = app.test_client()
    home = client.get("/", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    for shop in spec.SHOPS:
        assert shop.name.replace("&", "&amp;") in home
    page = client.get("/m/sao-viet/l/dien-thoai-iphone-16",
                      headers={"Accept-Language": "vi"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "22.990.000\xa0₫" in html and "Sao Việt Thái Hà" in html
    store = client.get("/m/suong-som/s/bui-vien", headers={"Accept-Language": "en"})
    assert "06:30 – 02:00 (next day)" in store.get_data(as_text=True)


def test_every_shop_takes_cards_and_the_transfer_shop_has_its_payout_account(demo_db):
    from marketplace.plugins.models import MerchantPlugin
    from marketplace.settlement.payout_accounts import account_for

    merchants = {m.slug: m for m in demo_db.session.scalars(sa.select(Merchant))}
    cards = set(demo_db.session.scalars(sa.select(MerchantPlugin.merchant_id).where(
        MerchantPlugin.plugin_name == "payment_stripe", MerchantPlugin.enabled)))
    assert cards == {m.id for m in merchants.values()}
    account = account_for(merchants["suong-som"].id, "VND")
    assert (account.bank_code, account.account_number, account.holder) == (
        "970436", "1023456789", "CONG TY TNHH SUONG SOM")
    assert account_for(merchants["moc-lan"].id, "VND") is None


def test_two_shops_deliver_with_their_riders_and_cash_on_delivery(demo_db):
    from marketplace.delivery import planning
    from marketplace.delivery.models import Shipment
    from marketplace.delivery.shipments import riders
    from marketplace.inventory.models import StockLevel

    shop = demo_db.session.scalars(sa.select(Merchant).where(
        Merchant.slug == "sao-viet")).one()
    store = demo_db.session.scalars(sa.select(Store).where(
        Store.merchant_id == shop.id, Store.slug == "dien-bien-phu")).one()
    level = demo_db.session.scalars(sa.select(StockLevel).where(
        StockLevel.store_id == store.id, StockLevel.on_hand >= 1)
        .order_by(StockLevel.id)).first()
    near = {"recipient_name": "Khách demo", "phone": "0901 234 567", "line": "1 Lê Duẩn",
            "ward": None, "district": store.district, "city": store.city,
            "latitude": store.latitude + 0.003, "longitude": store.longitude}
    # A Tuesday 10:00 in Hồ Chí Minh City: same day and express, cash at the door.
    plan = planning.plan(shop, [(level.variant, 1)], address=near, currency="VND",
                         cash_on_delivery=True, now=datetime(2026, 12, 15, 3, 0, tzinfo=UTC))
    assert plan.parcels[0].store.id == store.id
    services = {(o.carrier, o.service) for o in plan.offers}
    assert services == {("local_courier", "same_day"), ("local_courier", "express")}
    assert all(o.cash_on_delivery and o.inspect_before_accept for o in plan.offers)
    shipment = Shipment(merchant_id=shop.id, store_id=store.id)  # who may ride from there
    names = {m.user.full_name for m in riders(shipment)}
    assert "Phan Văn Tài" in names


# -- the booking plugin's demo rows (marketplace_demo_data) ----------------------------------

SPA = "lua-spa"
# Monday 2026-12-14, 08:00 in Hồ Chí Minh City: the spa is closed on Mondays, so the next
# open day is Tuesday the 15th (no holiday at any of its stores).
MONDAY_MORNING = datetime(2026, 12, 14, 1, 0, tzinfo=UTC)
MONDAY, TUESDAY = date(2026, 12, 14), date(2026, 12, 15)


def booking(name: str):
    """A module of the built-in booking plugin, as the platform imported it."""
    return importlib.import_module(f"marketplace_builtins.booking_appointments.{name}")


def spa_services(session) -> dict[str, object]:
    """The spa's published services by title."""
    merchant = session.scalars(sa.select(Merchant).where(Merchant.slug == SPA)).one()
    return {listing.title: listing for listing in session.scalars(sa.select(Listing).where(
        Listing.merchant_id == merchant.id, Listing.kind == "service",
        Listing.status == "published"))}


def spa_store(session, slug: str = "le-van-sy") -> Store:
    return session.scalars(sa.select(Store).where(Store.slug == slug)).one()


def test_the_demo_spa_has_switched_the_booking_plugin_on(demo_db):
    from marketplace.plugins.manager import current_platform

    merchant = demo_db.session.scalars(sa.select(Merchant).where(Merchant.slug == SPA)).one()
    assert "booking_appointments" in current_platform().merchant_enabled(merchant)
    others = demo_db.session.scalars(sa.select(Merchant).where(Merchant.slug != SPA))
    assert not any("booking_appointments" in current_platform().merchant_enabled(m)
                   for m in others)


def test_every_spa_service_is_set_up_with_staff_and_rooms_at_every_store(demo_db):
    setup = booking("setup")
    resources = booking("booking")
    services = spa_services(demo_db.session)
    assert len(services) >= 20
    stores = {s.slug for s in demo_db.session.scalars(sa.select(Store).join(Merchant).where(
        Merchant.slug == SPA))}
    for title, listing in services.items():
        service = setup.setup_of(listing)
        assert service is not None and service.is_active, title
        assert (service.step_minutes, service.lead_minutes, service.horizon_days) == (30, 60, 30)
        assert {s.slug for s in service.stores} == stores, title
        for store in service.stores:  # someone (and a room, if it takes one) at every store
            serving = resources.setup_resources(service, store)
            assert any(r.is_staff for r in serving), (title, store.slug)
            assert any(not r.is_staff for r in serving) == service.needs_resource, title
    # A massage takes a therapist and a room; a haircut or nails a person only.
    assert setup.setup_of(services["Massage Thái truyền thống"]).needs_resource
    assert setup.setup_of(services["Massage Thái truyền thống"]).buffer_after_minutes == 15
    assert not setup.setup_of(services["Cắt tóc nam"]).needs_resource
    assert not setup.setup_of(services["Sơn gel tay"]).needs_resource


def test_every_spa_store_has_staff_on_shifts_and_three_rooms(demo_db):
    from marketplace.stores.hours import Schedule

    models = booking("models")
    stores = list(demo_db.session.scalars(sa.select(Store).join(Merchant).where(
        Merchant.slug == SPA)))
    assert len(stores) == 3
    for store in stores:
        rows = list(demo_db.session.scalars(sa.select(models.Resource).where(
            models.Resource.store_id == store.id)))
        staff = [r for r in rows if r.is_staff]
        rooms = sorted(r.capacity for r in rows if not r.is_staff)
        assert 3 <= len(staff) <= 4 and rooms == [1, 1, 2], store.slug
        opening = Schedule.for_store(store).weekly
        shifts = set()
        for person in staff:
            assert person.hours, person.name  # hours of their own, not "whenever open"
            for row in person.hours:
                assert row.weekday != 0, person.name  # the spa is closed on Mondays
                assert any(i.opens <= row.opens and row.closes <= i.closes
                           for i in opening[row.weekday]), person.name
            shifts.add(tuple((h.weekday, h.opens, h.closes) for h in person.hours))
        assert len(shifts) == len(staff), store.slug  # nobody shares a shift


def test_a_massage_has_free_times_on_the_next_open_day(demo_db):
    setup = booking("setup")
    slots_of = booking("booking").day_slots
    massage = setup.setup_of(spa_services(demo_db.session)["Massage body tinh dầu thư giãn"])
    store = spa_store(demo_db.session)
    assert slots_of(massage, store, MONDAY, now=MONDAY_MORNING) == []  # closed on Mondays
    slots = slots_of(massage, store, TUESDAY, now=MONDAY_MORNING)
    assert len(slots) >= 10
    assert all(slot.staff_ids and slot.resource_ids for slot in slots)  # a therapist, a room
    # The morning and the evening therapist are different people.
    assert set(slots[0].staff_ids) != set(slots[-1].staff_ids)


def test_a_spa_service_page_has_the_book_button(demo):
    app, *_ = demo
    client = app.test_client()
    page = client.get("/m/lua-spa/l/massage-thai-truyen-thong",
                      headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "data-book" in html and "/m/lua-spa/book/massage-thai-truyen-thong" in html
    assert client.get("/m/lua-spa/book/massage-thai-truyen-thong").status_code == 200


def test_the_couple_package_takes_two_a_couple_room_and_a_deposit(demo_db):
    models = booking("models")
    setup = booking("setup")
    prepay = booking("prepay")
    services = spa_services(demo_db.session)
    couple_listing = services["Gói thư giãn cặp đôi 120 phút"]
    couple = setup.setup_of(couple_listing)
    assert (couple.party_min, couple.party_max, couple.needs_resource) == (2, 2, True)
    assert (couple.payment, couple.deposit_amount) == ("deposit", 300000)
    assert prepay.due_ahead(couple, setup.service_price(couple_listing)) == 300000
    assert "đặt cọc 300.000₫" in couple_listing.description  # its text says so, too
    massage_listing = services["Massage body đá nóng"]
    massage = setup.setup_of(massage_listing)
    assert prepay.due_ahead(massage, setup.service_price(massage_listing)) == 0  # at the spa
    slots = booking("booking").day_slots(couple, spa_store(demo_db.session), TUESDAY,
                                         now=MONDAY_MORNING, party=2)
    rooms = {demo_db.session.get(models.Resource, i) for slot in slots
             for i in slot.resource_ids}
    assert slots and {(r.name, r.capacity) for r in rooms} == {("Phòng đôi", 2)}


def test_loading_again_creates_and_changes_no_booking_rows(demo):
    from marketplace.plugins.models import MerchantPlugin

    app, *_ = demo
    models = booking("models")
    tables = [models.ServiceSetup.__table__, models.Resource.__table__,
              models.WorkingHours.__table__, models.resource_services, models.service_stores,
              MerchantPlugin.__table__]

    def rows():  # every column of every row: a replaced or edited row shows too
        return [sorted(map(tuple, db.session.execute(sa.select(t)).all()), key=repr)
                for t in tables]

    with app.app_context():
        before = rows()
        assert all(before)
        load_demo_data()
        assert rows() == before
        db.session.rollback()

