"""Every core model, imported in one place so the metadata is complete for Alembic."""

from .accounts.models import PersonalAccessToken, User
from .cart.models import Cart, CartLine
from .catalog.models import Category, Listing, ListingImage, ListingTag, Variant
from .delivery.cod_models import CodRemittance, CodRemittanceLine
from .delivery.models import DeliveryAddress, Shipment, ShipmentEventRecord, ShipmentLine
from .fulfilment.models import PickupSlotLoad
from .idempotency import IdempotencyRecord
from .inventory.models import StockLevel, StockMovement
from .merchants.models import Invitation, Membership, Merchant, MerchantStatusChange
from .orders.models import (
    AuditEntry,
    Checkout,
    Order,
    OrderAdjustment,
    OrderLine,
    StoreReturn,
    StoreReturnLine,
)
from .outbox.models import OutboxMessage
from .payments.models import Payment, Refund
from .plugins.models import MerchantPlugin, PlatformPlugin, PlatformSetting
from .posters.models import Poster, PosterScan
from .redemption.models import RedeemableCode, RedemptionAttempt
from .settlement.models import LedgerEntry, Payout, PayoutAccount, PayoutEntry, PayoutEvent
from .stores.models import OpeningInterval, Store, StoreException
from .vouchers.models import Campaign, Voucher

__all__ = [
    "AuditEntry", "Campaign", "Cart", "CartLine", "Category", "Checkout", "CodRemittance",
    "CodRemittanceLine", "DeliveryAddress",
    "IdempotencyRecord",
    "Invitation",
    "LedgerEntry", "Listing", "ListingImage", "ListingTag", "Membership", "Merchant",
    "MerchantPlugin", "MerchantStatusChange", "OpeningInterval", "Order", "OrderAdjustment",
    "OrderLine", "OutboxMessage", "Payment", "Payout", "PayoutAccount", "PayoutEntry",
    "PayoutEvent", "PersonalAccessToken", "PickupSlotLoad", "PlatformPlugin", "Poster",
    "PosterScan",
    "PlatformSetting", "RedeemableCode", "RedemptionAttempt", "Refund", "Shipment",
    "ShipmentEventRecord", "ShipmentLine", "StockLevel",
    "StockMovement", "Store",
    "StoreException", "StoreReturn", "StoreReturnLine", "User", "Variant", "Voucher",
]
