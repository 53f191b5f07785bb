"""The one interface every search engine implements (a contract test suite runs each).

A backend stores the documents of ``documents.py`` (stores, listings with the stores that
have them, and offers, which a backend may ignore) and answers two questions: nearby
stores, and listings (optionally "in stock at a store near me": one hit per listing, at its
nearest store that has it). Writes are idempotent upserts and deletes by id, so the outbox
may deliver a change twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable

from .documents import Batch
from .query import ListingQuery, Page, StoreQuery


class SearchBackend(ABC):
    #: Short name shown by /healthz and the CLI.
    name: str = ""
    #: Whether "ca phe sau da" finds "cà phê sữa đá" (a typo); the embedded one only folds
    #: accents and matches prefixes.
    typo_tolerant: bool = False

    @abstractmethod
    def setup(self) -> None:
        """Create the indexes or tables and apply their settings; safe to run again."""

    @abstractmethod
    def apply(self, batch: Batch) -> None:
        """Write the batch's documents and remove its gone ids, in that order."""

    @abstractmethod
    def rebuild(self, batches: Iterable[Batch]) -> int:
        """Replace everything with the documents of ``batches`` while searches keep being
        answered from the old data until the new is complete. Returns documents written."""

    @abstractmethod
    def search_stores(self, query: StoreQuery) -> Page:
        """Stores within the radius, nearest first (or by name), with ``distance_m``."""

    @abstractmethod
    def search_listings(self, query: ListingQuery) -> Page:
        """Listings matching the text and filters, with facet counts. With ``in_stock_near``
        each hit also names the nearest store within the radius that has it (``store_id``,
        ``store_name``, ``store_slug``, ``available``, ``distance_m``)."""

    @abstractmethod
    def stores_closed_since(self, now: int) -> list[int]:
        """Stores whose indexed opening window ended before ``now`` (epoch seconds): their
        next opening must be indexed."""

    @abstractmethod
    def health(self) -> dict:
        """``{"status": "ok" | "down", …}``; never raises."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every document (tests, and ``search reindex --from-scratch``)."""

    def wait(self) -> None:  # noqa: B027 - most backends write synchronously
        """Return once every write accepted so far is searchable."""
