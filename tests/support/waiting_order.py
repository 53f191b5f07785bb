"""An order of 2 waiting for an online payment, in an app on its own fresh database (the
concurrency tests commit for real): a shop open around the clock with one store, one
product and 5 in stock, the given payment plugin switched on, a buyer, and a staff token."""

from __future__ import annotations

from datetime import UTC, datetime

from marketplace.accounts.services import create_token, register_user
from marketplace.cart import services as carts
from marketplace.catalog.services import change_status, create_listing
from marketplace.extensions import db
from marketplace.inventory.services import adjust_stock
from marketplace.merchants.services import change_status as merchant_status
from marketplace.merchants.services import create_merchant
from marketplace.orders import checkout, codes
from marketplace.plugins import services as plugin_services
from marketplace.stores.services import create_store, set_opening_hours
from tests.support.shopping import slot_at

OPEN_ALL_WEEK = [{"weekday": d, "opens": "00:00", "closes": "00:00", "overnight": True}
                 for d in range(7)]


def order_waiting_for_payment(app, *, plugin: str, provider: str, price: int,
                              plugin_settings: dict | None = None) -> dict:
    """Ids and secrets the test needs: ``checkout``, ``order``, ``total``, ``deadline``,
    ``token`` (the owner's API token), ``code`` (the pickup code), ``store``, ``variant``."""
    with app.app_context():
        owner = register_user(email="owner@example.vn", password="x" * 12, full_name="Chủ")
        admin = register_user(email="admin@example.vn", password="x" * 12, full_name="QT")
        admin.is_platform_admin = True
        merchant = create_merchant(owner=owner, data={"name": "Quán"}, commission_bp=1000)
        merchant_status(merchant, "approve", actor=admin)
        if plugin_settings:
            plugin_services.update_merchant_settings(merchant, plugin, plugin_settings)
        plugin_services.set_enabled(merchant, plugin, True)
        store = create_store(merchant, {
            "name": "Chi nhánh", "address_line": "1", "city": "HCM", "latitude": 10,
            "longitude": 106, "pickup_enabled": True, "pickup_lead_minutes": 0},
            default_timezone="Asia/Ho_Chi_Minh")
        set_opening_hours(store, OPEN_ALL_WEEK)
        listing = create_listing(merchant, {"title": "Món", "variants": [
            {"sku": "M", "price": price}]})
        change_status(listing, "publish")
        variant = listing.variants[0]
        adjust_stock(store=store, variant=variant, delta=5, reason="receipt", actor_id=None)
        buyer = register_user(email="buyer@example.vn", password="x" * 12, full_name="Khách")
        cart = carts.cart_of_user(buyer, create=True)
        carts.add_item(cart, variant.id, 2)
        placed = checkout.place(cart, customer=buyer, cart_version=carts.version(cart),
                                raw_choices=[{
                                    "merchant_id": merchant.id, "fulfilment": "pickup",
                                    "store_id": store.id,
                                    # Placed on the real clock: a slot from now on.
                                    "slot_start": slot_at(store, now=datetime.now(UTC))
                                    .start.isoformat(),
                                    "payment_provider": provider}])
        order = placed.orders[0]
        _token, plaintext = create_token(user=owner, merchant_id=merchant.id, name="quầy")
        db.session.commit()
        found = {"checkout": placed.id, "order": order.id, "total": order.total,
                 "deadline": order.expires_at, "token": plaintext,
                 "code": codes.pickup_code(order), "store": store.id, "variant": variant.id}
        db.session.remove()
        return found
