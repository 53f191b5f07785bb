"""EMVCo merchant-presented QR payloads: the CRC, the envelope, and payloads other VietQR
generators produced (a bank's e-invoice sample, a payment gateway's code, an app's test
vector) read and rebuilt character for character; a QR image of ours decoded by zbar."""

from __future__ import annotations

import io

import pytest

from marketplace.payments import emvco
from marketplace.payments.emvco import DataObject, PayloadError

# Made elsewhere, each with its CRC: (payload, bank BIN, account, amount, purpose).
FOREIGN = [
    ("00020101021238540010A00000072701240006970436011010234567890208QRIBFTTA530370454071943000"
     "5802VN62120808TT0000696304A8E5", "970436", "1023456789", "1943000", "TT000069"),
    ("00020101021238570010A0000007270127000697041501130011001932418"
     "0208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C",
     "970415", "0011001932418", "120000", "ung ho lu lut"),
    ("00020101021238570010A000000727012700069704220113VQRQADAIJ5512"
     "0208QRIBFTTA5303704540470005802VN62120808TL89 1006304E346",
     "970422", "VQRQADAIJ5512", "7000", "TL89 100"),
]


def test_crc_is_ccitt_false():
    assert emvco.crc16("123456789") == "29B1"  # the catalogue's check value
    assert emvco.crc16(
        "00020101021238600010A00000072701300006970403011697040311012345670208QRIBFTTC5303704"
        "54061800005802VN62340107NPS68690819thanh toan don hang6304") == "A203"


@pytest.mark.parametrize(("payload", "bank", "account", "amount", "purpose"), FOREIGN)
def test_payloads_made_elsewhere_read_and_rebuild_exactly(payload, bank, account, amount,
                                                          purpose):
    objects = emvco.parse(payload)
    merchant = emvco.parse_objects(objects["38"])
    beneficiary = emvco.parse_objects(merchant["01"])
    assert merchant["00"] == "A000000727" and merchant["02"] == "QRIBFTTA"
    assert (beneficiary["00"], beneficiary["01"]) == (bank, account)
    assert (objects["53"], objects["54"], objects["58"]) == ("704", amount, "VN")
    assert emvco.parse_objects(objects["62"])[emvco.PURPOSE] == purpose
    rebuilt = emvco.build([DataObject(i, v) for i, v in objects.items() if i != emvco.CRC])
    assert rebuilt == payload


def test_a_payload_built_from_its_parts_matches_the_bank_sample():
    built = emvco.build([
        DataObject("00", "01"), DataObject("01", emvco.DYNAMIC),
        DataObject("38", (DataObject("00", "A000000727"),
                          DataObject("01", (DataObject("00", "970436"),
                                            DataObject("01", "1023456789"))),
                          DataObject("02", "QRIBFTTA"))),
        DataObject("53", "704"), DataObject("54", emvco.amount(1_943_000, 0)),
        DataObject("58", "VN"), DataObject("62", (DataObject("08", "TT000069"),)),
    ])
    assert built == FOREIGN[0][0]


def test_a_changed_character_is_caught_by_the_crc():
    payload = FOREIGN[0][0].replace("1943000", "1948000")
    with pytest.raises(PayloadError, match="CRC mismatch"):
        emvco.parse(payload)
    with pytest.raises(PayloadError, match="CRC object"):
        emvco.parse(FOREIGN[0][0][:-8])


@pytest.mark.parametrize(("objects", "message"), [
    ([DataObject("00", "01"), DataObject("62", "x" * 100)], "at most 99"),
    ([DataObject("00", "01"), DataObject("59", "Cà phê\n")], "control characters"),
    ([DataObject("00", "01"), DataObject("59", "")], "empty"),
    ([DataObject("00", "01"), DataObject("5", "x")], "two digits"),
    ([DataObject("59", "Shop")], "starts with"),
    ([DataObject("00", "01"), DataObject("63", "ABCD")], "added by build"),
])
def test_payloads_that_would_scan_wrong_are_refused(objects, message):
    with pytest.raises(PayloadError, match=message):
        emvco.build(objects)


def test_amounts_in_minor_units():
    assert emvco.amount(150_000, 0) == "150000"
    assert emvco.amount(1_999, 2) == "19.99"
    assert emvco.amount(5, 2) == "0.05"
    for bad in (0, -1, 10 ** 14):
        with pytest.raises(PayloadError):
            emvco.amount(bad, 0)


def test_reading_refuses_cut_and_repeated_objects():
    with pytest.raises(PayloadError, match="cut short"):
        emvco.parse_objects("0005abc")
    with pytest.raises(PayloadError, match="twice"):
        emvco.parse_objects("0002010002 1")
    with pytest.raises(PayloadError, match="no object id"):
        emvco.parse_objects("0002010x")


def test_our_qr_image_decodes_to_the_payload():
    try:
        from pyzbar.pyzbar import decode
    except ImportError as exc:  # libzbar0 missing: strict mode (CI) makes this a failure
        pytest.skip(f"zbar is not installed: {exc}")
    import qrcode
    from PIL import Image

    payload = emvco.build([
        DataObject("00", "01"), DataObject("01", emvco.DYNAMIC), DataObject("53", "704"),
        DataObject("54", emvco.amount(150_000, 0)), DataObject("58", "VN"),
        DataObject("59", "CA PHE SUONG SOM"), DataObject("62", (DataObject("08", "DH 1234"),))])
    image = io.BytesIO()
    qrcode.make(payload, error_correction=qrcode.constants.ERROR_CORRECT_M).save(image)
    image.seek(0)
    decoded = decode(Image.open(image))
    assert [d.data.decode() for d in decoded] == [payload]
    assert emvco.parse(decoded[0].data.decode())["54"] == "150000"
