"""Storefront search pages: products as you type, stores near me.

Both read the query string with the same schemas as the API; a search that cannot be done
(a latitude of 200, an unknown facet) is shown as a message above the form with a 400, and
nothing is searched. With ``?fragment=1`` the search page answers only its results block,
which the page's script swaps in while the visitor types.
"""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from ..catalog.services import categories
from ..catalog.states import ListingKind
from ..search import service
from ..search.query import (
    LISTING_SORTS,
    BadSearchQuery,
    ListingSearchArgs,
    SearchUnavailable,
    StoreSearchArgs,
    load_args,
)
from ..theming import render_storefront

bp = Blueprint("find", __name__)

SORT_LABELS = {"relevance": _l("Best match"), "price_asc": _l("Price, low to high"),
               "price_desc": _l("Price, high to low"), "newest": _l("Newest"),
               "distance": _l("Nearest first")}
FACET_LABELS = {"category": _l("Category"), "merchant": _l("Shop"), "kind": _l("Kind")}


def distance_text(metres) -> str:
    """"350 m" under a kilometre, else "1,2 km" in the reader's language."""
    if metres is None:
        return ""
    if metres < 1000:
        return f"{int(round(metres, -1 if metres >= 100 else 0))} m"
    return f"{format_decimal(round(metres / 1000, 1))} km"


@bp.record_once
def _helpers(state) -> None:
    # Globals, like the other storefront helpers (see storefront._helpers for why).
    state.app.jinja_env.globals.update(
        distance_text=distance_text, sort_label=lambda s: str(SORT_LABELS.get(s, s)),
        facet_label=lambda f: str(FACET_LABELS.get(f, f)),
        kind_label=lambda k: str(service.KIND_LABELS.get(k, k)))


def _searched(search, schema, args):
    """(query args, page, error): the error of a search that cannot be done (or not now: the
    engine is down), else None. The page still renders, with the form and the message."""
    try:
        loaded = load_args(schema, args)
        return loaded, search(loaded)[1], None
    except (BadSearchQuery, SearchUnavailable) as exc:
        return {}, None, exc


@bp.get("/search")
def search():
    args, page, error = _searched(service.search_listings, ListingSearchArgs, request.args)
    template = ("storefront/_search_results.html" if request.args.get("fragment")
                else "storefront/search.html")
    body = render_storefront(
        template, args=args, page=page, error=error, raw=request.args,
        facets=service.facet_values(page) if page else {}, sorts=LISTING_SORTS,
        categories=categories(), kinds=list(ListingKind))
    return body, error.status if error else 200


@bp.get("/stores/near")
def stores_near():
    asked = any(request.args.get(k) for k in ("lat", "near"))
    args, page, error = (_searched(service.search_stores, StoreSearchArgs, request.args)
                         if asked else ({}, None, None))
    body = render_storefront("storefront/stores_near.html", args=args, page=page, error=error,
                             raw=request.args, categories=categories())
    return body, error.status if error else 200
