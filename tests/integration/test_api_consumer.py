"""The consumer API: guest cart, login, checkout with Idempotency-Key, one's own orders."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.plugins.testing_factories import PASSWORD
from tests.support.shopping import slot_at


def _token(client, user) -> dict:
    response = client.post("/api/v1/consumer/tokens",
                           json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_guest_cart_then_checkout_is_idempotent(client, selling_shop, buyer):
    merchant, (store, _), listing = selling_shop()
    guest = client.post("/api/v1/consumer/carts").get_json()["cart_token"]
    added = client.post("/api/v1/consumer/cart/lines", headers={"X-Cart-Token": guest},
                        json={"variant_id": listing.variants[0].id, "quantity": 2})
    assert added.status_code == 201 and added.get_json()["item_count"] == 2
    auth = _token(client, buyer)
    client.post("/api/v1/consumer/cart/lines", headers=auth,
                json={"variant_id": listing.variants[0].id, "quantity": 1})
    cart = client.get("/api/v1/consumer/cart", headers=auth).get_json()
    stores = client.get("/api/v1/consumer/cart/stores", headers=auth).get_json()
    assert stores[0]["payment_providers"] == ["pay_at_store"]
    assert stores[0]["stores"][0]["store_id"] == store.id
    # The API answers for the real clock: the first local day with a free slot from now.
    day = slot_at(store, now=utcnow()).start.astimezone(ZoneInfo(store.timezone)).date()
    free = client.get(f"/api/v1/catalog/stores/{store.id}/pickup-slots?date={day}").get_json()
    body = {"cart_version": cart["version"], "orders": [{
        "merchant_id": merchant.id, "fulfilment": "pickup", "store_id": store.id,
        "slot_start": free[-1]["start"], "payment_provider": "pay_at_store"}]}
    headers = auth | {"Idempotency-Key": "order-1"}
    first = client.post("/api/v1/consumer/checkout", headers=headers, json=body)
    assert first.status_code == 201, first.get_json()
    again = client.post("/api/v1/consumer/checkout", headers=headers, json=body)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
    other = client.post("/api/v1/consumer/checkout", headers=headers,
                        json=body | {"cart_version": "x"})
    assert other.status_code == 409 and other.get_json()["code"] == "idempotency_key_reused"
    number = first.get_json()["orders"][0]["number"]
    shown = client.get(f"/api/v1/consumer/orders/{number}", headers=auth).get_json()
    assert shown["pickup_code"] and shown["state"] == "confirmed"


def test_other_consumers_orders_and_merchant_tokens(client, selling_shop, buyer, make_user,
                                                    api_token, owner_of):
    from tests.support.shopping import buy, pickup_choice

    merchant, (store, _), listing = selling_shop()
    order = buy(buyer, [(listing.variants[0], 1)],
                [pickup_choice(merchant, store, slot_at(store))]).orders[0]
    db.session.flush()
    stranger = _token(client, make_user())
    assert client.get(f"/api/v1/consumer/orders/{order.number}",
                      headers=stranger).status_code == 404
    assert client.post(f"/api/v1/consumer/orders/{order.number}/cancel", headers=stranger,
                       json={}).status_code == 404
    staff = {"Authorization": f"Bearer {api_token(owner_of(merchant))}"}
    assert client.get("/api/v1/consumer/orders", headers=staff).status_code == 401
    assert db.session.get(Order, order.id).state == "confirmed"
