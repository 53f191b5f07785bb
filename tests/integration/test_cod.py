"""Cash on delivery: the payment plugin, the cash couriers owe per local day and courier, and
reconciling it (exact to the đồng, a difference explained, never twice, never another
merchant's), through the service, the dashboard page and the API.

Orders are placed through the real delivery checkout with the built-in cash-on-delivery
plugin and the Doorstep test carrier (tests/support/doorstep.py); parcels are walked to the
door with ``shipments.apply`` as staff record it, with the cash collected."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.delivery import cod
from marketplace.delivery import shipments as ship
from marketplace.delivery.cod_models import CodRemittance, CodRemittanceLine
from marketplace.delivery.models import Shipment
from marketplace.errors import Conflict, NotFound, ValidationError
from marketplace.extensions import db
from marketplace.orders.audit import Actor
from marketplace.payments import services as payments
from marketplace.payments.states import PaymentState, RefundState
from marketplace.plugins import services as plugin_services
from marketplace.plugins.manager import current_platform
from marketplace.settlement.models import LedgerEntry
from tests.support import doorstep as doorstep_double
from tests.support.doorstep import COD, HOME, NAME, NEAR_SECOND
from tests.support.shopping import NOW, buy, stock

pytestmark = pytest.mark.usefixtures("english")

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
# Ho Chi Minh City is UTC+7: 16:55 UTC is 23:55 on 2 December there, 17:05 UTC is 00:05 on
# the 3rd (still the 2nd in UTC).
LATE_EVENING = datetime(2026, 12, 2, 16, 55, tzinfo=UTC)
JUST_AFTER_MIDNIGHT = datetime(2026, 12, 2, 17, 5, tzinfo=UTC)
DEC_2, DEC_3 = date(2026, 12, 2), date(2026, 12, 3)


@pytest.fixture
def doorstep(app, register_plugin):
    return doorstep_double.install(app, register_plugin)


@pytest.fixture
def shop(selling_shop, doorstep):
    return doorstep_double.delivering_shop(selling_shop)


def delivery(merchant, address=HOME) -> dict:
    return {"merchant_id": merchant.id, "fulfilment": "delivery", "address": dict(address),
            "carrier": "doorstep", "service": "standard", "payment_provider": "cash_on_delivery"}


def cod_order(buyer, merchant, variant, quantity: int = 1, *, address=HOME):
    return buy(buyer, [(variant, quantity)], [delivery(merchant, address)]).orders[0]


def parcel_of(order) -> Shipment:
    return db.session.scalars(sa.select(Shipment).where(Shipment.order_id == order.id)).one()


def deliver(order, *, at: datetime, cash: int | None = None, rider=None) -> Shipment:
    """Walk the order's parcel to the door as staff record it; the delivery happens ``at``."""
    parcel = parcel_of(order)
    if rider is not None:
        ship.assign_courier(parcel, rider.user_id)
    for minutes, event in ((30, "pick_up"), (20, "forward"), (10, "send_out")):
        ship.apply(parcel, event, source="staff", occurred_at=at - timedelta(minutes=minutes),
                   now=at)
    ship.apply(parcel, "deliver", source="staff", occurred_at=at, now=at,
               cash_collected=order.total if cash is None else cash)
    return parcel


def staff_actor(membership) -> Actor:
    return Actor.staff(membership.user)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def groups_by_key(merchant, **kw) -> dict:
    return {(g.carrier, g.courier_user_id, g.day): g for g in cod.outstanding(merchant.id, **kw)}


# --- the payment plugin -----------------------------------------------------------------------

def test_the_provider_takes_cash_at_the_door_offline_and_refunds_by_hand(
        shop, buyer, owner_of):
    merchant, _stores, listing = shop
    provider = current_platform().payment_providers.get("cash_on_delivery")
    assert provider.plugin == COD and str(provider.label) == "Cash on delivery"
    assert (provider.offline, provider.money_to_merchant, provider.collected_on_delivery,
            provider.confirmed_by_staff) == (True, True, True, False)
    assert provider in payments.usable_providers(merchant, "VND")
    plugin_services.update_merchant_settings(merchant, COD,
                                             {"instructions": "Chuẩn bị tiền lẻ"})
    order = cod_order(buyer, merchant, listing.variants[0])
    (payment,) = order.payments
    assert (order.state, payment.provider, payment.state, payment.amount) == (
        "confirmed", "cash_on_delivery", "pending", order.total)
    assert payment.data == {"instructions": "Chuẩn bị tiền lẻ"}
    assert parcel_of(order).cod_amount == order.total
    # Every step records what people did with the cash; nothing is called.
    assert provider.authorize(payment) == PaymentState.PENDING
    assert provider.capture(payment, order.total) == PaymentState.CAPTURED
    assert provider.void(payment) == PaymentState.CANCELLED
    assert provider.handle_webhook(None) == ("", 404)
    deliver(order, at=NOW + timedelta(hours=3))
    owner = owner_of(merchant)
    cod.reconcile(merchant, carrier="doorstep", courier_user_id=None, day=DEC_2,
                  counted=order.total, shipment_ids=None, actor=staff_actor(owner))
    assert payment.state == "captured" and order.is_paid
    refund = payments.refund(payment, 10000, actor=staff_actor(owner), reason="Hàng lỗi")
    assert (refund.method, refund.state) == ("cash", RefundState.SUCCEEDED)
    assert provider.refund(refund) == RefundState.SUCCEEDED


def test_a_merchant_without_the_plugin_does_not_offer_it(selling_shop, doorstep):
    merchant, _stores, _listing = selling_shop()
    assert "cash_on_delivery" not in {p.identifier for p in
                                      payments.usable_providers(merchant, "VND")}


# --- outstanding cash -------------------------------------------------------------------------

def test_outstanding_cash_is_grouped_by_courier_and_the_stores_local_day(
        shop, buyer, make_member):
    merchant, (first, _second), listing = shop
    rider = make_member(merchant, role="staff")
    variant = listing.variants[0]
    evening = cod_order(buyer, merchant, variant)
    midnight = cod_order(buyer, merchant, variant)
    ridden = cod_order(buyer, merchant, variant, 2)
    deliver(evening, at=LATE_EVENING)
    deliver(midnight, at=JUST_AFTER_MIDNIGHT)  # the 2nd in UTC, the 3rd in the store's zone
    deliver(ridden, at=LATE_EVENING, rider=rider)
    groups = groups_by_key(merchant)
    assert set(groups) == {("doorstep", None, DEC_2), ("doorstep", None, DEC_3),
                           ("doorstep", rider.user_id, DEC_2)}
    assert [g.day for g in cod.outstanding(merchant.id)] == [DEC_2, DEC_2, DEC_3]  # oldest first
    late = groups[("doorstep", None, DEC_2)]
    assert (late.count, late.expected, late.currency) == (1, evening.total, "VND")
    assert [i.shipment.order.number for i in late.items] == [evening.number]
    assert late.items[0].delivered_at == LATE_EVENING
    assert groups[("doorstep", None, DEC_3)].expected == midnight.total
    assert groups[("doorstep", rider.user_id, DEC_2)].expected == ridden.total
    assert groups[("doorstep", rider.user_id, DEC_2)].courier.id == rider.user_id
    # The day is the fulfilling store's: a store keeping UTC sees both on the 2nd.
    first.timezone = "UTC"
    db.session.flush()
    utc = groups_by_key(merchant)
    assert set(utc) == {("doorstep", None, DEC_2), ("doorstep", rider.user_id, DEC_2)}
    assert utc[("doorstep", None, DEC_2)].expected == evening.total + midnight.total


def test_only_delivered_cash_not_yet_reconciled_is_outstanding(shop, buyer, owner_of):
    merchant, _stores, listing = shop
    variant = listing.variants[0]
    on_its_way = cod_order(buyer, merchant, variant)
    parcel = parcel_of(on_its_way)
    for event in ("pick_up", "forward", "send_out"):
        ship.apply(parcel, event, source="staff", now=NOW)
    waiting = cod_order(buyer, merchant, variant)  # still at the store
    done = cod_order(buyer, merchant, variant)
    deliver(done, at=NOW + timedelta(hours=2))
    assert [i.shipment.order_id for g in cod.outstanding(merchant.id) for i in g.items] == [
        done.id]
    assert parcel_of(waiting).state == "created"
    cod.reconcile(merchant, carrier="doorstep", courier_user_id=None, day=DEC_2,
                  counted=done.total, shipment_ids=[parcel_of(done).id],
                  actor=staff_actor(owner_of(merchant)))
    assert cod.outstanding(merchant.id) == []


# --- reconciling ------------------------------------------------------------------------------

def test_reconciling_many_odd_amounts_adds_up_to_the_dong_and_pays_every_order(
        shop, buyer, make_listing, owner_of):
    merchant, (first, _second), _listing = shop
    prices = [10_001 + 791 * i * i + 3 * i for i in range(14)]
    listing = make_listing(merchant, variants=[{"sku": f"ODD-{i}", "price": p}
                                               for i, p in enumerate(prices)])
    orders = []
    for i, variant in enumerate(listing.variants):
        stock(first, variant, 5)
        orders.append(cod_order(buyer, merchant, variant, 1 + i % 3))
    for i, order in enumerate(orders):
        deliver(order, at=NOW + timedelta(minutes=30 + 7 * i))
    totals = [order.total for order in orders]
    assert len(set(totals)) == len(totals) and any(t % 1000 for t in totals)
    (group,) = cod.outstanding(merchant.id)
    assert (group.count, group.expected) == (14, sum(totals))
    owner = owner_of(merchant)
    remittance = cod.reconcile(
        merchant, carrier="doorstep", courier_user_id=None, day=DEC_2, counted=sum(totals),
        shipment_ids=list(reversed(group.shipment_ids)), actor=staff_actor(owner))
    assert (remittance.expected, remittance.counted, remittance.difference) == (
        sum(totals), sum(totals), 0)
    assert remittance.note is None and remittance.actor_id == owner.user_id
    assert remittance.created_at is not None and remittance.day == DEC_2
    assert sorted(line.amount for line in remittance.lines) == sorted(totals)
    assert sum(line.amount for line in remittance.lines) == remittance.expected
    for order in orders:
        (payment,) = order.payments
        assert (payment.state, payment.captured_amount) == ("captured", order.total)
        assert order.is_paid and order.state == "delivered"
    # The ledger books each capture once, collected by the merchant.
    booked = db.session.execute(sa.select(LedgerEntry.gross, LedgerEntry.collected_by).where(
        LedgerEntry.merchant_id == merchant.id, LedgerEntry.kind == "capture")).all()
    assert sorted(g for g, _by in booked) == sorted(totals)
    assert {by for _g, by in booked} == {"merchant"}
    assert cod.outstanding(merchant.id) == []


def test_a_count_that_differs_needs_a_note_and_the_difference_is_recorded(
        shop, buyer, owner_of):
    merchant, _stores, listing = shop
    first, second = (cod_order(buyer, merchant, v) for v in listing.variants)
    deliver(first, at=NOW + timedelta(hours=1))
    deliver(second, at=NOW + timedelta(hours=2))
    owner = owner_of(merchant)
    expected = first.total + second.total
    for counted in (expected - 5_000, expected + 1):
        with pytest.raises(ValidationError) as refused:
            cod.reconcile(merchant, carrier="doorstep", courier_user_id=None, day=DEC_2,
                          counted=counted, shipment_ids=None, actor=staff_actor(owner),
                          note="   ")
        assert "note" in refused.value.fields
    assert "more than the courier collected" in str(refused.value.fields["note"][0])
    assert count(CodRemittance) == 0 and first.payments[0].state == "pending"
    remittance = cod.reconcile(merchant, carrier="doorstep", courier_user_id=None, day=DEC_2,
                               counted=expected - 5_000, shipment_ids=None,
                               actor=staff_actor(owner), note="Thiếu 5.000 đ, tài xế bù mai")
    assert (remittance.expected, remittance.counted, remittance.difference) == (
        expected, expected - 5_000, -5_000)
    assert remittance.note == "Thiếu 5.000 đ, tài xế bù mai"
    # The orders are paid with what the courier collected; the shortfall is the courier's.
    assert first.is_paid and second.is_paid


def test_a_courier_who_collected_less_leaves_the_order_unpaid(shop, buyer, owner_of):
    merchant, _stores, listing = shop
    order = cod_order(buyer, merchant, listing.variants[0])
    deliver(order, at=NOW + timedelta(hours=1), cash=order.total - 20_000)
    cod.reconcile(merchant, carrier="doorstep", courier_user_id=None, day=DEC_2,
                  counted=order.total - 20_000, shipment_ids=None,
                  actor=staff_actor(owner_of(merchant)))
    (payment,) = order.payments
    assert (payment.state, payment.captured_amount) == ("captured", order.total - 20_000)
    assert not order.is_paid


def test_a_second_reconciliation_is_refused_and_changes_nothing(shop, buyer, owner_of):
    merchant, _stores, listing = shop
    order = cod_order(buyer, merchant, listing.variants[0])
    parcel = deliver(order, at=NOW + timedelta(hours=1))
    owner = owner_of(merchant)
    args = {"carrier": "doorstep", "courier_user_id": None, "day": DEC_2,
            "counted": order.total, "shipment_ids": [parcel.id], "actor": staff_actor(owner)}
    cod.reconcile(merchant, **args)
    with pytest.raises(Conflict) as refused:
        cod.reconcile(merchant, **args)
    assert (refused.value.status, refused.value.code) == (409, "cod_already_reconciled")
    with pytest.raises(NotFound):  # nothing left for that courier and day
        cod.reconcile(merchant, **(args | {"shipment_ids": None}))
    assert count(CodRemittance) == 1 and count(CodRemittanceLine) == 1
    (payment,) = order.payments
    assert payment.captured_amount == order.total
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry).where(
        LedgerEntry.payment_id == payment.id)) == 1


def test_the_ids_must_be_exactly_the_groups_outstanding_deliveries(shop, buyer, owner_of):
    merchant, _stores, listing = shop
    variant = listing.variants[0]
    a, b, c = (cod_order(buyer, merchant, variant) for _ in range(3))
    pa, pb = deliver(a, at=NOW + timedelta(hours=1)), deliver(b, at=NOW + timedelta(hours=2))
    pc = deliver(c, at=JUST_AFTER_MIDNIGHT)  # another day
    owner = owner_of(merchant)

    def attempt(ids, counted, day=DEC_2):
        return cod.reconcile(merchant, carrier="doorstep", courier_user_id=None, day=day,
                             counted=counted, shipment_ids=ids, actor=staff_actor(owner))

    for ids, counted in (([pa.id], a.total), ([pa.id, pb.id, pc.id], a.total + b.total +
                                              c.total)):
        with pytest.raises(ValidationError) as refused:
            attempt(ids, counted)
        assert "shipment_ids" in refused.value.fields
    with pytest.raises(ValidationError):  # the right ids, the wrong courier
        cod.reconcile(merchant, carrier="doorstep", courier_user_id=owner.user_id, day=DEC_2,
                      counted=a.total + b.total, shipment_ids=[pa.id, pb.id],
                      actor=staff_actor(owner))
    for bad in ({"day": "2-12-2026"}, {"day": NOW}, {"counted": -1}, {"counted": 1.5},
                {"shipment_ids": ["x"]}, {"shipment_ids": []}, {"courier_user_id": "abc"},
                {"courier_user_id": 2**40}):
        with pytest.raises(ValidationError):
            cod.reconcile(merchant, **({"carrier": "doorstep", "courier_user_id": None,
                                        "day": DEC_2, "counted": 1, "shipment_ids": [pa.id],
                                        "actor": staff_actor(owner)} | bad))
    assert count(CodRemittance) == 0
    assert attempt([pb.id, pa.id], a.total + b.total).expected == a.total + b.total
    assert attempt([pc.id], c.total, day="2026-12-03").day == DEC_3


def test_another_merchants_shipments_are_refused_and_never_shown(
        shop, buyer, selling_shop, owner_of):
    merchant, _stores, listing = shop
    other, _other_stores, other_listing = selling_shop()
    plugin_services.set_enabled(other, NAME, True)
    plugin_services.set_enabled(other, COD, True)
    mine = cod_order(buyer, merchant, listing.variants[0])
    theirs = cod_order(buyer, other, other_listing.variants[0])
    mine_parcel = deliver(mine, at=NOW + timedelta(hours=1))
    their_parcel = deliver(theirs, at=NOW + timedelta(hours=1))
    assert [i.shipment.id for g in cod.outstanding(merchant.id) for i in g.items] == [
        mine_parcel.id]
    owner = owner_of(merchant)
    for ids in ([their_parcel.id], [mine_parcel.id, their_parcel.id], [2**40]):
        with pytest.raises(NotFound):
            cod.reconcile(merchant, carrier="doorstep", courier_user_id=None, day=DEC_2,
                          counted=mine.total + theirs.total, shipment_ids=ids,
                          actor=staff_actor(owner))
    assert theirs.payments[0].state == "pending" and count(CodRemittance) == 0
    made = cod.reconcile(other, carrier="doorstep", courier_user_id=None, day=DEC_2,
                         counted=theirs.total, shipment_ids=None,
                         actor=staff_actor(owner_of(other)))
    assert db.session.scalars(cod.remittances(merchant.id)).all() == []
    with pytest.raises(NotFound):
        cod.get_remittance(merchant.id, made.id)


# --- the dashboard page -----------------------------------------------------------------------

def _dash(merchant) -> str:
    return f"/dashboard/{merchant.slug}/cash-on-delivery"


def test_the_page_lists_the_cash_and_confirming_pays_the_orders(
        shop, buyer, client, login, owner_of, make_member):
    merchant, _stores, listing = shop
    as_owner = login(owner_of(merchant).user)
    rider = make_member(merchant, role="staff")
    order = cod_order(buyer, merchant, listing.variants[0])
    parcel = deliver(order, at=NOW + timedelta(hours=1), rider=rider)
    db.session.commit()
    html = as_owner.get(_dash(merchant)).get_data(as_text=True)
    assert f'href="/dashboard/{merchant.slug}/cash-on-delivery"' in html  # the menu
    assert parcel.reference in html and order.number in html
    assert rider.user.full_name in html and html.count("data-cod-form") == 1
    form = {"carrier": "doorstep", "courier_user_id": str(rider.user_id),
            "day": "2026-12-02", "currency": "VND", "shipment_id": [str(parcel.id)]}
    # A count that differs without a note: the page says why and nothing changes.
    refused = as_owner.post(_dash(merchant), data=form | {"counted": "1.000"})
    assert refused.status_code == 422
    assert "short of what the courier collected" in refused.get_data(as_text=True)
    assert count(CodRemittance) == 0
    typed = f"{order.total:,}".replace(",", ".")  # as a Vietnamese member types it
    done = as_owner.post(_dash(merchant), data=form | {"counted": typed})
    assert done.status_code == 303, done.get_data(as_text=True)
    (remittance,) = db.session.scalars(sa.select(CodRemittance)).all()
    assert (remittance.counted, remittance.courier_user_id) == (order.total, rider.user_id)
    db.session.refresh(order.payments[0])
    assert order.payments[0].state == "captured"
    page = as_owner.get(_dash(merchant)).get_data(as_text=True)
    assert "No cash is outstanding." in page and f'data-remittance="{remittance.id}"' in page
    again = as_owner.post(_dash(merchant), data=form | {"counted": typed})
    assert again.status_code == 409 and count(CodRemittance) == 1


def test_staff_cannot_and_store_limited_managers_only_look_at_their_stores(
        shop, buyer, client, login, make_member):
    merchant, (first, second), listing = shop
    variant = listing.variants[0]
    here = cod_order(buyer, merchant, variant)
    there = cod_order(buyer, merchant, variant, address=NEAR_SECOND)
    assert (here.store_id, there.store_id) == (first.id, second.id)
    deliver(here, at=NOW + timedelta(hours=1))
    theirs = deliver(there, at=NOW + timedelta(hours=1))
    db.session.commit()
    staff = make_member(merchant, role="staff")
    login(staff.user)
    assert client.get(_dash(merchant)).status_code == 403
    assert "cash-on-delivery" not in client.get(
        f"/dashboard/{merchant.slug}/stores").get_data(as_text=True)
    client.post("/logout")
    limited = make_member(merchant, role="manager", stores_=[second])
    login(limited.user)
    html = client.get(_dash(merchant)).get_data(as_text=True)
    assert theirs.reference in html and there.number in html
    assert here.number not in html and "data-cod-form" not in html
    posted = client.post(_dash(merchant), data={
        "carrier": "doorstep", "courier_user_id": "", "day": "2026-12-02", "currency": "VND",
        "shipment_id": [str(theirs.id)], "counted": str(there.total)})
    assert posted.status_code == 403 and count(CodRemittance) == 0


def test_another_merchants_owner_gets_nothing(shop, buyer, selling_shop, client, login,
                                              owner_of):
    merchant, _stores, listing = shop
    order = cod_order(buyer, merchant, listing.variants[0])
    parcel = deliver(order, at=NOW + timedelta(hours=1))
    other, _s, _l = selling_shop()
    db.session.commit()
    login(owner_of(other).user)
    assert client.get(_dash(merchant)).status_code == 404
    html = client.get(_dash(other)).get_data(as_text=True)
    assert parcel.reference not in html
    posted = client.post(_dash(other), data={
        "carrier": "doorstep", "courier_user_id": "", "day": "2026-12-02", "currency": "VND",
        "shipment_id": [str(parcel.id)], "counted": str(order.total)})
    assert posted.status_code == 404 and count(CodRemittance) == 0


def test_the_form_carries_the_csrf_token_and_a_post_without_it_changes_nothing(
        make_app, db, shop, buyer, owner_of):
    merchant, _stores, listing = shop
    order = cod_order(buyer, merchant, listing.variants[0])
    parcel = deliver(order, at=NOW + timedelta(hours=1))
    db.session.commit()
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = CSRF_INPUT.search(client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"email": owner_of(merchant).user.email,
                                       "csrf_token": token,
                                       "password": "correct horse battery staple"}
                       ).status_code == 303
    page = client.get(_dash(merchant)).get_data(as_text=True)
    assert page.count('<form method="post"') == page.count('name="csrf_token"') >= 3
    form = {"carrier": "doorstep", "courier_user_id": "", "day": "2026-12-02",
            "currency": "VND", "shipment_id": [str(parcel.id)], "counted": str(order.total)}
    assert client.post(_dash(merchant), data=form).status_code == 400
    assert client.post(_dash(merchant), data=form | {"csrf_token": "forged"}).status_code == 400
    assert count(CodRemittance) == 0
    token = CSRF_INPUT.search(page).group(1)
    assert client.post(_dash(merchant), data=form | {"csrf_token": token}).status_code == 303
    assert count(CodRemittance) == 1


# --- the API ----------------------------------------------------------------------------------

def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


API = "/api/v1/merchant/cod"


def test_the_api_lists_confirms_and_refuses_twice(shop, buyer, client, api_token, owner_of,
                                                  make_member):
    merchant, _stores, listing = shop
    orders = [cod_order(buyer, merchant, v) for v in listing.variants]
    parcels = [deliver(o, at=NOW + timedelta(hours=i + 1)) for i, o in enumerate(orders)]
    expected = sum(o.total for o in orders)
    db.session.commit()
    token = api_token(owner_of(merchant))
    listed = client.get(f"{API}/outstanding", headers=bearer(token))
    assert listed.status_code == 200
    (group,) = listed.get_json()["items"]
    assert (group["carrier"], group["courier_user_id"], group["day"], group["expected"],
            group["count"]) == ("doorstep", None, "2026-12-02", expected, 2)
    assert {s["reference"] for s in group["shipments"]} == {p.reference for p in parcels}
    assert {s["order_number"] for s in group["shipments"]} == {o.number for o in orders}
    body = {"carrier": "doorstep", "courier_user_id": None, "day": "2026-12-02",
            "counted": expected + 2_000, "shipment_ids": [p.id for p in parcels]}
    refused = client.post(f"{API}/remittances", json=body, headers=bearer(token))
    assert refused.status_code == 422 and "note" in refused.get_json()["errors"]
    assert refused.mimetype == "application/problem+json"
    made = client.post(f"{API}/remittances", json=body | {"note": "Khách bo 2.000"},
                       headers=bearer(token))
    assert made.status_code == 201, made.get_json()
    answer = made.get_json()
    assert (answer["expected"], answer["counted"], answer["difference"], answer["note"]) == (
        expected, expected + 2_000, 2_000, "Khách bo 2.000")
    assert sorted(line["amount"] for line in answer["lines"]) == sorted(o.total for o in orders)
    assert all(line["payment_id"] for line in answer["lines"])
    twice = client.post(f"{API}/remittances", json=body | {"note": "x"}, headers=bearer(token))
    assert (twice.status_code, twice.get_json()["code"]) == (409, "cod_already_reconciled")
    history = client.get(f"{API}/remittances", headers=bearer(token)).get_json()
    assert [r["id"] for r in history["items"]] == [answer["id"]]
    assert client.get(f"{API}/outstanding", headers=bearer(token)).get_json()["items"] == []
    staff = api_token(make_member(merchant, role="staff"))
    assert client.get(f"{API}/outstanding", headers=bearer(staff)).status_code == 403
    assert client.get(f"{API}/outstanding").status_code == 401


def test_the_api_keeps_merchants_and_stores_apart(shop, buyer, selling_shop, client,
                                                  api_token, owner_of, make_member):
    merchant, (_first, second), listing = shop
    order = cod_order(buyer, merchant, listing.variants[0])
    parcel = deliver(order, at=NOW + timedelta(hours=1))
    other, _s, _l = selling_shop()
    limited = make_member(merchant, role="manager", stores_=[second])
    db.session.commit()
    stranger = api_token(owner_of(other))
    assert client.get(f"{API}/outstanding", headers=bearer(stranger)).get_json()["items"] == []
    body = {"carrier": "doorstep", "day": "2026-12-02", "counted": order.total,
            "shipment_ids": [parcel.id]}
    response = client.post(f"{API}/remittances", json=body, headers=bearer(stranger))
    assert response.status_code == 404
    own_store_only = api_token(limited)
    assert client.get(f"{API}/outstanding",
                      headers=bearer(own_store_only)).get_json()["items"] == []
    assert client.post(f"{API}/remittances", json=body,
                       headers=bearer(own_store_only)).status_code == 403
    bad = client.post(f"{API}/remittances", json=body | {"counted": "lots"},
                      headers=bearer(api_token(owner_of(merchant))))
    assert bad.status_code == 422 and "counted" in bad.get_json()["errors"]
    assert count(CodRemittance) == 0
