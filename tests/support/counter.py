"""A shop with orders ready at the counter and members with API tokens, committed for real:
what the redemption concurrency tests and the benchmark race on."""

from __future__ import annotations

from datetime import timedelta

from marketplace.accounts.services import create_token, register_user
from marketplace.catalog.services import change_status, create_listing
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.inventory.services import adjust_stock
from marketplace.merchants.models import Membership
from marketplace.merchants.services import change_status as merchant_status
from marketplace.merchants.services import create_merchant
from marketplace.orders import lifecycle
from marketplace.orders.audit import Actor
from marketplace.plugins import services as plugin_services
from marketplace.redemption import services as redemption
from marketplace.stores.services import create_store, set_opening_hours
from tests.support.shopping import PAY_AT_STORE, buy, pickup_choice, slot_at

OPEN_ALL_WEEK = [{"weekday": d, "opens": "00:00", "closes": "00:00", "overnight": True}
                 for d in range(7)]


def ready_orders(app, *, orders: int = 1, members: int = 1) -> dict:
    """``orders`` pickup orders (pay at store) marked ready at one store, and ``members``
    staff tokens. Returns the ids, each order's QR payload and the tokens."""
    with app.app_context():
        owner = register_user(email="owner@counter.example.vn", password="x" * 12,
                              full_name="Chủ quán")
        merchant = create_merchant(owner=owner, data={"name": "Quầy"}, commission_bp=0)
        admin = register_user(email="admin@counter.example.vn", password="x" * 12,
                              full_name="QT")
        admin.is_platform_admin = True
        merchant_status(merchant, "approve", actor=admin)
        plugin_services.set_enabled(merchant, PAY_AT_STORE, True)
        store = create_store(merchant, {
            "name": "Quầy Lê Lợi", "address_line": "1 Lê Lợi", "city": "HCM",
            "latitude": 10.77, "longitude": 106.70, "pickup_enabled": True,
            "pickup_lead_minutes": 0, "pickup_orders_per_slot": 10_000},
            default_timezone="Asia/Ho_Chi_Minh")
        set_opening_hours(store, OPEN_ALL_WEEK)
        listing = create_listing(merchant, {"title": "Bánh mì", "variants": [
            {"sku": "BM", "price": 25000}]})
        change_status(listing, "publish")
        variant = listing.variants[0]
        adjust_stock(store=store, variant=variant, delta=orders, reason="receipt",
                     actor_id=None)
        buyer = register_user(email="buyer@counter.example.vn", password="x" * 12,
                              full_name="Khách quen")
        slot = slot_at(store, now=utcnow() + timedelta(minutes=90))
        staff_actor = Actor.staff(owner)
        payloads = []
        for _ in range(orders):
            order = buy(buyer, [(variant, 1)], [pickup_choice(merchant, store, slot)],
                        now=utcnow()).orders[0]
            lifecycle.mark_ready(order, actor=staff_actor)
            payloads.append(redemption.current("pickup", order.id).payload)
        tokens = []
        for n in range(members):
            user = owner if n == 0 else register_user(
                email=f"staff{n}@counter.example.vn", password="x" * 12,
                full_name=f"Nhân viên {n}")
            if n:
                db.session.add(Membership(merchant_id=merchant.id, user_id=user.id,
                                          role="staff"))
            tokens.append(create_token(user=user, merchant_id=merchant.id, name="counter")[1])
        db.session.commit()
        ids = {"merchant": merchant.id, "store": store.id, "store_name": store.name}
        db.session.remove()
    return {"ids": ids, "payloads": payloads, "tokens": tokens}
