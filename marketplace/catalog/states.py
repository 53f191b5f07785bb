"""Listing publication life cycle as a transition table."""

from __future__ import annotations

from enum import StrEnum


class ListingKind(StrEnum):
    PRODUCT = "product"
    SERVICE = "service"
    VOUCHER = "voucher"


class ListingStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ListingEvent(StrEnum):
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    ARCHIVE = "archive"
    RESTORE = "restore"


S, E = ListingStatus, ListingEvent

TRANSITIONS: dict[tuple[ListingStatus, ListingEvent], ListingStatus] = {
    (S.DRAFT, E.PUBLISH): S.PUBLISHED,
    (S.DRAFT, E.ARCHIVE): S.ARCHIVED,
    (S.PUBLISHED, E.UNPUBLISH): S.DRAFT,
    (S.PUBLISHED, E.ARCHIVE): S.ARCHIVED,
    (S.ARCHIVED, E.RESTORE): S.DRAFT,
}


class VoucherKind(StrEnum):
    AMOUNT = "amount"    # a face value in minor units (₫100,000 off)
    PERCENT = "percent"  # a percentage off (30 % off in store)
