"""The plugin's web pages: the rider's phone page and the merchant's assignment page.

One blueprint, ``delivery_local_courier``, holds two: ``.rider`` (``views_rider``, under
``/rider/``: any logged-in member with parcels assigned) and ``.dashboard``
(``views_dashboard``, under ``/dashboard/<merchant>/local-courier``: members who handle
orders at a merchant that enabled the plugin). Views stay thin: they parse the form, call
``riders`` or ``marketplace.delivery.shipments``, commit, and show the service's error
(nothing changed) when it refuses.
"""

from __future__ import annotations

from flask import Blueprint

from .settings import NAME
from .views_dashboard import dashboard
from .views_rider import rider

bp = Blueprint(NAME, __name__)
bp.register_blueprint(rider)
bp.register_blueprint(dashboard)
