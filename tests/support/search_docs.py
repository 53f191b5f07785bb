"""Search documents made by hand for the backend contract tests, in the shape
``marketplace.search.documents`` builds from the database (a test checks the keys agree)."""

from __future__ import annotations

from marketplace.search.documents import offer_id
from marketplace.search.folding import fold

ALWAYS = (0, 2_000_000_000)  # open from 1970 to 2033


def store_doc(store_id: int, lat: float, lng: float, *, merchant_id: int = 1,
              name: str | None = None, categories=(), pickup: bool = True,
              window: tuple[int, int] = ALWAYS) -> dict:
    name = name or f"Cửa hàng {store_id}"
    return {
        "id": store_id, "merchant_id": merchant_id, "merchant_slug": f"shop-{merchant_id}",
        "merchant_name": f"Shop {merchant_id}", "name": name, "slug": f"store-{store_id}",
        "address": "1 Lê Lợi, Quận 1, Hồ Chí Minh", "district": "Quận 1",
        "city": "Hồ Chí Minh", "timezone": "Asia/Ho_Chi_Minh", "phone": "",
        "_geo": {"lat": lat, "lng": lng}, "category_ids": list(categories),
        "pickup": pickup, "reserve": False, "open_from": window[0], "open_until": window[1],
        "text": fold(f"{name} Shop {merchant_id} 1 Lê Lợi"),
    }


def listing_doc(listing_id: int, title: str, *, merchant_id: int = 1, category_id=None,
                kind: str = "product", price: int = 10_000, published_at: int = 1_700_000_000,
                tags=(), description: str = "") -> dict:
    return {
        "id": listing_id, "merchant_id": merchant_id, "merchant_slug": f"shop-{merchant_id}",
        "slug": f"listing-{listing_id}", "kind": kind, "category_id": category_id,
        "category_slug": None, "currency": "VND", "price_min": price, "price_max": price,
        "image": None, "description": description, "published_at": published_at,
        "stores_with_stock": 0, "title": title, "tags": list(tags), "category_names": [],
        "merchant_name": f"Shop {merchant_id}",
        "stock_store_ids": [], "stock": [],
        "folded": fold(" ".join([title, *tags, f"Shop {merchant_id}"])),
        "folded_body": fold(description),
    }


def stocked(listing: dict, *offers: dict) -> dict:
    """The listing document as the builder makes it when these are its offers: the stores
    that have it travel on the listing too (what Meilisearch searches)."""
    stock = [{"store_id": o["store_id"], "store_name": o["store_name"],
              "store_slug": o["store_slug"], "available": o["available"]} for o in offers]
    return listing | {"stock": stock, "stock_store_ids": [e["store_id"] for e in stock],
                      "stores_with_stock": len(stock)}


def offer_doc(listing: dict, store: dict, available: int | None = 5) -> dict:
    return {
        "id": offer_id(listing["id"], store["id"]), "listing_id": listing["id"],
        "store_id": store["id"], "merchant_id": listing["merchant_id"],
        "category_id": listing["category_id"], "kind": listing["kind"],
        "title": listing["title"], "tags": listing["tags"],
        "category_names": listing["category_names"],
        "merchant_name": listing["merchant_name"], "merchant_slug": listing["merchant_slug"],
        "slug": listing["slug"], "currency": "VND", "image": None,
        "price_min": listing["price_min"], "price_max": listing["price_max"],
        "published_at": listing["published_at"], "store_name": store["name"],
        "store_slug": store["slug"], "_geo": dict(store["_geo"]), "available": available,
        "variants": [] if available is None else [{"id": 1, "available": available}],
    }
