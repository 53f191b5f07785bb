"""A merchant's choice of storefront theme."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..errors import ValidationError
from ..extensions import db
from .engine import current_engine


def set_theme(merchant, name: str | None):
    """Use theme ``name`` for the merchant's storefront (``None``: the platform default)."""
    name = (name or "").strip() or None
    engine = current_engine()
    if name is not None and name not in engine.themes:
        raise ValidationError.field("theme", _l("Choose one of the installed themes."))
    merchant.theme = None if name == engine.default_name else name
    db.session.flush()
    return engine.theme_for(merchant)
