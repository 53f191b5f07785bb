"""A poster as an A5 page at 300 dpi: PNG for a print shop, PDF for an office printer.

The QR code is drawn module by module at a whole number of pixels per module (no resampling
blur) and takes most of the page: at 300 dpi it is about 10 cm wide, readable from an arm's
length on a counter or a window. Text uses DejaVu Sans (from npm, copied with the other
vendor assets), which has every Vietnamese letter.
"""

from __future__ import annotations

import io
from pathlib import Path

import qrcode
from flask import current_app
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_Q

DPI = 300
PAGE = (1748, 2480)          # A5 portrait: 148 × 210 mm at 300 dpi
MARGIN = 130
QR_WIDTH = 1250              # about 10.5 cm
INK = (17, 24, 39)
MUTED = (75, 85, 99)


def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    folder = Path(current_app.static_folder) / "vendor" / "fonts"
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(folder / name), size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, lines: int) -> list[str]:
    words, out, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not line:
            line = candidate
        else:
            out.append(line)
            line = word
    if line:
        out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1].rstrip(".,;: ") + "…"
    return out


def _centered(draw, y: int, text: str, font, fill) -> int:
    width = draw.textlength(text, font=font)
    draw.text(((PAGE[0] - width) / 2, y), text, font=font, fill=fill)
    return y + int(font.size * 1.25)


def _qr(link: str) -> Image.Image:
    # Q: a quarter of the code may be scratched or dirty and it still reads (posters age).
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=4)
    qr.add_data(link)
    qr.make(fit=True)
    modules = qr.modules_count + 2 * qr.border
    qr.box_size = max(1, QR_WIDTH // modules)
    return qr.make_image().convert("RGB")


def page(*, merchant: str, headline: str, call_to_action: str, link: str,
         store_line: str) -> Image.Image:
    image = Image.new("RGB", PAGE, "white")
    draw = ImageDraw.Draw(image)
    width = PAGE[0] - 2 * MARGIN
    y = MARGIN
    y = _centered(draw, y, merchant, _font(True, 72), MUTED) + 30
    big = _font(True, 110)
    for line in _wrap(draw, headline, big, width, 3):
        y = _centered(draw, y, line, big, INK)
    code = _qr(link)
    y += 40
    image.paste(code, ((PAGE[0] - code.width) // 2, y))
    y += code.height + 30
    y = _centered(draw, y, call_to_action, _font(True, 64), INK) + 10
    y = _centered(draw, y, link, _font(False, 40), MUTED)
    small = _font(False, 44)
    for line in _wrap(draw, store_line, small, width, 2):
        y = _centered(draw, y + 10, line, small, MUTED)
    return image


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()


def pdf(image: Image.Image, *, title: str) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=DPI, title=title)
    return out.getvalue()
