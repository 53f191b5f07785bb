"""Static files of themes: /themes/<theme>/static/<file>, only from that theme's static/."""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory

from ..theming import current_engine

bp = Blueprint("themes", __name__, url_prefix="/themes")


@bp.get("/<theme_name>/static/<path:filename>")
def static_file(theme_name: str, filename: str):
    theme = current_engine().themes.get(theme_name)
    if theme is None:
        abort(404)
    # send_from_directory refuses paths that leave the folder ("../", absolute paths).
    return send_from_directory(theme.static, filename, max_age=3600)
