"""The consumer's pages: cart (guest and account), checkout, orders."""

from __future__ import annotations

import re

import sqlalchemy as sa

from marketplace.cart.models import Cart
from marketplace.extensions import db
from marketplace.orders.models import Order


def test_guest_cart_merges_into_the_account_on_login(client, selling_shop, buyer, login):
    merchant, _stores, listing = selling_shop()
    v1, v2 = listing.variants
    from marketplace.cart import services as carts

    mine = carts.cart_of_user(buyer, create=True)
    carts.add_item(mine, v1.id, 1)
    db.session.flush()
    assert client.post("/cart/items", data={"variant_id": v1.id, "quantity": 2}).status_code == 303
    client.post("/cart/items", data={"variant_id": v2.id, "quantity": 1})
    page = client.get("/cart").get_data(as_text=True)
    assert listing.title in page and merchant.name in page
    login(buyer)
    lines = {x.variant_id: x.quantity for x in carts.cart_of_user(buyer).lines}
    assert lines == {v1.id: 3, v2.id: 1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cart)) == 1


def test_adding_more_than_any_store_has_is_refused(client, selling_shop):
    _merchant, _stores, listing = selling_shop()
    response = client.post("/cart/items", data={"variant_id": listing.variants[0].id,
                                                 "quantity": 11}, follow_redirects=True)
    assert "10" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Cart)).first() is None or not \
        db.session.scalars(sa.select(Cart)).first().lines


def test_checkout_page_offers_slots_and_places_the_order(client, selling_shop, buyer, login):
    merchant, (store, _), listing = selling_shop()
    login(buyer)
    client.post("/cart/items", data={"variant_id": listing.variants[0].id, "quantity": 1})
    page = client.get("/checkout").get_data(as_text=True)
    slot = re.search(rf'name="slot_{merchant.id}" value="([^"]+)"', page).group(1)
    version = re.search(r'name="cart_version" value="([^"]+)"', page).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    form = {"action": "place", "cart_version": version, "idempotency_key": key,
            f"include_{merchant.id}": "1", f"fulfilment_{merchant.id}": "pickup",
            f"store_{merchant.id}": store.id, f"slot_{merchant.id}": slot,
            f"provider_{merchant.id}": "pay_at_store"}
    first = client.post("/checkout", data=form)
    assert first.status_code == 303, first.get_data(as_text=True)
    order = db.session.scalars(sa.select(Order)).one()
    assert first.headers["Location"].endswith(f"/orders/{order.number}")
    # The same form again (a double click): the same order, nothing new.
    client.post("/cart/items", data={"variant_id": listing.variants[0].id, "quantity": 1})
    again = client.post("/checkout", data=form)
    assert again.headers["Location"].endswith(f"/orders/{order.number}")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
    shown = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "data-pickup-code" in shown and store.name in shown
    cancelled = client.post(f"/orders/{order.number}/cancel", data={"reason": "Bận"},
                            follow_redirects=True)
    assert cancelled.status_code == 200
    db.session.refresh(order)
    assert order.state == "cancelled"


def test_someone_elses_order_is_404(client, selling_shop, buyer, login, make_user):
    from tests.support.shopping import buy, pickup_choice, slot_at

    merchant, (store, _), listing = selling_shop()
    order = buy(buyer, [(listing.variants[0], 1)],
                [pickup_choice(merchant, store, slot_at(store))]).orders[0]
    login(make_user())
    assert client.get(f"/orders/{order.number}").status_code == 404
    assert client.post(f"/orders/{order.number}/cancel").status_code == 404
