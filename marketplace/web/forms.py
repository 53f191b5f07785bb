"""Helpers for the thin views: read a form, run a service, commit, or re-render with errors."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def form_dict(*names: str) -> dict:
    """The named fields of the posted form (only those present)."""
    return {name: request.form.get(name) for name in names if name in request.form}


def checkbox(name: str) -> bool:
    return request.form.get(name) in ("on", "1", "true", "yes")


def safe_next(target: str | None, default: str) -> str:
    """Only follow ``next`` to a path on this site (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    # Browsers read "\" as "/" and drop tabs and newlines, so "/\evil.example" and
    # "/\t/evil.example" would still leave the site.
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    return target
