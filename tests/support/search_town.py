"""A small town to search in: two coffee stores and a phone shop around the opera house of
Ho Chi Minh City, indexed on the embedded backend through the outbox."""

from __future__ import annotations

import pytest
from flask import current_app

from marketplace.inventory.services import adjust_stock
from marketplace.outbox.services import drain

HERE = {"lat": 10.7769, "lng": 106.7009}  # Nhà hát Thành phố, Quận 1


def north(metres: float) -> float:
    return HERE["lat"] + metres / 111_194.93


@pytest.fixture
def search_backend(app):
    engine = current_app.extensions["search"]
    engine.clear()  # the index outlives the test's rolled-back database
    yield engine
    engine.clear()


@pytest.fixture
def coffee_town(db, search_backend, make_merchant, make_store, make_listing, admin_user):
    """Two coffee shops and a phone shop around the opera house, indexed through the outbox."""
    cafe = make_merchant(name="Cà Phê Sương Sớm")
    near = make_store(cafe, name="Sương Sớm Đồng Khởi", latitude=north(300), longitude=HERE["lng"],
                      pickup_enabled=True)
    far = make_store(cafe, name="Sương Sớm Thảo Điền", latitude=north(4000),
                     longitude=HERE["lng"], district="Quận 2", city="Hồ Chí Minh")
    drink = make_listing(cafe, title="Cà phê sữa đá", category="food-drink", variants=[
        {"sku": "CPSD", "price": 29_000, "options": {"size": "M"}}])
    tea = make_listing(cafe, title="Trà đào cam sả", category="food-drink", variants=[
        {"sku": "TDCS", "price": 35_000, "options": {}}])
    phones = make_merchant(name="Điện Máy Xanh")
    shop = make_store(phones, name="Điện Máy Lê Lợi", latitude=north(800), longitude=HERE["lng"],
                      hours=[])
    phone = make_listing(phones, title="Điện thoại Samsung Galaxy", category="electronics",
                         variants=[{"sku": "SGA", "price": 5_000_000, "options": {}}])
    adjust_stock(store=near, variant=drink.variants[0], delta=2, reason="receipt", actor_id=None)
    adjust_stock(store=far, variant=drink.variants[0], delta=40, reason="receipt", actor_id=None)
    adjust_stock(store=far, variant=tea.variants[0], delta=5, reason="receipt", actor_id=None)
    adjust_stock(store=shop, variant=phone.variants[0], delta=7, reason="receipt", actor_id=None)
    db.session.commit()
    drain()
    return {"cafe": cafe, "near": near, "far": far, "drink": drink, "tea": tea,
            "phones": phones, "shop": shop, "phone": phone}
