"""Keeping search in step with the database, through the outbox.

Every flush is watched: a listing, variant, image or tag, a stock movement, a store (its
hours and exceptions too) or a merchant that changes is noted in the session, and just before
the commit one ``search.index`` outbox message carries all of the transaction's ids. Nothing
is noted by hand in the services, so no change can forget to reach search, and a rolled-back
transaction sends nothing. After the commit the outbox worker rebuilds those documents from
the database and writes them to the backend; if the backend is down the message waits and is
retried, and the checkout or edit that caused it has long succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..catalog.models import Listing, ListingImage, ListingTag, Variant
from ..database import utcnow
from ..extensions import db
from ..inventory.models import StockLevel, StockMovement
from ..merchants.models import Merchant
from ..outbox.models import OutboxMessage
from ..outbox.services import enqueue, register_handler
from ..stores.models import OpeningInterval, Store, StoreException
from . import documents
from .documents import Batch

log = logging.getLogger(__name__)

TOPIC = "search.index"
KEY = "search_changes"
KINDS = ("listings", "variants", "stores", "merchants", "listings_and_shop")


def _note(session: Session, kind: str, value) -> None:
    if value is not None:
        session.info.setdefault(KEY, {k: set() for k in KINDS})[kind].add(int(value))


def _noted(session: Session, obj) -> None:
    if isinstance(obj, Listing):
        # A listing's category can change what its shop's stores are found under.
        _note(session, "listings_and_shop", obj.id)
    elif isinstance(obj, Variant | ListingImage | ListingTag):
        _note(session, "listings", obj.listing_id)
    elif isinstance(obj, StockMovement | StockLevel):
        _note(session, "variants", obj.variant_id)
    elif isinstance(obj, Store):
        _note(session, "stores", obj.id)
    elif isinstance(obj, OpeningInterval | StoreException):
        _note(session, "stores", obj.store_id)
    elif isinstance(obj, Merchant) and _merchant_shown_differently(obj):
        _note(session, "merchants", obj.id)


def _merchant_shown_differently(merchant: Merchant) -> bool:
    # Enabling a plugin or changing a theme touches the row too; only these reach search.
    state = inspect(merchant)
    if state.pending or state.deleted or state.was_deleted:
        return True
    return any(state.attrs[name].history.has_changes() for name in ("status", "name", "slug"))


def _after_flush(session: Session, _context) -> None:
    if not session.info.get("search_tracking"):
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        _noted(session, obj)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer transaction's commit sends everything
    changes = session.info.pop(KEY, None)
    if changes and any(changes.values()):
        enqueue(TOPIC, {k: sorted(v) for k, v in changes.items() if v})


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost one: committed (already sent) or rolled back
        session.info.pop(KEY, None)


def _tracking(session: Session) -> None:
    """Mark sessions of an app that has search; the events are global to ``Session``."""
    session.info["search_tracking"] = has_app_context() and "search" in current_app.extensions


def batch_for(payload: dict, now: datetime) -> Batch:
    """Resolve the noted ids to the documents they touch, read fresh from the database."""
    listings = set(payload.get("listings", ())) | set(payload.get("listings_and_shop", ()))
    stores = set(payload.get("stores", ()))
    if payload.get("variants"):
        listings |= documents.listings_of_variants(payload["variants"])
    if payload.get("merchants"):
        merchant_stores, merchant_listings = documents.of_merchants(payload["merchants"])
        stores |= merchant_stores
        listings |= merchant_listings
    if payload.get("listings_and_shop"):
        stores |= documents.stores_of_merchants_of_listings(payload["listings_and_shop"])
    if payload.get("stores"):
        # A store closing or moving changes where its shop's listings can be had.
        listings |= documents.listings_of_stores(payload["stores"])
    batch = documents.build_stores(stores, now)
    found = documents.build_listings(listings)
    batch.listings, batch.offers = found.listings, found.offers
    batch.gone_listings, batch.gone_offers = found.gone_listings, found.gone_offers
    return batch


def deliver(payload: dict) -> None:
    batch = batch_for(payload, utcnow())
    db.session.rollback()  # only reads: end the transaction before the backend's round trip
    if batch:
        current_backend().apply(batch)


def all_batches(now: datetime) -> Iterator[Batch]:
    """The whole index, store documents first, in batches of ``documents.CHUNK`` ids."""
    store_ids, listing_ids = documents.all_ids()
    for start in range(0, len(store_ids), documents.CHUNK):
        yield documents.build_stores(store_ids[start:start + documents.CHUNK], now)
        db.session.expunge_all()
    for start in range(0, len(listing_ids), documents.CHUNK):
        found = documents.build_listings(listing_ids[start:start + documents.CHUNK])
        found.gone_listings, found.gone_offers = set(), set()  # a rebuild starts empty
        yield found
        db.session.expunge_all()


def reindex(now: datetime | None = None) -> int:
    """Rebuild every document from the database; searches go on meanwhile.

    Changes committed while the rebuild runs may be written to the old index and swapped
    away with it, so their outbox messages are applied once more to the new one."""
    started = utcnow()
    written = current_backend().rebuild(all_batches(now or started))
    db.session.rollback()
    during = db.session.scalars(sa.select(OutboxMessage.payload).where(
        OutboxMessage.topic == TOPIC, OutboxMessage.created_at >= started)).all()
    for payload in during:
        deliver(payload)
    return written


def refresh_opening_windows(now: datetime | None = None) -> int:
    """Index the next opening of every store whose indexed one has ended (the periodic job).

    Until this runs such a store is already found as closed; it only lacks its next opening
    time."""
    now = now or utcnow()
    backend = current_backend()
    ids = backend.stores_closed_since(int(now.timestamp()))
    if ids:
        batch = documents.build_stores(ids, now)
        db.session.rollback()
        backend.apply(batch)
    return len(ids)


def current_backend():
    return current_app.extensions["search"]


def init_app(app: Flask) -> None:
    register_handler(app, TOPIC, deliver)
    if not getattr(Session, "_marketplace_search_events", False):
        event.listen(Session, "after_begin", lambda s, *_: _tracking(s))
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
        Session._marketplace_search_events = True
