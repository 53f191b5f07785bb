"""Signed QR codes for everything redeemed at the counter, and the staff scanner.

Every redeemable code (a pickup order, a voucher, later tickets and appointments) gets a QR
payload signed with its merchant's Ed25519 key (``payload.py``): a scanner holding the
merchant's public key checks it without the server, so the scanner page keeps working
offline. The scanner page (``/redeem/<merchant>/scanner``) reads QR codes with the camera or
takes a typed human code, shows what to hand over and redeems on confirmation; offline, it
verifies locally, queues the scan and syncs it when the network returns.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext as _l

from marketplace.errors import ValidationError
from marketplace.plugins import CodeFormat, ParsedCode, PluginInfo, hookimpl

from . import keys, payload

NAME = "redemption_qr"

PLUGIN = PluginInfo(
    name=NAME,
    version="1.0.0",
    category="redemption",
    level="platform",
    core_versions=">=0.1,<1",
    description="Signed QR codes for pickups, vouchers and tickets, and the staff scanner "
                "page (camera or typed code, works offline).",
    author="O2O Marketplace developers",
)


class SignedQr(CodeFormat):
    identifier = "signed_qr"
    label = _l("Signed QR code")

    def issue(self, code) -> str:
        key = keys.signing_key(code.merchant_id)
        body = payload.Body(key_id=key.id, merchant_id=code.merchant_id, code_id=code.id,
                            kind=code.kind, subject_id=code.subject_id,
                            valid_from=code.valid_from, valid_until=code.valid_until)
        return payload.sign(body, keys.private_key(key))

    def parse(self, text: str) -> ParsedCode:
        try:
            body, raw, signature = payload.split(text)
            found = keys.verifying_key(body.key_id)
            if found is None or found[0] != body.merchant_id:
                raise payload.NotACode("unknown key, or another merchant's")
            payload.verify(raw, signature, found[1])
        except payload.NotACode as exc:
            raise ValidationError(_l("This is not a valid code.")) from exc
        return ParsedCode(merchant_id=body.merchant_id, code_id=body.code_id, kind=body.kind,
                          subject_id=body.subject_id, valid_from=body.valid_from,
                          valid_until=body.valid_until)


@hookimpl
def marketplace_register_code_formats(register):
    register(SignedQr())


@hookimpl
def marketplace_add_blueprints(register):
    from .views import bp

    register(bp, url_prefix="/redeem")


@hookimpl
def marketplace_migration_locations():
    return str(Path(__file__).parent / "migrations" / "versions")
