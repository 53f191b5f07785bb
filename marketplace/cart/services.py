"""The cart: what a consumer means to buy, from any number of merchants.

A guest's cart is known by a secret token (the browser keeps it in its session, an API
client in the ``X-Cart-Token`` header); only its hash is stored. On login the guest's lines
move into the account's cart. Only published product variants of approved merchants can be
added, in quantities some store of that merchant could supply.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..catalog.models import Listing, Variant
from ..catalog.states import ListingKind, ListingStatus
from ..database import MAX_ID, utcnow
from ..errors import InsufficientStock, NotFound, ValidationError
from ..extensions import db
from ..inventory.models import StockLevel
from ..merchants.models import Merchant
from ..merchants.states import MerchantStatus
from ..security import hash_token, new_token
from ..stores.models import Store
from ..validation import valid_int
from .models import Cart, CartLine

CART_TOKEN_PREFIX = "cart"  # noqa: S105 - the visible prefix of cart tokens, not a secret
MAX_LINE_QUANTITY = 99
MAX_LINES = 100


@dataclass
class MerchantPart:
    """The lines of one merchant in a cart: what becomes one order."""

    merchant: Merchant
    lines: list[CartLine]

    @property
    def currency(self) -> str:
        return self.lines[0].variant.listing.currency

    @property
    def subtotal(self) -> int:
        return sum(line.variant.price * line.quantity for line in self.lines)


# --- finding and making carts ----------------------------------------------------------------

def cart_of_user(user, *, create: bool = False) -> Cart | None:
    cart = db.session.scalars(sa.select(Cart).where(Cart.user_id == user.id)).first()
    if cart is None and create:
        cart = Cart(user_id=user.id)
        db.session.add(cart)
        db.session.flush()
    return cart


def new_guest_cart() -> tuple[Cart, str]:
    """A cart for someone not logged in; the plaintext token is returned once."""
    plaintext = new_token(CART_TOKEN_PREFIX)
    cart = Cart(token_hash=hash_token(plaintext))
    db.session.add(cart)
    db.session.flush()
    return cart, plaintext


def guest_cart(plaintext: str | None) -> Cart | None:
    if not plaintext or not plaintext.startswith(CART_TOKEN_PREFIX + "_"):
        return None
    return db.session.scalars(sa.select(Cart).where(
        Cart.token_hash == hash_token(plaintext), Cart.user_id.is_(None))).first()


def merge_into_account(guest: Cart | None, user) -> Cart | None:
    """Move a guest cart's lines into the user's cart (quantities add up, capped) and delete
    the guest cart. Returns the account's cart."""
    if guest is None or not guest.lines:
        if guest is not None:
            db.session.delete(guest)
            db.session.flush()
        return cart_of_user(user)
    cart = cart_of_user(user, create=True)
    existing = {line.variant_id: line for line in cart.lines}
    for line in list(guest.lines):
        mine = existing.get(line.variant_id)
        if mine is None:
            cart.lines.append(CartLine(merchant_id=line.merchant_id, variant_id=line.variant_id,
                                       quantity=line.quantity))
        else:
            mine.quantity = min(mine.quantity + line.quantity, MAX_LINE_QUANTITY)
    db.session.delete(guest)
    cart.updated_at = utcnow()
    db.session.flush()
    return cart


# --- what can be bought ------------------------------------------------------------------------

def purchasable_variant(variant_id) -> Variant:
    """An active variant of a published product of an approved merchant, else ``NotFound``
    (an unknown id and someone's draft look the same)."""
    try:
        variant_id = int(variant_id)
    except (TypeError, ValueError):
        raise NotFound("variant") from None
    if not 0 < variant_id <= MAX_ID:
        raise NotFound("variant")
    variant = db.session.scalars(
        sa.select(Variant).join(Listing, Listing.id == Variant.listing_id)
        .join(Merchant, Merchant.id == Variant.merchant_id)
        .where(Variant.id == variant_id, Variant.is_active.is_(True),
               Listing.status == ListingStatus.PUBLISHED, Listing.kind == ListingKind.PRODUCT,
               Merchant.status == MerchantStatus.APPROVED)).first()
    if variant is None:
        raise NotFound("variant")
    return variant


def best_store_availability(variant: Variant) -> int:
    """The most any one active store of the merchant has available: an order is served by a
    single store, so no line can ask for more than that."""
    best = db.session.scalar(
        sa.select(sa.func.max(StockLevel.on_hand - StockLevel.reserved))
        .join(Store, Store.id == StockLevel.store_id)
        .where(StockLevel.variant_id == variant.id, Store.is_active.is_(True),
               sa.or_(Store.pickup_enabled.is_(True), Store.reserve_enabled.is_(True))))
    return max(best or 0, 0)


def _check_quantity(variant: Variant, quantity) -> int:
    quantity = valid_int(quantity, "quantity", minimum=1, maximum=MAX_LINE_QUANTITY)
    if not variant.allow_negative_stock:
        available = best_store_availability(variant)
        if quantity > available:
            raise InsufficientStock(
                _l("Only %(n)d available at any one store.", n=available) if available
                else _l("This item is out of stock."),
                available=available, variant_id=variant.id)
    return quantity


# --- changing a cart ---------------------------------------------------------------------------

def add_item(cart: Cart, variant_id, quantity=1) -> CartLine:
    """Add a quantity of a variant (to the line already there, if any)."""
    variant = purchasable_variant(variant_id)
    line = next((x for x in cart.lines if x.variant_id == variant.id), None)
    added = valid_int(quantity, "quantity", minimum=1, maximum=MAX_LINE_QUANTITY)
    total = _check_quantity(variant, (line.quantity if line else 0) + added)
    if line is None:
        if len(cart.lines) >= MAX_LINES:
            raise ValidationError.field("variant_id", _l("The cart is full."))
        line = CartLine(merchant_id=variant.merchant_id, variant_id=variant.id, quantity=total)
        cart.lines.append(line)
    else:
        line.quantity = total
    cart.updated_at = utcnow()
    db.session.flush()
    return line


def get_line(cart: Cart, line_id) -> CartLine:
    line = next((x for x in cart.lines if str(x.id) == str(line_id)), None)
    if line is None:
        raise NotFound("cart_line")
    return line


def set_quantity(cart: Cart, line_id, quantity) -> CartLine:
    line = get_line(cart, line_id)
    line.quantity = _check_quantity(purchasable_variant(line.variant_id), quantity)
    cart.updated_at = utcnow()
    db.session.flush()
    return line


def remove_line(cart: Cart, line_id) -> None:
    cart.lines.remove(get_line(cart, line_id))
    cart.updated_at = utcnow()
    db.session.flush()


def remove_merchants(cart: Cart, merchant_ids: set[int]) -> None:
    """Drop the lines that became orders."""
    for line in [x for x in cart.lines if x.merchant_id in merchant_ids]:
        cart.lines.remove(line)
    cart.updated_at = utcnow()
    db.session.flush()


# --- reading a cart ----------------------------------------------------------------------------

def parts(cart: Cart | None) -> list[MerchantPart]:
    """The cart split by merchant, in the order merchants were first added."""
    grouped: OrderedDict[int, MerchantPart] = OrderedDict()
    for line in (cart.lines if cart else []):
        part = grouped.get(line.merchant_id)
        if part is None:
            part = grouped[line.merchant_id] = MerchantPart(line.merchant, [])
        part.lines.append(line)
    return list(grouped.values())


def version(cart: Cart | None) -> str:
    """A fingerprint of what the cart holds and costs now. Checkout sends back the version it
    showed; if lines, quantities or prices changed since, the checkout is refused."""
    digest = hashlib.sha256()
    for line in sorted(cart.lines if cart else [], key=lambda x: x.variant_id):
        digest.update(f"{line.variant_id}:{line.quantity}:{line.variant.price};".encode())
    return digest.hexdigest()[:20]


def item_count(cart: Cart | None) -> int:
    return sum(line.quantity for line in cart.lines) if cart else 0
