"""Sending a delivery photo to the one who may see it (the routes check who that is)."""

from __future__ import annotations

from flask import current_app, send_from_directory

from .models import DeliveryPhoto


def send_photo(photo: DeliveryPhoto):
    # Someone's door or face: never cached by a shared cache, never framed or scripted.
    response = send_from_directory(current_app.config["UPLOAD_FOLDER"], photo.path, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'"
    return response
