"""The plugin's web pages: the merchant's booking pages in the dashboard and the consumer's
booking pages on the storefront.

One blueprint, ``booking_appointments``, holds two: ``.dashboard`` (routes in
``views_setup`` and ``views_calendar``, under ``/dashboard/<merchant>/bookings``) and
``.shop`` (``views_shop``). The plugin is merchant-level: a merchant who has not enabled it
has none of these pages (404), whoever asks. Views stay thin: they parse the form, call
``setup`` or ``booking``, commit, and show the service's error (nothing changed) when it
refuses.
"""

from __future__ import annotations

from flask import Blueprint

from . import views_calendar, views_setup  # noqa: F401  (their routes are on the dashboard)
from .pages import NAME
from .views_dashboard import dashboard
from .views_shop import shop

bp = Blueprint(NAME, __name__)
bp.register_blueprint(dashboard)
bp.register_blueprint(shop)
