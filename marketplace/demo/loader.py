"""Put the demo marketplace in the database through the services, so it obeys every rule.

Idempotent: every person, merchant, store, listing (slug and SKUs), membership and stock row
is looked up before it is created, and whatever exists is left exactly as it is. Plugins then
add their own demo rows (``marketplace_demo_data``), under the same rule. Stock is
deterministic (a random generator seeded by SKU and store), never time-dependent.
The caller commits (the ``marketplace demo-data`` command does).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from itertools import chain, zip_longest
from types import MappingProxyType

import sqlalchemy as sa
from flask import current_app

from ..accounts import services as accounts
from ..accounts.models import User
from ..catalog import services as catalog
from ..catalog.models import Listing, Variant
from ..catalog.states import ListingKind
from ..database import utcnow
from ..extensions import db
from ..inventory import services as inventory
from ..inventory.models import StockLevel
from ..merchants import services as merchant_services
from ..merchants.models import Merchant
from ..plugins import services as plugin_services
from ..plugins.manager import current_platform
from ..settlement import payout_accounts
from ..stores import services as store_services
from ..stores.models import OpeningInterval, Store
from ..theming.services import set_theme
from . import shops as spec
from .catalog import listings_for
from .summary import Account, DemoSummary

# Platform commission per demo shop, in basis points (what an admin would have negotiated).
# The coffee chain shows off the second bundled theme; the others keep the default.
THEMES = {"suong-som": "hoian"}
# Demo shops that also take bank transfers (VietQR), with a sample account of theirs.
TRANSFERS = {"suong-som": {"bank_bin": "970436", "account_number": "1023456789",
                           "account_name": "CONG TY TNHH SUONG SOM"}}
# Demo shops that deliver with their own riders (the seeds' courier: cash on delivery, the
# customer may look before accepting, a second attempt): the local courier's settings as the
# merchant would save them (Plugins → Local delivery by our riders).
LOCAL_DELIVERY = {
    "sao-viet": {"tiers": "3: 15.000\n7: 25.000\n15: 40.000", "per_km_beyond": 3000,
                 "free_above": 5_000_000, "zone_radius_km": "25", "same_day": True,
                 "same_day_cutoff": "16:00", "express": True, "express_hours": 2,
                 "express_fee": 30000, "cod": True, "cod_max_basket": 20_000_000,
                 "inspect_before_accept": True, "attempts": 2, "redelivery_fee": 15000},
    "moc-lan": {"tiers": "3: 18.000\n8: 30.000", "per_km_beyond": 4000,
                "free_above": 1_000_000, "zone_radius_km": "15", "same_day": True,
                "same_day_cutoff": "17:00", "express": False, "cod": True,
                "cod_max_basket": 3_000_000, "inspect_before_accept": True, "attempts": 3,
                "redelivery_fee": 10000},
}
COMMISSIONS = {"moc-lan": 1200, "sao-viet": 500, "suong-som": 800, "lua-spa": 1500,
               "buoc-xinh": 1000, "nang-dong": 750}
# (share out of stock, share with 1–3 left, usual range) per category.
STOCK_PROFILES = {
    "fashion": (0.15, 0.20, (4, 25)),
    "electronics": (0.25, 0.35, (4, 12)),
    "food-drink": (0.0, 0.05, (20, 80)),
    "shoes": (0.20, 0.25, (4, 15)),
    "sports": (0.15, 0.20, (4, 20)),
}
STOCK_NOTE = "Nhập hàng đầu kỳ (dữ liệu demo)"


# The shop whose campaign the demo shows (the seeds' "30 % only in our stores").
CAMPAIGN_SHOP = "moc-lan"


def demo_quantity(category: str, sku: str, store_slug: str) -> int:
    """The same number on every run and machine: string seeds are hashed with SHA-512."""
    out_share, low_share, (low, high) = STOCK_PROFILES[category]
    rng = random.Random(f"{sku}@{store_slug}")
    roll = rng.random()
    if roll < out_share:
        return 0
    if roll < out_share + low_share:
        return rng.randint(1, 3)
    return rng.randint(low, high)


class _Loader:
    def __init__(self) -> None:
        self.config = current_app.config
        self.created: Counter = Counter()
        self.accounts: list[Account] = []

    # --- people -------------------------------------------------------------------------------

    def user(self, *, email: str, full_name: str, password: str, role: str,
             phone: str | None = None, admin: bool = False) -> User:
        user = accounts.find_user_by_email(email)
        existed = user is not None
        if user is None:
            if admin:
                user = accounts.create_admin(email=email, password=password,
                                             full_name=full_name)
            else:
                user = accounts.register_user(email=email, password=password,
                                              full_name=full_name, phone=phone, locale="vi")
            self.created["users"] += 1
        self.accounts.append(Account(role, email, password, existed))
        return user

    # --- merchants and stores -----------------------------------------------------------------

    def merchant(self, shop: spec.ShopSpec, *, owner: User, admin: User) -> Merchant:
        merchant = db.session.scalars(sa.select(Merchant).where(
            Merchant.slug == shop.slug)).first()
        if merchant is not None:
            return merchant
        merchant = merchant_services.create_merchant(
            owner=owner, commission_bp=self.config["DEFAULT_COMMISSION_BP"],
            data={"name": shop.name, "slug": shop.slug, "description": shop.description,
                  "contact_email": shop.contact_email, "phone": shop.phone,
                  "default_currency": "VND"})
        merchant_services.change_status(merchant, "approve", actor=admin,
                                        reason="Hồ sơ demo đầy đủ")
        merchant_services.set_commission(merchant, commission_bp=COMMISSIONS[shop.slug],
                                         actor=admin)
        if shop.slug in THEMES:
            set_theme(merchant, THEMES[shop.slug])
        # Every demo shop takes orders paid at the counter.
        plugin_services.set_enabled(merchant, "payment_pay_at_store", True)
        # … and cards, offered once the platform admin has entered the Stripe keys.
        plugin_services.set_enabled(merchant, "payment_stripe", True)
        if shop.slug in TRANSFERS:
            plugin_services.update_merchant_settings(merchant, "payment_vietqr",
                                                     TRANSFERS[shop.slug])
            plugin_services.set_enabled(merchant, "payment_vietqr", True)
            # Payouts go to the same account the customers' transfers go to.
            account = TRANSFERS[shop.slug]
            payout_accounts.save(merchant, {
                "currency": "VND", "bank_code": account["bank_bin"],
                "account_number": account["account_number"],
                "holder": account["account_name"]})
        if shop.slug in LOCAL_DELIVERY:
            plugin_services.update_merchant_settings(merchant, "delivery_local_courier",
                                                     LOCAL_DELIVERY[shop.slug])
            plugin_services.set_enabled(merchant, "delivery_local_courier", True)
            plugin_services.set_enabled(merchant, "payment_cash_on_delivery", True)
        self.created["merchants"] += 1
        return merchant

    # --- campaigns and posters ----------------------------------------------------------------

    def campaign(self, merchant: Merchant, owner: User, stores: dict[str, Store]) -> None:
        """The seeds' fashion scenario: 30 % off, only in the brand's stores; claimed online
        (the shop page, a link, the window poster of the first store)."""
        from ..orders.audit import Actor
        from ..posters import services as posters
        from ..vouchers import services as campaigns
        from ..vouchers.models import Campaign

        name = "Giảm 30% — chỉ tại cửa hàng"
        if db.session.scalar(sa.select(Campaign.id).where(Campaign.merchant_id == merchant.id,
                                                          Campaign.name == name)):
            return
        now = utcnow()
        actor = Actor.staff(owner)
        campaign = campaigns.create_campaign(merchant, {
            "name": name, "description": "Nhận voucher trên mạng, đưa mã QR tại quầy: giảm "
                                         "30% hóa đơn từ 500.000 ₫, tối đa 300.000 ₫.",
            "discount_kind": "percent", "percent": 30, "max_discount": 300_000,
            "min_spend": 500_000, "channel": "in_store", "quota": 500,
            "per_customer_limit": 1, "starts_at": now - timedelta(days=1),
            "ends_at": now + timedelta(days=60)}, actor=actor)
        campaigns.change_state(campaign, "activate", actor=actor, now=now)
        first = next(iter(stores.values()))
        posters.create_poster(merchant, {"target": "campaign", "target_id": campaign.id,
                                         "store_id": first.id,
                                         "headline": "Giảm 30% — chỉ tại cửa hàng"})
        self.created["campaigns"] += 1

    def stores(self, shop: spec.ShopSpec, merchant: Merchant) -> dict[str, Store]:
        existing = {s.slug: s for s in db.session.scalars(
            sa.select(Store).where(Store.merchant_id == merchant.id))}
        for store_spec in shop.stores:
            if store_spec.slug in existing:
                continue
            data = {"name": store_spec.name, "slug": store_spec.slug,
                    "address_line": store_spec.address_line, "ward": store_spec.ward,
                    "district": store_spec.district, "city": store_spec.city,
                    "country_code": "VN", "latitude": store_spec.latitude,
                    "longitude": store_spec.longitude, "phone": store_spec.phone,
                    "timezone": spec.TZ, **(store_spec.pickup or {})}
            store = store_services.create_store(merchant, data, default_timezone=spec.TZ)
            store_services.set_opening_hours(store, store_spec.hours)
            for exception in store_spec.exceptions:
                store_services.set_exception(store, exception)
            existing[store.slug] = store
            self.created["stores"] += 1
        return existing

    # --- listings and stock -------------------------------------------------------------------

    def listings(self, plans: list[tuple[Merchant, dict]]) -> None:
        """Create the missing listings, interleaving shops so "latest" shows a mix."""
        known: dict[int, tuple[set[str], set[str]]] = {}
        for merchant, data in plans:
            if merchant.id not in known:
                slugs = set(db.session.scalars(
                    sa.select(Listing.slug).where(Listing.merchant_id == merchant.id)))
                skus = set(db.session.scalars(
                    sa.select(Variant.sku).where(Variant.merchant_id == merchant.id)))
                known[merchant.id] = (slugs, skus)
            slugs, skus = known[merchant.id]
            wanted = [v["sku"] for v in data.get("variants", [])] or [data["sku"]]
            # A listing whose slug or any SKU exists is left alone (it may have been edited).
            if data["slug"] in slugs or skus.intersection(wanted):
                continue
            listing = catalog.create_listing(merchant, data)
            catalog.change_status(listing, "publish")
            slugs.add(listing.slug)
            skus.update(wanted)
            self.created["listings"] += 1
            self.created["variants"] += len(listing.variants)

    def stock(self, shop: spec.ShopSpec, merchant: Merchant, stores: dict[str, Store],
              owner: User, skus: list[str]) -> None:
        """Receive the initial stock where a store has no stock row for a variant yet."""
        variants = list(db.session.scalars(
            sa.select(Variant).join(Listing, Listing.id == Variant.listing_id)
            .where(Variant.merchant_id == merchant.id, Variant.sku.in_(skus),
                   Listing.kind == ListingKind.PRODUCT)
            .order_by(Variant.id)))
        present = {(store_id, variant_id) for store_id, variant_id in db.session.execute(
            sa.select(StockLevel.store_id, StockLevel.variant_id)
            .where(StockLevel.merchant_id == merchant.id))}
        for store_spec in shop.stores:
            store = stores.get(store_spec.slug)
            if store is None:
                continue
            for variant in variants:
                if (store.id, variant.id) in present:
                    continue
                quantity = demo_quantity(shop.category, variant.sku, store.slug)
                if quantity <= 0:
                    continue  # no row at all: this store never carried it
                inventory.adjust_stock(store=store, variant=variant, delta=quantity,
                                       reason="receipt", actor_id=owner.id, note=STOCK_NOTE)
                self.created["stock_levels"] += 1

    def staff(self, staff: spec.StaffSpec, merchant: Merchant, owner: User,
              stores: dict[str, Store]) -> None:
        where = (", ".join(stores[s].name for s in staff.store_slugs if s in stores)
                 or merchant.name)
        user = self.user(email=staff.email, full_name=staff.full_name,
                         password=spec.DEMO_PASSWORD, role=f"{staff.role} · {where}")
        if merchant_services.membership_for(user, merchant.id) is not None:
            return
        owner_membership = merchant_services.membership_for(owner, merchant.id)
        if owner_membership is None:
            return  # the demo owner no longer runs this shop: do not guess who invites
        _invitation, token = merchant_services.invite_staff(
            merchant, actor=owner_membership, email=staff.email, role=staff.role,
            store_ids=[stores[s].id for s in staff.store_slugs if s in stores],
            ttl_hours=self.config["INVITATION_TTL_HOURS"])
        merchant_services.accept_invitation(token, user=user)
        self.created["memberships"] += 1


def _totals(merchant_ids: list[int], emails: list[str]) -> dict[str, int]:
    def count(model, *where) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0

    return {
        "merchants": len(merchant_ids),
        "stores": count(Store, Store.merchant_id.in_(merchant_ids)),
        "opening_intervals": count(OpeningInterval, OpeningInterval.merchant_id.in_(
            merchant_ids)),
        "listings": count(Listing, Listing.merchant_id.in_(merchant_ids)),
        "variants": count(Variant, Variant.merchant_id.in_(merchant_ids)),
        "stock_levels": count(StockLevel, StockLevel.merchant_id.in_(merchant_ids)),
        "users": count(User, User.email.in_(emails)),
    }


def load_demo_data() -> DemoSummary:
    """Load (or complete) the demo marketplace; flushes, the caller commits."""
    loader = _Loader()
    admin = loader.user(email=spec.ADMIN["email"], full_name=spec.ADMIN["full_name"],
                        password=spec.ADMIN_PASSWORD, role="platform admin", admin=True)
    loader.user(email=spec.CONSUMER["email"], full_name=spec.CONSUMER["full_name"],
                phone=spec.CONSUMER["phone"], password=spec.DEMO_PASSWORD, role="consumer")
    shops = []
    for shop in spec.SHOPS:
        owner = loader.user(email=spec.owner_email(shop), full_name=shop.owner_name,
                            password=spec.DEMO_PASSWORD, role=f"owner · {shop.name}")
        merchant = loader.merchant(shop, owner=owner, admin=admin)
        shops.append((shop, merchant, owner, loader.stores(shop, merchant),
                      listings_for(shop.key, shop.category)))
    # Round-robin over the shops, first rounds created last: the newest listings on the home
    # page are then a mix of every shop, not the tail of the longest catalogue.
    rounds = list(zip_longest(*([(merchant, data) for data in plans]
                                for _shop, merchant, _owner, _stores, plans in shops)))
    loader.listings([plan for plan in chain.from_iterable(reversed(rounds))
                     if plan is not None])
    for shop, merchant, owner, stores, plans in shops:
        skus = [v["sku"] for data in plans for v in data.get("variants", [])]
        loader.stock(shop, merchant, stores, owner, skus)
    by_slug = {shop.slug: (merchant, owner, stores) for shop, merchant, owner, stores, _ in shops}
    for staff in spec.STAFF:
        merchant, owner, stores = by_slug[staff.shop_slug]
        loader.staff(staff, merchant, owner, stores)
    loader.campaign(*by_slug[CAMPAIGN_SHOP])
    db.session.flush()
    # Plugins add their own rows last (the spa's bookable services are the booking plugin's):
    # the core never imports a plugin, built-in or not. Read-only, so no plugin changes
    # what the next one is handed.
    current_platform().add_demo_data(MappingProxyType(
        {slug: merchant for slug, (merchant, _owner, _stores) in by_slug.items()}))
    db.session.flush()
    emails = [a.email for a in loader.accounts]
    return DemoSummary(created=dict(loader.created),
                       totals=_totals([m.id for _s, m, *_ in shops], emails),
                       accounts=loader.accounts)
