"""Distances on the Earth's surface, for the embedded backend and for checking the others."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_000.0


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (the same sphere Meilisearch uses)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) that contains every point within ``radius_m``.

    A cheap index-friendly prefilter; the exact haversine test follows. Near the poles the
    longitude span opens to the whole circle rather than being wrong."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    cos_lat = math.cos(math.radians(lat))
    if cos_lat < 1e-6 or dlat * 2 >= 180:
        return lat - dlat, lat + dlat, -180.0, 180.0
    dlng = math.degrees(math.asin(min(1.0, math.sin(radius_m / EARTH_RADIUS_M) / cos_lat)))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng
