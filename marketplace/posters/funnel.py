"""The online-to-offline funnel of a campaign, per store: posters scanned → phones that came
→ vouchers claimed from those posters → vouchers redeemed at the counter.

Scans and visitors come from the campaign's posters (by the store each poster hangs in);
claims are vouchers whose source is a poster of that store; redemptions are vouchers used at
that store's counter, whatever their source (a voucher claimed from a window poster at one
store may be used at another). Claims from the shop page or a shared link have no store:
they are the first row.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..stores.models import Store
from ..vouchers.models import Voucher
from ..vouchers.states import Source, VoucherState
from .models import Poster, PosterScan


@dataclass
class FunnelRow:
    store: Store | None           # None: claims that came from no poster
    scans: int = 0
    visitors: int = 0
    claims: int = 0
    redeemed: int = 0


def _by_store(query) -> dict[int | None, tuple]:
    return {row[0]: tuple(row[1:]) for row in db.session.execute(query)}


def campaign_funnel(campaign) -> tuple[list[FunnelRow], FunnelRow]:
    """The campaign's rows (stores with any activity, by name; then "no poster") and the
    totals."""
    scans = _by_store(
        sa.select(Poster.store_id, sa.func.count(PosterScan.id),
                  sa.func.count(sa.distinct(PosterScan.visitor)))
        .join(PosterScan, PosterScan.poster_id == Poster.id)
        .where(Poster.merchant_id == campaign.merchant_id, Poster.target == "campaign",
               Poster.target_id == campaign.id)
        .group_by(Poster.store_id))
    claims = _by_store(
        sa.select(sa.case((Voucher.source == Source.POSTER, Voucher.source_store_id)),
                  sa.func.count())
        .where(Voucher.campaign_id == campaign.id).group_by(sa.text("1")))
    redeemed = _by_store(
        sa.select(Voucher.redeemed_store_id, sa.func.count())
        .where(Voucher.campaign_id == campaign.id, Voucher.state == VoucherState.REDEEMED)
        .group_by(Voucher.redeemed_store_id))
    ids = {i for i in (*scans, *claims, *redeemed) if i is not None}
    stores = {s.id: s for s in db.session.scalars(
        sa.select(Store).where(Store.id.in_(ids), Store.merchant_id == campaign.merchant_id))}
    rows = []
    for store in sorted(stores.values(), key=lambda s: s.name):
        found_scans, found_visitors = scans.get(store.id, (0, 0))
        rows.append(FunnelRow(store, found_scans, found_visitors,
                              claims.get(store.id, (0,))[0], redeemed.get(store.id, (0,))[0]))
    elsewhere = claims.get(None, (0,))[0]
    if elsewhere:
        rows.append(FunnelRow(None, claims=elsewhere))
    # A phone that scanned posters at two stores is one visitor of the campaign.
    visitors = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(PosterScan.visitor)))
        .join(Poster, PosterScan.poster_id == Poster.id)
        .where(Poster.merchant_id == campaign.merchant_id, Poster.target == "campaign",
               Poster.target_id == campaign.id))
    total = FunnelRow(None, sum(r.scans for r in rows), visitors,
                      sum(r.claims for r in rows), sum(r.redeemed for r in rows))
    return rows, total
