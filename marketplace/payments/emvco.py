"""EMVCo merchant-presented QR payloads: the text inside a bank-transfer or wallet QR code.

The format (EMV QR Code Specification for Payment Systems, Merchant-Presented Mode) is a list
of data objects, each ``ID`` (2 digits) + ``length`` (2 digits) + ``value``; some values are
themselves such lists (templates). The payload ends with object ``63``, a CRC-16/CCITT-FALSE
of everything before it, ``6304`` included, as 4 upper-case hex digits. National schemes
(VietQR in Vietnam, PromptPay, DuitNow, …) differ only in which objects they put in the
merchant-account template, so this module knows the envelope and nothing national: payment
plugins build their scheme's objects with it.

Lengths count characters; the specification allows only characters of its common set in
most fields, so ``build`` refuses what a banking app could not read back (over 99 characters,
control characters) rather than produce a code that scans wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Object ids every scheme shares (EMVCo MPM, section 4.2 / 4.7).
PAYLOAD_FORMAT = "00"
POINT_OF_INITIATION = "01"
CURRENCY = "53"
AMOUNT = "54"
COUNTRY = "58"
MERCHANT_NAME = "59"
MERCHANT_CITY = "60"
ADDITIONAL_DATA = "62"
CRC = "63"
# Inside ``62``: the bill number and the purpose of the transaction (a transfer's message).
BILL_NUMBER = "01"
PURPOSE = "08"

STATIC, DYNAMIC = "11", "12"  # the same code for every payment, or one for this payment only
MAX_VALUE = 99
_ID = re.compile(r"\d\d")
_AMOUNT = re.compile(r"\d{1,13}(\.\d{1,2})?")
_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]*")


class PayloadError(ValueError):
    """A payload that cannot be built or read as EMVCo merchant-presented mode."""


def crc16(text: str) -> str:
    """CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF, no reflection, no final XOR)
    of the UTF-8 bytes, as the 4 upper-case hex digits object ``63`` carries."""
    crc = 0xFFFF
    for byte in text.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


@dataclass(frozen=True)
class DataObject:
    """One ``ID``-length-value; ``value`` is text, or a tuple of objects for a template."""

    id: str
    value: str | tuple[DataObject, ...]

    def encode(self) -> str:
        if not _ID.fullmatch(self.id):
            raise PayloadError(f"object id {self.id!r} is not two digits")
        value = (encode(self.value) if isinstance(self.value, tuple) else self.value)
        if not value:
            raise PayloadError(f"object {self.id} is empty")
        if len(value) > MAX_VALUE:
            raise PayloadError(f"object {self.id} is {len(value)} characters long "
                               f"(at most {MAX_VALUE})")
        if not _PRINTABLE.fullmatch(value):
            raise PayloadError(f"object {self.id} contains control characters")
        return f"{self.id}{len(value):02d}{value}"


def encode(objects: tuple[DataObject, ...] | list[DataObject]) -> str:
    return "".join(obj.encode() for obj in objects)


def build(objects: list[DataObject]) -> str:
    """The whole payload: the objects in the order given, then the CRC object."""
    if not objects or objects[0].id != PAYLOAD_FORMAT:
        raise PayloadError("a payload starts with the payload format indicator (00)")
    if any(obj.id == CRC for obj in objects):
        raise PayloadError("the CRC (63) is added by build()")
    body = encode(objects) + CRC + "04"
    return body + crc16(body)


def amount(minor_units: int, exponent: int) -> str:
    """Object ``54`` for an amount in minor units: ``150000`` VND (exponent 0) → ``150000``,
    ``1999`` USD cents (exponent 2) → ``19.99``. Positive, at most 13 digits before the
    point, as the specification allows."""
    if minor_units <= 0:
        raise PayloadError("the amount must be positive")
    if exponent == 0:
        text = str(minor_units)
    else:
        whole, fraction = divmod(minor_units, 10 ** exponent)
        text = f"{whole}.{fraction:0{exponent}d}"
    if not _AMOUNT.fullmatch(text):
        raise PayloadError(f"the amount {text} does not fit object 54")
    return text


def parse_objects(text: str) -> dict[str, str]:
    """``{id: value}`` of one level of objects; raises on a truncated or repeated object."""
    found: dict[str, str] = {}
    at = 0
    while at < len(text):
        head = text[at:at + 4]
        if len(head) < 4 or not head.isdigit():
            raise PayloadError(f"no object id and length at character {at}")
        object_id, length = head[:2], int(head[2:])
        value = text[at + 4:at + 4 + length]
        if len(value) != length:
            raise PayloadError(f"object {object_id} is cut short")
        if object_id in found:
            raise PayloadError(f"object {object_id} appears twice")
        found[object_id] = value
        at += 4 + length
    return found


def parse(payload: str) -> dict[str, str]:
    """The top-level objects of a payload whose CRC is right; raises otherwise."""
    if len(payload) < 8 or payload[-8:-4] != CRC + "04":
        raise PayloadError("the payload does not end with a CRC object (6304….)")
    expected = crc16(payload[:-4])
    if payload[-4:].upper() != expected:
        raise PayloadError(f"CRC mismatch: the payload says {payload[-4:]}, "
                           f"its content gives {expected}")
    objects = parse_objects(payload)
    if objects.get(PAYLOAD_FORMAT) != "01":
        raise PayloadError("the payload format indicator (00) is not 01")
    return objects
