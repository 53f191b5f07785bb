"""Posters: made by the merchant, scanned by passers-by, counted for the funnel.

A poster's target is a store page, a listing page or a campaign page. Each kind of target is
one row of ``TARGETS``: how it is loaded (scoped to the merchant), where a scan goes, and the
headline printed when the merchant writes none.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..catalog.models import Listing
from ..catalog.states import ListingStatus
from ..database import get_scoped, scoped
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..stores.models import Store
from ..urls import public_url
from ..validation import optional_text
from .models import Poster, PosterScan

SOURCE = "poster"


@dataclass(frozen=True)
class Target:
    load: Callable[[int, int], object]          # (merchant id, target id) → the object
    link: Callable[[object, Poster], str]        # where a scan goes (absolute URL)
    headline: Callable[[object], str]


def _listing(merchant_id: int, listing_id) -> Listing:
    listing = get_scoped(Listing, merchant_id, listing_id)
    if listing.status != ListingStatus.PUBLISHED:
        raise ValidationError.field("target_id", _l("Only a published listing can be on a "
                                                    "poster."))
    return listing


def _campaign(merchant_id: int, campaign_id):
    from ..vouchers.models import Campaign
    from ..vouchers.states import CampaignState

    campaign = get_scoped(Campaign, merchant_id, campaign_id)
    if campaign.state == CampaignState.ENDED:
        raise ValidationError.field("target_id", _l("This campaign has ended."))
    return campaign


def _tracking(poster: Poster) -> dict:
    return {"src": SOURCE, "store": poster.store_id}


TARGETS: dict[str, Target] = {
    "store": Target(
        load=lambda merchant_id, target_id: get_scoped(Store, merchant_id, target_id),
        link=lambda store, poster: public_url(
            "storefront.store", merchant_slug=store.merchant.slug, store_slug=store.slug,
            **_tracking(poster)),
        headline=lambda store: store.name),
    "listing": Target(
        load=_listing,
        link=lambda listing, poster: public_url(
            "storefront.listing", merchant_slug=listing.merchant.slug,
            listing_slug=listing.slug, **_tracking(poster)),
        headline=lambda listing: listing.title),
    "campaign": Target(
        load=_campaign,
        link=lambda campaign, poster: public_url("vouchers.campaign", token=campaign.token,
                                                 **_tracking(poster)),
        headline=lambda campaign: campaign.name),
}


def create_poster(merchant, data: dict) -> Poster:
    target = data.get("target")
    if target not in TARGETS:
        raise ValidationError.field("target", _l("Choose what the poster opens."))
    try:
        store = get_scoped(Store, merchant.id, data.get("store_id"))
    except NotFound:
        raise ValidationError.field("store_id", _l("Choose one of your stores.")) from None
    try:
        subject = TARGETS[target].load(merchant.id, data.get("target_id"))
    except NotFound:
        raise ValidationError.field("target_id", _l("Choose what the poster is for.")) from None
    headline = optional_text(data.get("headline"), "headline", max_length=80) or \
        TARGETS[target].headline(subject)[:80]
    poster = Poster(merchant_id=merchant.id, store_id=store.id, target=target,
                    target_id=subject.id, token=secrets.token_urlsafe(9), headline=headline)
    db.session.add(poster)
    db.session.flush()
    return poster


def short_link(poster: Poster) -> str:
    return public_url("poster_links.scan", token=poster.token)


def destination(poster: Poster) -> str:
    target = TARGETS[poster.target]
    return target.link(target.load(poster.merchant_id, poster.target_id), poster)


def scan(token: str, *, visitor: str) -> str:
    """Count a scan and answer where the phone goes next."""
    poster = db.session.scalar(sa.select(Poster).where(Poster.token == token[:16]))
    if poster is None:
        raise NotFound("poster")
    try:
        target = destination(poster)
    except (NotFound, ValidationError):  # the listing was unpublished since, the store closed
        raise NotFound("poster") from None
    db.session.add(PosterScan(merchant_id=poster.merchant_id, poster_id=poster.id,
                              visitor=visitor[:32]))
    db.session.flush()
    return target


def listing(merchant_id: int) -> list[Poster]:
    return list(db.session.scalars(scoped(Poster, merchant_id).order_by(Poster.id.desc())))


def scan_counts(merchant_id: int) -> dict[int, tuple[int, int]]:
    """Poster id → (scans, visits): every scan, and the distinct phones that scanned."""
    rows = db.session.execute(
        sa.select(PosterScan.poster_id, sa.func.count(),
                  sa.func.count(sa.distinct(PosterScan.visitor)))
        .where(PosterScan.merchant_id == merchant_id).group_by(PosterScan.poster_id))
    return {poster_id: (scans, visits) for poster_id, scans, visits in rows}


def get_poster(merchant_id: int, poster_id) -> Poster:
    return get_scoped(Poster, merchant_id, poster_id)


def summary(poster: Poster, counts: dict[int, tuple[int, int]]) -> dict:
    """A poster with its short link and its scans, as pages and the API show it."""
    scans, visitors = counts.get(poster.id, (0, 0))
    return {"id": poster.id, "target": poster.target, "target_id": poster.target_id,
            "store_id": poster.store_id, "headline": poster.headline,
            "link": short_link(poster), "scans": scans, "visitors": visitors,
            "created_at": poster.created_at}
