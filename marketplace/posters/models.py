"""Posters a merchant prints, and every scan of their QR codes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import db


class Poster(db.Model):
    """A QR poster or flyer for a store, a listing or a campaign, shown at ``store_id``.

    Its QR code holds the short link ``/p/<token>``: each scan is counted, then the phone
    goes on to the target page with the poster as its source, so what follows (a visit, a
    claimed voucher, a redemption at the counter) is attributed to this poster's store."""

    __tablename__ = "posters"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"),
                                          index=True, nullable=False)
    target: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    target_id: Mapped[int] = mapped_column(nullable=False)
    token: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    headline: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    store = relationship("Store")

    __table_args__ = (
        sa.CheckConstraint("target IN ('store', 'listing', 'campaign')", name="target"),
    )


class PosterScan(db.Model):
    """One scan of a poster's QR code. ``visitor`` is a random id the browser keeps in its
    session (never a person's identity): scans by the same phone count as one visit."""

    __tablename__ = "poster_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"),
                                             index=True, nullable=False)
    poster_id: Mapped[int] = mapped_column(sa.ForeignKey("posters.id", ondelete="CASCADE"),
                                           index=True, nullable=False)
    visitor: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
