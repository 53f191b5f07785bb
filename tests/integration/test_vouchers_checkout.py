"""Vouchers at checkout: priced by the core's ``marketplace_price_lines`` from the codes the
customer chose, used when the order is placed, given back when it comes to nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.orders import codes, lifecycle
from marketplace.orders.audit import Actor
from marketplace.orders.models import AuditEntry, Order
from marketplace.orders.pricing import PricedLine, price
from marketplace.plugins import PluginInfo, hookimpl
from marketplace.plugins.hookspecs import PriceAdjustment
from marketplace.vouchers import claims, services
from tests.support.shopping import NOW, buy, pickup_choice, slot_at, stock
from tests.support.vouchers import claimed, running_campaign

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def shop(selling_shop, owner_of):
    merchant, stores, listing = selling_shop()
    return {"merchant": merchant, "store": stores[0], "listing": listing,
            "owner": owner_of(merchant).user}


def _choice(shop, code=None):
    choice = pickup_choice(shop["merchant"], shop["store"], slot_at(shop["store"]))
    return choice | ({"voucher_code": code} if code else {})


def _refused(user, items, choices) -> ValidationError:
    """A checkout that must fail, undone as the view would (the cart too)."""
    savepoint = db.session.begin_nested()
    with pytest.raises(ValidationError) as caught:
        buy(user, items, choices)
    savepoint.rollback()
    return caught.value


def _orders() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order))


def test_a_voucher_prices_the_order_is_used_by_it_and_comes_back_on_cancel(shop, buyer):
    campaign = running_campaign(shop["merchant"], shop["owner"], channel="online")
    voucher, code = claimed(campaign, buyer)
    first_code = claims.code_of(voucher)
    m = shop["listing"].variants[0]
    order = buy(buyer, [(m, 2)], [_choice(shop, codes.display(code))]).orders[0]
    assert (order.subtotal, order.adjustments_total, order.total) == (300_000, -90_000, 210_000)
    [adjustment] = order.adjustments
    assert (adjustment.code, adjustment.label, adjustment.amount) == \
        (f"voucher:{voucher.id}", campaign.name, -90_000)
    assert (voucher.state, voucher.order_id, voucher.bill_amount, voucher.discount,
            voucher.redeemed_store_id) == ("applied", order.id, 300_000, 90_000,
                                           shop["store"].id)
    assert (first_code.state, first_code.redeemed_store_id, first_code.redeemed_by_id) == \
        ("redeemed", shop["store"].id, None)
    lifecycle.cancel_by_customer(order, buyer, now=NOW)
    db.session.refresh(voucher)
    assert (voucher.state, voucher.order_id, voucher.discount) == ("available", None, None)
    fresh = claims.code_of(voucher)
    assert fresh.id != first_code.id and fresh.state == "active"
    assert (fresh.valid_from, fresh.valid_until) == (campaign.starts_at, campaign.ends_at)
    trail = [(e.entity, e.event, e.to_state) for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.order_id == order.id,
                                    AuditEntry.entity == "voucher").order_by(AuditEntry.id))]
    assert trail == [("voucher", "apply", "applied"), ("voucher", "restore", "available")]
    # Given back, it is as good as new: another order can use it.
    again = buy(buyer, [(m, 1)], [_choice(shop, claims.wallet_entry(voucher)["code"])])
    assert again.orders[0].total == 105_000


def test_a_used_or_foreign_voucher_is_refused_and_nothing_is_placed(shop, buyer, make_user):
    campaign = running_campaign(shop["merchant"], shop["owner"], per_customer_limit=1)
    voucher, code = claimed(campaign, buyer)
    m = shop["listing"].variants[0]
    buy(buyer, [(m, 1)], [_choice(shop, code)])
    used = _refused(buyer, [(m, 1)], [_choice(shop, code)])
    assert used.fields == {"orders[0].voucher_code": ["This voucher was already used."]}
    foreign = _refused(make_user(), [(m, 1)], [_choice(shop, code)])
    assert foreign.fields == {
        "orders[0].voucher_code": ["This voucher is not in your wallet for this shop."]}
    assert _orders() == 1


def test_an_in_store_voucher_or_a_short_cart_is_refused_with_the_reason(shop, buyer):
    m = shop["listing"].variants[0]
    in_store = running_campaign(shop["merchant"], shop["owner"], channel="in_store")
    _v, code = claimed(in_store, buyer)
    refused = _refused(buyer, [(m, 1)], [_choice(shop, code)])
    assert refused.fields["orders[0].voucher_code"] == [
        "This voucher can only be used in store."]
    spend = running_campaign(shop["merchant"], shop["owner"], discount_kind="amount",
                             percent=None, amount=50_000, min_spend=400_000)
    voucher, code = claimed(spend, buyer)
    short = _refused(buyer, [(m, 2)], [_choice(shop, code)])
    assert "400" in short.fields["orders[0].voucher_code"][0]
    db.session.refresh(voucher)
    assert _orders() == 0 and voucher.state == "available"


def test_only_eligible_lines_count(shop, buyer, make_listing):
    """A campaign on the "shoes" category: only the shoes count, for the minimum spend too."""
    other = make_listing(shop["merchant"], category="shoes")
    for variant in other.variants:
        stock(shop["store"], variant, 5)
    campaign = running_campaign(shop["merchant"], shop["owner"], discount_kind="amount",
                                percent=None, amount=50_000, min_spend=200_000,
                                category_ids=[other.category_id])
    _v, code = claimed(campaign, buyer)
    mine, theirs = shop["listing"].variants[0], other.variants[0]
    _refused(buyer, [(mine, 2), (theirs, 1)], [_choice(shop, code)])  # 150 000 eligible
    order = buy(buyer, [(mine, 1), (theirs, 2)], [_choice(shop, code)]).orders[0]
    assert (order.subtotal, order.total) == (450_000, 400_000)


def test_a_free_item_online_must_be_in_the_order(shop, buyer):
    m, l_size = shop["listing"].variants
    campaign = running_campaign(shop["merchant"], shop["owner"], discount_kind="free_item",
                                percent=None, free_variant_id=l_size.id)
    _v, code = claimed(campaign, buyer)
    missing = _refused(buyer, [(m, 1)], [_choice(shop, code)])
    assert "to your order to get it free" in missing.fields["orders[0].voucher_code"][0]
    order = buy(buyer, [(m, 1), (l_size, 2)], [_choice(shop, code)]).orders[0]
    [adjustment] = order.adjustments
    assert (adjustment.amount, adjustment.line_key) == (-170_000, f"v{l_size.id}")
    assert order.total == 150_000 + 170_000


def test_a_partial_pickup_is_priced_again_with_its_voucher(shop, buyer):
    campaign = running_campaign(shop["merchant"], shop["owner"])
    _v, code = claimed(campaign, buyer)
    m = shop["listing"].variants[0]
    order = buy(buyer, [(m, 2)], [_choice(shop, code)]).orders[0]
    staff = Actor.staff(shop["owner"])
    lifecycle.mark_ready(order, actor=staff)
    lifecycle.collect(order, actor=staff, code=codes.pickup_code(order),
                      quantities={order.lines[0].id: 1}, payment_taken=True)
    assert order.settled_total == 105_000  # 150 000 less 30 %
    settled = [a for a in order.adjustments if a.settled]
    assert [(a.code, a.amount) for a in settled] == [(f"voucher:{_v.id}", -45_000)]


def test_an_order_ending_unfulfilled_gives_the_voucher_back_or_cancels_it(shop, buyer):
    campaign = running_campaign(shop["merchant"], shop["owner"], per_customer_limit=2)
    given_back, code = claimed(campaign, buyer)
    m = shop["listing"].variants[0]
    first = buy(buyer, [(m, 1)], [_choice(shop, code)]).orders[0]
    assert lifecycle.expire(first.id, now=first.expires_at + timedelta(minutes=1)) == "no_show"
    db.session.refresh(given_back)
    assert given_back.state == "available"
    on_order, code = claimed(campaign, buyer)
    second = buy(buyer, [(m, 1)], [_choice(shop, code)]).orders[0]
    services.change_state(campaign, "end", actor=Actor.staff(shop["owner"]), now=NOW)
    db.session.refresh(given_back)
    db.session.refresh(on_order)
    # Ending the campaign cancels what nobody used; the voucher on an open order stays.
    assert (given_back.state, on_order.state) == ("cancelled", "applied")
    lifecycle.cancel_by_customer(second, buyer, now=NOW)
    db.session.refresh(on_order)
    assert on_order.state == "cancelled"  # nothing to give back to: the campaign is over
    assert claims.code_of(on_order).state == "redeemed"  # and no new code


def test_the_pricing_hook_takes_the_codes(shop, buyer, register_plugin):
    """``marketplace_price_lines`` gets the chosen codes; an implementation written before
    the parameter existed still runs."""
    seen = []

    class Older:
        PLUGIN = PluginInfo(name="older_pricing", version="1.0.0", category="marketing",
                            description="Prices without codes (test plugin).")

        @hookimpl
        def marketplace_price_lines(self, lines, currency):
            seen.append(("older", len(lines)))

    class Newer:
        PLUGIN = PluginInfo(name="newer_pricing", version="1.0.0", category="marketing",
                            description="Reads the codes (test plugin).")

        @hookimpl
        def marketplace_price_lines(self, lines, codes):
            seen.append(("newer", list(codes)))
            return [PriceAdjustment("bag", "Túi giấy", 2_000)] if codes else None

    for plugin in (Older(), Newer()):
        register_plugin(plugin, enable_for=[shop["merchant"]])
    campaign = running_campaign(shop["merchant"], shop["owner"])
    _v, code = claimed(campaign, buyer)
    m = shop["listing"].variants[0]
    lines = [PricedLine(key=f"v{m.id}", variant=m, quantity=1, unit_price=m.price)]
    pricing = price(shop["merchant"], lines, currency="VND", customer=buyer, codes=[code])
    assert sorted(a.code for a in pricing.adjustments) == ["bag", f"voucher:{_v.id}"]
    assert pricing.total == 150_000 - 45_000 + 2_000
    assert ("older", 1) in seen and ("newer", [code]) in seen


def test_the_checkout_page_offers_the_wallet_and_shows_the_discount(client, shop, buyer,
                                                                     login):
    campaign = running_campaign(shop["merchant"], shop["owner"], ends_at=NOW + timedelta(
        days=3650))
    voucher, _code = claimed(campaign, buyer)
    shown = claims.wallet_entry(voucher)["code"]
    db.session.commit()
    login(buyer)
    merchant = shop["merchant"]
    client.post("/cart/items", data={"variant_id": shop["listing"].variants[0].id,
                                     "quantity": 2})
    page = client.get("/checkout").get_data(as_text=True)
    assert f'<option value="{shown}"' in page and campaign.name in page
    version = re.search(r'name="cart_version" value="([^"]+)"', page).group(1)
    form = {"cart_version": version, f"include_{merchant.id}": "1",
            f"fulfilment_{merchant.id}": "pickup", f"store_{merchant.id}": shop["store"].id,
            f"provider_{merchant.id}": "pay_at_store", f"voucher_{merchant.id}": shown,
            "idempotency_key": "k" * 32}
    refreshed = client.post("/checkout", data=form | {"action": "refresh"})
    assert "data-voucher-discount" in refreshed.get_data(as_text=True)
    slot = re.search(rf'name="slot_{merchant.id}" value="([^"]+)"',
                     refreshed.get_data(as_text=True)).group(1)
    placed = client.post("/checkout", data=form | {"action": "place",
                                                   f"slot_{merchant.id}": slot})
    assert placed.status_code == 303, placed.get_data(as_text=True)[:2000]
    order = db.session.scalars(sa.select(Order)).one()
    assert order.total == 210_000
    db.session.refresh(voucher)
    assert (voucher.state, voucher.order_id) == ("applied", order.id)
    assert campaign.name in client.get(f"/orders/{order.number}").get_data(as_text=True)
