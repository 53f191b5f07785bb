"""A code's QR image, PNG for phones and mail, SVG for print (sharp at any size)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

# Error correction M survives a scratched printout or a cracked phone screen; the quiet zone
# of four modules is what scanners need around the code.
BORDER = 4


def _qr(text: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=BORDER, box_size=8)
    qr.add_data(text)
    qr.make(fit=True)
    return qr


def png(text: str, *, box_size: int = 8) -> bytes:
    qr = _qr(text)
    qr.box_size = box_size
    buffer = io.BytesIO()
    qr.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def svg(text: str) -> bytes:
    image = _qr(text).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode").encode()
