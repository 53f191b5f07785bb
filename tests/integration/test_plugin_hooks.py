"""Every hookspec, called the way the platform calls it, reaches a plugin with its arguments.

The test plugins are in tests/support/plugin_dirs/good: ``recorder`` (merchant level, every
merchant-scoped hook) and ``platform_tools`` (platform level, the start-up hooks and the demo
hook).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from markupsafe import Markup

from marketplace.outbox.services import drain
from marketplace.plugins import DeliveryRequest, ShipmentInfo, SlotQuery, TakenSlot, services
from marketplace.plugins.events import emit
from marketplace.plugins.hookspecs import PriceAdjustment
from marketplace.plugins.manager import current_platform
from marketplace.plugins.migrations import add_plugin_locations
from marketplace.plugins.storefront import page_context, render_slot
from marketplace.stores import services as stores
from tests.support.plugin_apps import GOOD, PAYOUTS, plugin_config
from tests.support.shopping import NOW


@pytest.fixture
def papp(make_app, db):
    app = make_app(**plugin_config())
    with app.app_context():
        yield app


@pytest.fixture
def calls(papp):
    module = current_platform().plugins["recorder"].module
    module.CALLS.clear()
    yield module.CALLS
    module.CALLS.clear()


@pytest.fixture
def shop(papp, make_merchant, db):
    merchant = make_merchant()
    services.set_enabled(merchant, "recorder", True)
    db.session.commit()
    return merchant


def named(calls, name):
    return [kwargs for hook, kwargs in calls if hook == name]


# -- start-up hooks --------------------------------------------------------------------------

def test_marketplace_register_payment_providers(papp, shop):
    registry = current_platform().payment_providers
    provider = registry.get("cash_drawer")
    assert provider.plugin == "platform_tools" and provider.offline
    assert registry.active_in(shop) == [provider]  # a platform plugin: active everywhere


def test_marketplace_register_carriers(papp):
    walker = current_platform().carriers.get("walker")
    assert walker.plugin == "platform_tools"
    near = DeliveryRequest(merchant_id=1, store_id=2, origin=(10.7769, 106.7009),
                           destination=(10.7800, 106.7000), district="Quận 1", city="HCM",
                           basket_total=300000, currency="VND", cash_on_delivery=False,
                           asked_at=NOW)
    [offer] = walker.quote(near)
    assert (offer.carrier, offer.fee, offer.window_end) == ("walker", 15000,
                                                            NOW + timedelta(hours=1))
    assert walker.quote(replace(near, destination=(10.85, 106.70))) == []  # too far
    assert walker.quote(replace(near, cash_on_delivery=True)) == []
    parcel = ShipmentInfo(shipment_id=7, reference="GH-ABCDEFGH", merchant_id=1, store_id=2,
                          origin=near.origin, destination=near.destination,
                          recipient_name="Bình", recipient_phone="0901234567",
                          address="12 Nguyễn Huệ", service="on_foot", cod_amount=0,
                          currency="VND")
    assert walker.create_shipment(parcel) == "W-GH-ABCDEFGH"
    assert walker.track(parcel) == []


def test_marketplace_register_slot_sources(papp):
    counter = current_platform().slot_sources.get("counter")
    assert counter.plugin == "platform_tools"
    end = NOW + timedelta(hours=1)
    slot = TakenSlot(booking_id=7, reference="BK-7", merchant_id=1, store_id=2, listing_id=3,
                     resource_ids=(4, 5), starts_at=NOW, ends_at=end)
    day = SlotQuery(merchant_id=1, store_id=2, listing_id=3, resource_ids=(5, 6),
                    starts_at=NOW - timedelta(hours=8), ends_at=NOW + timedelta(hours=8))
    counter.hold(slot)
    assert [(b.resource_id, b.starts_at, b.ends_at) for b in counter.availability(day)] == [
        (5, NOW, end)]  # only the resources asked about
    counter.release(slot)
    assert counter.availability(day) == []


def test_marketplace_register_code_formats(papp):
    code_format = current_platform().code_formats.get("plain")
    assert code_format.parse(code_format.issue(42)) == "42"


def test_marketplace_register_code_kinds(papp, shop):
    from marketplace.redemption import services as redemption

    kind = current_platform().code_kinds.get("cloakroom")
    assert kind.plugin == "platform_tools"
    code = redemption.issue(shop.id, "cloakroom", 7)  # the core issues codes of any kind
    assert redemption.describe(code)["title"] == "Coat 7"
    assert current_platform().code_kinds.get("pickup").plugin == "core"


def test_marketplace_register_payout_methods(make_app, db):
    # The payout tests' own plugin folder (tests/support/plugin_dirs/payouts).
    app = make_app(**plugin_config(PAYOUTS))
    with app.app_context():
        method = current_platform().payout_methods.get("test_transfer")
        assert method.plugin == "test_payouts"
        assert method.supports_currency("VND") and not method.supports_currency("USD")
        assert list(current_platform().payout_methods) == [method]


def test_marketplace_add_blueprints(papp):
    assert papp.test_client().get("/recorder/ping").data == b"pong"
    assert current_platform().blueprint_owners["recorder"] == "recorder"


def test_marketplace_add_cli_commands(papp):
    result = papp.test_cli_runner().invoke(args=["platform-tools-hello"])
    assert result.exit_code == 0 and "hello from platform_tools" in result.output


def test_marketplace_register_periodic_jobs(papp):
    from marketplace.jobs import run_periodic_job

    job = current_platform().periodic_jobs["platform_tools.tidy_up"]
    assert (job.plugin, job.every_minutes) == ("platform_tools", 5)
    assert "platform_tools.tidy_up" in papp.extensions["huey_tasks"]
    module = current_platform().plugins["platform_tools"].module
    module.RUNS.clear()
    assert run_periodic_job(papp, "platform_tools.tidy_up", now=NOW) == 3
    assert module.RUNS == [NOW]


def test_marketplace_migration_locations(papp):
    from alembic.config import Config

    config = add_plugin_locations(Config())
    locations = config.get_main_option("version_locations")
    assert str(GOOD / "platform_tools" / "migrations" / "versions") in locations
    assert locations.split(":")[0].endswith("migrations/versions")  # the core's comes first


def test_marketplace_prepare_jinja_env(papp):
    assert papp.jinja_env.filters["shout"]("xin chào") == "XIN CHÀO!"
    assert "slot" in papp.jinja_env.globals  # the core's own implementation


# -- the demo hook ---------------------------------------------------------------------------

def test_marketplace_demo_data(papp, shop, make_merchant):
    handed = current_platform().plugins["platform_tools"].module.DEMO_SHOPS
    handed.clear()
    other = make_merchant()  # enabled nothing: the hook is platform level, every plugin asked
    current_platform().add_demo_data({"spa": shop, "cafe": other})
    assert handed == [{"spa": shop, "cafe": other}]
    with pytest.raises(RuntimeError, match="broken shop"):  # a developer's command: loud
        current_platform().add_demo_data({"broken": shop})
    assert len(handed) == 1


# -- validation and pricing ------------------------------------------------------------------

def test_marketplace_validate_cart(papp, shop, calls):
    current_platform().validate("marketplace_validate_cart", shop, cart="ok", customer=None)
    assert named(calls, "validate_cart") == [{"merchant": shop.id, "cart": "ok"}]


def test_marketplace_validate_booking(papp, shop, calls):
    from marketplace.errors import ValidationError

    with pytest.raises(ValidationError, match="groups above 8"):
        current_platform().validate("marketplace_validate_booking", shop,
                                    booking="party of 40", customer=None)
    assert named(calls, "validate_booking") == [{"merchant": shop.id,
                                                 "booking": "party of 40"}]


def test_marketplace_price_lines(papp, shop, calls):
    results = current_platform().collect("marketplace_price_lines", shop,
                                         lines=["a", "b", "c"], currency="VND", customer=None)
    assert results == [("recorder", [PriceAdjustment("three_for_less", "3+ items", -10000)])]
    assert current_platform().collect("marketplace_price_lines", shop, lines=["a"],
                                      currency="VND", customer=None) == []


# -- events after commit ---------------------------------------------------------------------

@pytest.mark.parametrize(("hook", "kwargs", "record"), [
    ("marketplace_order_state_changed",
     {"order_id": 7, "old_state": "new", "new_state": "ready", "event": "ready"},
     "order_state_changed"),
    ("marketplace_send_notification",
     {"kind": "order.ready", "object_id": 7, "subject": "Order 7 is ready", "text": "Come by",
      "link": "https://example.test/orders/7",
      "recipient": {"user_id": 2, "name": "Bình", "email": "b@example.test",
                    "phone": "+84901234567", "locale": "vi"}},
     "send_notification"),
    ("marketplace_payment_state_changed",
     {"payment_id": 3, "order_id": 7, "old_state": "authorized", "new_state": "captured"},
     "payment_state_changed"),
    ("marketplace_booking_state_changed",
     {"booking_id": 5, "old_state": "held", "new_state": "confirmed"},
     "booking_state_changed"),
    ("marketplace_code_redeemed",
     {"code_id": 9, "kind": "voucher", "subject_id": 11, "store_id": 2, "staff_id": 4},
     "code_redeemed"),
])
def test_domain_events_arrive_after_commit_through_the_outbox(papp, shop, calls, db, hook,
                                                              kwargs, record):
    emit(hook, shop, **kwargs)
    assert named(calls, record) == []  # nothing before the commit
    db.session.commit()
    drain()
    assert named(calls, record) == [{"merchant": shop.id, **kwargs}]


def test_events_of_a_rolled_back_transaction_never_arrive(papp, shop, calls, db):
    emit("marketplace_code_redeemed", shop, code_id=1, kind="pickup", subject_id=1,
         store_id=None, staff_id=None)
    db.session.rollback()
    drain()
    assert named(calls, "code_redeemed") == []


def test_marketplace_listing_changed(papp, shop, calls, make_listing, db):
    listing = make_listing(shop)  # created, then published
    db.session.commit()
    drain()
    assert named(calls, "listing_changed") == [
        {"merchant": shop.id, "listing_id": listing.id, "change": "created"},
        {"merchant": shop.id, "listing_id": listing.id, "change": "published"}]


def test_marketplace_store_changed(papp, shop, calls, make_store, db):
    store = make_store(shop)
    stores.update_store(store, {"phone": "028 3822 9999"})
    db.session.commit()
    drain()
    assert [c["change"] for c in named(calls, "store_changed")] == ["created", "hours",
                                                                     "updated"]
    assert {c["store_id"] for c in named(calls, "store_changed")} == {store.id}


def test_events_skip_merchants_without_the_plugin(papp, calls, make_merchant, make_listing,
                                                  db):
    make_listing(make_merchant())
    db.session.commit()
    drain()
    assert named(calls, "listing_changed") == []


def test_marketplace_merchant_plugin_enabled(papp, calls, make_merchant, db):
    merchant = make_merchant()
    services.set_enabled(merchant, "recorder", True)
    db.session.commit()
    drain()
    services.set_enabled(merchant, "recorder", False)
    db.session.commit()
    drain()
    # Called on that plugin, after each commit, the second time although it is now disabled.
    assert named(calls, "merchant_plugin_enabled") == [
        {"merchant": merchant.id, "plugin_name": "recorder", "enabled": True},
        {"merchant": merchant.id, "plugin_name": "recorder", "enabled": False}]


# -- storefront ------------------------------------------------------------------------------

def test_marketplace_storefront_context(papp, shop, calls):
    extra = page_context(shop, "storefront/merchant.html", {"merchant": shop})
    assert extra == {"recorder_badge": "recorded"}  # the page's own "merchant" wins
    assert named(calls, "storefront_context") == [
        {"merchant": shop.id, "template": "storefront/merchant.html"}]


def test_marketplace_storefront_slot(papp, shop, make_merchant, db):
    services.update_merchant_settings(shop, "recorder", {"greeting": "Chào <b>bạn</b>"})
    html = render_slot("merchant.header", {"merchant": shop})
    assert isinstance(html, Markup)
    assert 'data-plugin="recorder"' in html
    assert "Chào &lt;b&gt;bạn&lt;/b&gt;" in html  # the plugin escaped the merchant's text
    assert render_slot("merchant.header", {"merchant": make_merchant()}) == ""
    with pytest.raises(KeyError):
        render_slot("merchant.haeder", {"merchant": shop})
