"""Staff pages: the pickup queue, the order page and its actions, returns in store."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.inventory.models import StockLevel
from marketplace.orders import codes
from marketplace.orders.models import Order
from tests.support.shopping import buy, pickup_choice, slot_at


def _placed(selling_shop, buyer, quantity=2):
    merchant, (store, other), listing = selling_shop()
    order = buy(buyer, [(listing.variants[0], quantity)],
                [pickup_choice(merchant, store, slot_at(store))]).orders[0]
    db.session.flush()
    return merchant, store, other, listing, order


def test_queue_ready_collect_and_return(client, selling_shop, buyer, owner_of, login):
    merchant, store, other, listing, order = _placed(selling_shop, buyer)
    login(owner_of(merchant).user)
    base = f"/dashboard/{merchant.slug}"
    queue = client.get(f"{base}/pickup/{store.id}").get_data(as_text=True)
    assert order.number in queue and 'data-live-url' in queue
    live = client.get(f"{base}/pickup/{store.id}/live").get_data(as_text=True)
    assert order.number in live and "<html" not in live
    assert client.post(f"{base}/orders/{order.id}/prepare").status_code == 303
    assert client.post(f"{base}/orders/{order.id}/ready").status_code == 303
    wrong = client.post(f"{base}/orders/{order.id}/collect", data={"code": "ZZZZZZZZ",
                                                                   "payment_taken": "1"})
    assert wrong.status_code == 422
    db.session.refresh(order)
    assert order.state == "ready"
    good = client.post(f"{base}/orders/{order.id}/collect", data={
        "code": codes.display(codes.pickup_code(order)), "payment_taken": "1"})
    assert good.status_code == 303
    db.session.refresh(order)
    assert order.state == "collected" and order.payments[0].captured_amount == order.total
    line = order.lines[0]
    returned = client.post(f"{base}/orders/{order.id}/returns", data={
        "store_id": other.id, f"return_{line.id}": "1", f"condition_{line.id}": "resellable",
        "reason": "Không vừa"})
    assert returned.status_code == 303, returned.get_data(as_text=True)
    db.session.refresh(order)
    assert order.lines[0].returned_quantity == 1
    assert order.refunds[0].amount == line.unit_price and order.refunds[0].method == "cash"
    at_other = db.session.scalars(sa.select(StockLevel).where(
        StockLevel.store_id == other.id, StockLevel.variant_id == line.variant_id)).one()
    assert at_other.on_hand == 4  # 3 + the returned one
    page = client.get(f"{base}/orders/{order.id}").get_data(as_text=True)
    assert "Không vừa" in page
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    history = client.get(f"{base}/orders/{order.id}").get_data(as_text=True)
    history = history[history.index('class="timeline"'):]
    for said in ("Order: Being prepared", "Order: Ready for pickup", "Order: Collected",
                 "Payment: Paid", "Return: Taken back in store", "Refund: Refunded"):
        assert said in history, said


def test_find_by_number_and_other_merchants_orders_are_404(client, selling_shop, buyer,
                                                           owner_of, login):
    merchant, store, _other, _listing, order = _placed(selling_shop, buyer)
    stranger, _stores, _l = selling_shop()
    login(owner_of(merchant).user)
    found = client.get(f"/dashboard/{merchant.slug}/orders/find?number={order.number[2:]}")
    assert found.headers["Location"].endswith(f"/orders/{order.id}")
    # A number whose own characters begin like the "DH" label, typed without the label.
    order.number = "DHDH" + order.number[4:]
    db.session.commit()
    for typed in (order.number[2:], order.number, order.number.lower()):
        found = client.get(f"/dashboard/{merchant.slug}/orders/find?number={typed}")
        assert found.headers["Location"].endswith(f"/orders/{order.id}"), typed
    login(owner_of(stranger).user)
    base = f"/dashboard/{stranger.slug}"
    assert client.get(f"{base}/orders/{order.id}").status_code == 404
    assert client.post(f"{base}/orders/{order.id}/ready").status_code == 404
    db.session.refresh(order)
    assert order.state == "confirmed"
    assert client.get(f"{base}/pickup/{store.id}").status_code == 404


def test_store_limited_staff_see_only_their_store(client, selling_shop, buyer, make_member,
                                                  login):
    merchant, store, other, _listing, order = _placed(selling_shop, buyer)
    member = make_member(merchant, role="staff", stores_=[other])
    login(member.user)
    assert client.get(f"/dashboard/{merchant.slug}/orders/{order.id}").status_code == 404
    assert client.get(f"/dashboard/{merchant.slug}/pickup/{other.id}").status_code == 200


def test_cancel_by_store_needs_a_reason(client, selling_shop, buyer, owner_of, login):
    merchant, _store, _other, _listing, order = _placed(selling_shop, buyer)
    login(owner_of(merchant).user)
    url = f"/dashboard/{merchant.slug}/orders/{order.id}/cancel"
    assert client.post(url, data={"reason": ""}).status_code == 422
    assert client.post(url, data={"reason": "Hết hàng mẫu"}).status_code == 303
    assert db.session.get(Order, order.id).state == "cancelled"
