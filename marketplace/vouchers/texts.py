"""A campaign's conditions as sentences, in the reader's language: for the customer's wallet
and the campaign page, and for the staff member at the counter before confirming."""

from __future__ import annotations

import sqlalchemy as sa
from babel.dates import get_day_names
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l

from ..catalog.models import Category, Listing
from ..extensions import db
from ..money import format_money
from ..stores.models import Store
from . import discounts
from .states import CHANNEL_LABELS, Channel


def _names(model, attribute, merchant_id: int | None, ids) -> list[str]:
    if not ids:
        return []
    query = sa.select(model).where(model.id.in_(list(ids)))
    if merchant_id is not None:
        query = query.where(model.merchant_id == merchant_id)
    return sorted(str(getattr(row, attribute)) for row in db.session.scalars(query))


def store_names(campaign) -> list[str]:
    return _names(Store, "name", campaign.merchant_id, campaign.store_ids)


def conditions(campaign) -> list[str]:
    """Every rule of the campaign that limits the voucher, one sentence each."""
    out = [discounts.summary(discounts.terms_of(campaign))]
    if campaign.min_spend:
        out.append(str(_l("Minimum spend: %(amount)s",
                          amount=format_money(campaign.min_spend, campaign.currency))))
    items = _names(Listing, "title", campaign.merchant_id, campaign.listing_ids) + \
        _names(Category, "name", None, campaign.category_ids)
    if items:
        out.append(str(_l("Only on: %(items)s", items=", ".join(items))))
    stores = store_names(campaign)
    if stores:
        out.append(str(_l("Only at: %(stores)s", stores=", ".join(stores))))
    if campaign.weekdays:
        days = get_day_names("wide", locale=get_locale())
        out.append(str(_l("Only on %(days)s", days=", ".join(days[d] for d in
                                                           sorted(campaign.weekdays)))))
    if campaign.daily_start is not None:
        out.append(str(_l("From %(start)s to %(end)s (store time)",
                          start=campaign.daily_start.strftime("%H:%M"),
                          end=campaign.daily_end.strftime("%H:%M"))))
    out.append(str(CHANNEL_LABELS[Channel(campaign.channel)]))
    out.append(str(_l("Valid from %(start)s until %(end)s",
                      start=format_datetime(campaign.starts_at, "short"),
                      end=format_datetime(campaign.ends_at, "short"))))
    return out
