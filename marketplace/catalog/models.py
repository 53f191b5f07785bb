from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TimestampMixin, UTCDateTime
from ..extensions import db
from .states import ListingStatus


class Category(db.Model):
    """Platform-wide taxonomy; ``names`` maps a locale to the category's name in it."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    names: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    position: Mapped[int] = mapped_column(default=0, nullable=False)

    @property
    def name(self) -> str:
        locale = str(get_locale() or "en")
        return self.names.get(locale) or self.names.get("en") or self.slug


class Listing(TimestampMixin, db.Model):
    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("categories.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=ListingStatus.DRAFT,
                                        nullable=False, index=True)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # kind == service
    duration_minutes: Mapped[int | None] = mapped_column()
    # kind == voucher: what it is worth, and how long it stays valid
    voucher_kind: Mapped[str | None] = mapped_column(sa.String(16))
    voucher_value: Mapped[int | None] = mapped_column()
    valid_from: Mapped[date | None] = mapped_column(sa.Date)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    valid_days: Mapped[int | None] = mapped_column()

    merchant = relationship("Merchant")
    category = relationship("Category")
    variants = relationship("Variant", back_populates="listing", cascade="all, delete-orphan",
                            order_by="(Variant.position, Variant.id)")
    images = relationship("ListingImage", cascade="all, delete-orphan",
                          order_by="(ListingImage.position, ListingImage.id)")
    tag_rows = relationship("ListingTag", cascade="all, delete-orphan",
                            order_by="ListingTag.tag")

    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "slug"),
        sa.CheckConstraint("duration_minutes IS NULL OR duration_minutes > 0", name="duration"),
        sa.CheckConstraint("voucher_value IS NULL OR voucher_value > 0", name="voucher_value"),
    )

    @property
    def tags(self) -> list[str]:
        return [t.tag for t in self.tag_rows]

    @property
    def active_variants(self) -> list[Variant]:
        return [v for v in self.variants if v.is_active]

    @property
    def price_range(self) -> tuple[int, int] | None:
        prices = [v.price for v in self.active_variants]
        return (min(prices), max(prices)) if prices else None

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.kind} {self.slug}>"


class ListingTag(db.Model):
    __tablename__ = "listing_tags"

    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                            primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(40), primary_key=True, index=True)


class Variant(TimestampMixin, db.Model):
    """The unit that is priced, stocked and sold. Services and vouchers have exactly one."""

    __tablename__ = "variants"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                            index=True, nullable=False)
    sku: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    options: Mapped[dict] = mapped_column(sa.JSON, default=dict, nullable=False)
    price: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    compare_at_price: Mapped[int | None] = mapped_column(sa.BigInteger)
    barcode: Mapped[str | None] = mapped_column(sa.String(64))
    allow_negative_stock: Mapped[bool] = mapped_column(default=False, nullable=False)
    position: Mapped[int] = mapped_column(default=0, nullable=False)
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)

    listing = relationship("Listing", back_populates="variants")

    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "sku"),
        sa.CheckConstraint("price >= 0", name="price"),
        sa.CheckConstraint("compare_at_price IS NULL OR compare_at_price >= 0",
                           name="compare_at_price"),
    )

    @property
    def label(self) -> str:
        """"M / Đen" from the option values, or the SKU when there are none."""
        return " / ".join(str(v) for v in self.options.values()) or self.sku

    @property
    def currency(self) -> str:
        return self.listing.currency


class ListingImage(db.Model):
    __tablename__ = "listing_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                            index=True, nullable=False)
    path: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    width: Mapped[int] = mapped_column(nullable=False)
    height: Mapped[int] = mapped_column(nullable=False)
    size_bytes: Mapped[int] = mapped_column(nullable=False)
    alt: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    position: Mapped[int] = mapped_column(default=0, nullable=False)
