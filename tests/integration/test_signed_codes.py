"""The signed QR payload: it verifies with the merchant's key only, any changed bit breaks it,
the window and revocation hold, and the images we serve decode with zbar to the payload."""

from __future__ import annotations

import base64
import importlib
from datetime import timedelta

import pytest

from marketplace.extensions import db
from marketplace.redemption import human
from marketplace.redemption import services as redemption
from tests.support.shopping import NOW, buy, pickup_choice, slot_at
from tests.support.zbar import decode_qr


def _plugin(name):
    # Built-ins import as marketplace_builtins.* once an app has loaded them.
    return importlib.import_module(f"marketplace_builtins.redemption_qr.{name}")


@pytest.fixture
def code_of(selling_shop, buyer):
    def make(**window):
        merchant, (store, _other), listing = selling_shop()
        code = redemption.issue(merchant.id, "pickup", buy(
            buyer, [(listing.variants[0], 1)],
            [pickup_choice(merchant, store, slot_at(store))]).orders[0].id, **window)
        db.session.commit()
        return merchant, store, code

    return make


def _flip(text: str, bit: int) -> str:
    payload = _plugin("payload")
    body = text[len(payload.PREFIX):]
    raw = bytearray(base64.b32decode(body + "=" * (-len(body) % 8)))
    raw[bit // 8] ^= 1 << (bit % 8)
    return payload.PREFIX + base64.b32encode(bytes(raw)).decode().rstrip("=")


def test_the_payload_carries_kind_subject_merchant_and_window_and_verifies(code_of):
    merchant, _store, code = code_of(valid_from=NOW, valid_until=NOW + timedelta(days=2))
    parsed = redemption.code_format().parse(code.payload)
    assert (parsed.merchant_id, parsed.code_id, parsed.kind, parsed.subject_id) == \
        (merchant.id, code.id, "pickup", code.subject_id)
    assert (parsed.valid_from, parsed.valid_until) == (NOW, NOW + timedelta(days=2))
    assert len(code.payload) < 200 and set(code.payload) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567Q1")  # QR alphanumeric mode


def test_every_single_flipped_bit_is_refused(code_of):
    merchant, _store, code = code_of()
    body = code.payload[len(_plugin("payload").PREFIX):]
    raw_bits = len(base64.b32decode(body + "=" * (-len(body) % 8))) * 8
    for bit in range(raw_bits):
        assert redemption.find(merchant.id, _flip(code.payload, bit)) == (None, "invalid"), bit
    assert redemption.find(merchant.id, code.payload)[0].id == code.id


def test_a_foreign_merchants_key_or_code_is_refused(code_of, make_merchant):
    merchant, _store, code = code_of()
    other = make_merchant()
    payload, keys = _plugin("payload"), _plugin("keys")
    # Another merchant's scanner: a genuine code, but not theirs.
    assert redemption.find(other.id, code.payload) == (None, "wrong_merchant")
    # A payload naming our merchant, signed with the other merchant's key: forged.
    foreign = keys.signing_key(other.id)
    body, _raw, _sig = payload.split(code.payload)
    forged = payload.sign(payload.Body(foreign.id, merchant.id, body.code_id, body.kind,
                                       body.subject_id, None, None), keys.private_key(foreign))
    assert redemption.find(merchant.id, forged) == (None, "invalid")
    # Our own key, but a body the server never issued (another code id): the row's payload
    # differs, so it is refused even though the signature holds.
    ours = keys.signing_key(merchant.id)
    made_up = payload.sign(payload.Body(ours.id, merchant.id, body.code_id, body.kind,
                                        body.subject_id + 1, None, None), keys.private_key(ours))
    assert redemption.find(merchant.id, made_up) == (None, "invalid")


def test_window_and_revocation(code_of, owner_of, db):
    merchant, store, code = code_of(valid_from=NOW, valid_until=NOW + timedelta(hours=1))
    staff = owner_of(merchant).user
    early = redemption.Scan(text=code.payload, store=store, staff=staff,
                            scanned_at=NOW - timedelta(minutes=1))
    assert redemption.preview(merchant.id, early).outcome == "not_yet_valid"
    now = redemption.Scan(text=code.payload, store=store, staff=staff, scanned_at=NOW)
    assert redemption.preview(merchant.id, now).outcome == "redeemable"
    late = redemption.Scan(text=code.payload, store=store, staff=staff,
                           scanned_at=NOW + timedelta(hours=1))
    assert redemption.preview(merchant.id, late).outcome == "expired"
    replaced = redemption.reissue(code, reason="shared on social media")
    assert code.state == "revoked" and replaced.payload != code.payload
    gone = redemption.Scan(text=code.payload, store=store, staff=staff,
                           scanned_at=NOW + timedelta(minutes=5))
    assert redemption.preview(merchant.id, gone).outcome == "revoked"
    typed_old = redemption.Scan(text=human.display(redemption.human_code(code)), store=store,
                                staff=staff, scanned_at=NOW + timedelta(minutes=5))
    assert redemption.preview(merchant.id, typed_old).outcome == "revoked"


def test_human_codes_are_unambiguous_and_found_however_typed(code_of):
    merchant, _store, code = code_of()
    typed = redemption.human_code(code)
    assert len(typed) == 10 and not set(typed) & set("01OIL")
    spoken = human.display(typed).lower().replace("-", " ")
    assert redemption.find(merchant.id, spoken)[0].id == code.id


def test_the_qr_images_decode_to_the_payload(client, code_of, buyer, login):
    _merchant, _store, code = code_of()
    login(buyer)
    png = client.get(f"/codes/{code.id}.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.headers["Cache-Control"] == "private, no-store"
    assert decode_qr(png.data) == code.payload
    svg = client.get(f"/codes/{code.id}.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    printed = decode_qr(importlib.import_module("marketplace.redemption.images").png(
        code.payload, box_size=20))
    assert printed == code.payload


def test_only_the_holder_sees_a_code(client, code_of, make_user, login):
    _merchant, _store, code = code_of()
    login(make_user())
    assert client.get(f"/codes/{code.id}.png").status_code == 404
    assert client.get("/codes/99999999.svg").status_code == 404
