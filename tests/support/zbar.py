"""Read QR codes back from the images we make, with zbar (Debian's libzbar0 via pyzbar)."""

from __future__ import annotations

import io

import pytest


def decode_qr(png: bytes) -> str:
    """The text of the one QR code in a PNG. Skips without zbar (strict mode fails then)."""
    try:
        from pyzbar.pyzbar import decode
    except ImportError as exc:  # libzbar0 missing: strict mode (CI) makes this a failure
        pytest.skip(f"zbar is not installed: {exc}")
    from PIL import Image

    (found,) = decode(Image.open(io.BytesIO(png)))
    return found.data.decode()
