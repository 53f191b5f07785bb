"""A code's QR image, PNG for phones and mail, SVG for print (sharp at any size)."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import qrcode
import qrcode.image.svg
from markupsafe import Markup
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


def inline_svg(text: str, *, size: int = 220, label: str = "") -> Markup:
    """An ``<svg>`` element to put in a page (several on one page: no ids), ``size`` CSS
    pixels wide (large enough for a scanner at arm's length, small on a phone)."""
    image = _qr(text).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    root = image.get_image()
    # Sized in pixels (the factory writes millimetres) and named for screen readers.
    root.set("width", str(size))
    root.set("height", str(size))
    root.set("role", "img")
    root.set("class", "qr")
    if label:
        root.set("aria-label", label)
    for child in root:
        child.attrib.pop("id", None)
    # Scanners need the quiet zone light, whatever the page's background.
    root.insert(0, ElementTree.Element("rect", width="100%", height="100%", fill="#ffffff"))
    # ElementTree wrote every attribute escaped; the rest is path data of our own.
    return Markup(image.to_string(encoding="unicode"))  # noqa: S704
