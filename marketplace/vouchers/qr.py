"""The QR image of a voucher's code, inline in the wallet page.

One small function, so the QR plugin's own renderer can take its place later: it draws the
signed payload when the platform has a code format, else the human code."""

from __future__ import annotations

from xml.etree import ElementTree

import qrcode
import qrcode.image.svg
from markupsafe import Markup
from qrcode.constants import ERROR_CORRECT_M

from ..redemption import services as redemption

SIZE = 220  # CSS pixels: large enough for a scanner at arm's length, small on a phone


def voucher_qr_svg(code, *, label: str = "") -> Markup:
    """An ``<svg>`` element for ``code`` (a ``RedeemableCode``), safe to put in a page."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    qr.add_data(code.payload or redemption.human_code(code))
    qr.make(fit=True)
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    root = image.get_image()
    # Sized in pixels (the factory writes millimetres) and named for screen readers.
    root.set("width", str(SIZE))
    root.set("height", str(SIZE))
    root.set("role", "img")
    root.set("class", "qr")
    if label:
        root.set("aria-label", label)
    for child in root:
        child.attrib.pop("id", None)  # one id per page: a wallet shows several codes
    # Scanners need the quiet zone light, whatever the page's background.
    root.insert(0, ElementTree.Element("rect", width="100%", height="100%", fill="#ffffff"))
    # ElementTree wrote every attribute escaped; the rest is path data of our own.
    return Markup(image.to_string(encoding="unicode"))  # noqa: S704
