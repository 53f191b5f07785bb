"""Fixtures for the checkout tests: a shop that sells for pickup and reservations, a buyer,
and helpers to fill a cart and place orders through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketplace.cart import services as carts
from marketplace.fulfilment import slots
from marketplace.inventory.services import adjust_stock
from marketplace.orders import checkout
from marketplace.plugins import services as plugin_services

PAY_AT_STORE = "payment_pay_at_store"
# A Wednesday 09:00 in Ho Chi Minh City (UTC+7): every store of the tests is open 08–22.
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def stock(store, variant, quantity, actor_id=None):
    adjust_stock(store=store, variant=variant, delta=quantity, reason="receipt",
                 actor_id=actor_id)


@pytest.fixture
def selling_shop(db, make_merchant, make_store, make_listing):
    """A shop accepting pay at store, two stores (pickup and reservations at both),
    a product with two variants, 10 of each at the first store and 3 of each at the second."""

    def factory(**store_data):
        merchant = make_merchant()
        plugin_services.set_enabled(merchant, PAY_AT_STORE, True)
        settings = {"pickup_enabled": True, "pickup_lead_minutes": 60,
                    "pickup_slot_minutes": 30, "pickup_orders_per_slot": 5,
                    "reserve_enabled": True, "reserve_hold_hours": 48} | store_data
        first = make_store(merchant, **settings)
        second = make_store(merchant, latitude=10.80, longitude=106.72, **settings)
        listing = make_listing(merchant)
        for variant in listing.variants:
            stock(first, variant, 10)
            stock(second, variant, 3)
        db.session.flush()
        return merchant, (first, second), listing

    return factory


@pytest.fixture
def buyer(make_user):
    return make_user(full_name="Trần Thị Bình")


def slot_at(store, *, now=NOW, index=0):
    """The ``index``-th free pickup slot of the store's first day with one."""
    day = slots.local_today(store, now)
    for offset in range(14):
        found = slots.day_slots(store, day + timedelta(days=offset), now=now)
        if len(found) > index:
            return found[index]
    raise AssertionError("no pickup slot")


def pickup_choice(merchant, store, slot, provider="pay_at_store"):
    return {"merchant_id": merchant.id, "fulfilment": "pickup", "store_id": store.id,
            "slot_start": slot.start.isoformat(), "payment_provider": provider}


def buy(user, variants_quantities, choices, *, now=NOW):
    """Put the variants in the user's cart and check out with ``choices``."""
    cart = carts.cart_of_user(user, create=True)
    for variant, quantity in variants_quantities:
        carts.add_item(cart, variant.id, quantity)
    return checkout.place(cart, customer=user, raw_choices=choices,
                          cart_version=carts.version(cart), now=now)
