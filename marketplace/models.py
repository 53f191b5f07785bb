"""Every core model, imported in one place so the metadata is complete for Alembic."""

from .accounts.models import PersonalAccessToken, User
from .catalog.models import Category, Listing, ListingImage, ListingTag, Variant
from .inventory.models import StockLevel, StockMovement
from .merchants.models import Invitation, Membership, Merchant, MerchantStatusChange
from .outbox.models import OutboxMessage
from .plugins.models import MerchantPlugin, PlatformPlugin, PlatformSetting
from .stores.models import OpeningInterval, Store, StoreException

__all__ = [
    "Category", "Invitation", "Listing", "ListingImage", "ListingTag", "Membership", "Merchant",
    "MerchantPlugin", "MerchantStatusChange", "OpeningInterval", "OutboxMessage",
    "PersonalAccessToken", "PlatformPlugin", "PlatformSetting",
    "StockLevel", "StockMovement", "Store", "StoreException", "User", "Variant",
]
