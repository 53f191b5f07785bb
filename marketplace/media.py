"""Uploaded images: checked by content (not by the name or the browser's claim), re-encoded to
drop metadata such as GPS positions, and stored under the upload folder (instance by default)."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ValidationError

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
           "WEBP": ("image/webp", "webp")}


@dataclass(frozen=True)
class StoredImage:
    path: str  # relative to the upload folder, with forward slashes
    content_type: str
    width: int
    height: int
    size_bytes: int


def _read_limited(stream, limit: int, field: str) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValidationError.field(
            field, _l("The image is larger than %(mb)s MB.", mb=round(limit / 1_048_576, 1)))
    if not data:
        raise ValidationError.field(field, _l("Choose an image file."))
    return data


def save_image(stream, *, folder: str, field: str = "image") -> StoredImage:
    """Validate and store an uploaded image; raises ``ValidationError`` naming ``field``."""
    config = current_app.config
    data = _read_limited(stream, config["IMAGE_MAX_BYTES"], field)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        raise ValidationError.field(field, _l("This file is not a JPEG, PNG or WebP image.")) \
            from None
    if image_format not in FORMATS:
        raise ValidationError.field(field, _l("This file is not a JPEG, PNG or WebP image."))
    if width * height > config["IMAGE_MAX_PIXELS"]:
        raise ValidationError.field(field, _l("The image has too many pixels."))
    content_type, extension = FORMATS[image_format]
    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
        out = io.BytesIO()
        if image_format == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        # Pillow writes some metadata from ``info`` back (a JPEG's comment, for one): drop it.
        image.info = {}
        image.save(out, format=image_format, quality=88, optimize=True)
        width, height = image.size
    relative = f"{folder.strip('/')}/{secrets.token_hex(12)}.{extension}"
    target = Path(config["UPLOAD_FOLDER"]) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(out.getvalue())
    return StoredImage(relative, content_type, width, height, len(out.getvalue()))


def delete_file(relative: str | None) -> None:
    """Remove a stored file after the database change that dropped it has committed."""
    if not relative:
        return
    root = Path(current_app.config["UPLOAD_FOLDER"]).resolve()
    target = (root / relative).resolve()
    if root in target.parents:
        target.unlink(missing_ok=True)
