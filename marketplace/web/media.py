"""Serve uploaded images (logos, listing photos) from the upload folder."""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("media", __name__)


@bp.get("/media/<path:filename>")
def file(filename: str):
    # send_from_directory refuses paths that leave the folder; names are random, so caching
    # forever is safe (a replaced image gets a new name).
    response = send_from_directory(current_app.config["UPLOAD_FOLDER"], filename, max_age=31536000)
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'"
    return response
