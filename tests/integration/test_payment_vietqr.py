"""Paying by bank transfer with VietQR: the order waits for the money, the customer's page
shows a code any Vietnamese banking app reads (decoded here with zbar), staff confirm the
transfer, the ledger books it as the merchant's money; unpaid orders expire and release their
stock; what is not handed over is paid back."""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.errors import ValidationError
from marketplace.inventory.models import StockLevel
from marketplace.jobs import order_clock
from marketplace.orders import codes, lifecycle
from marketplace.orders.audit import Actor
from marketplace.outbox.models import OutboxMessage
from marketplace.payments import emvco
from marketplace.plugins import services as plugin_services
from marketplace.settlement.models import LedgerEntry
from tests.support.shopping import NOW, buy, pickup_choice, slot_at

VIETQR = "payment_vietqr"
ACCOUNT = {"bank_bin": "970436", "account_number": "1023456789",
           "account_name": "Cà Phê Sương Sớm"}


@pytest.fixture
def transfer_shop(selling_shop):
    merchant, stores, listing = selling_shop()
    plugin_services.update_merchant_settings(merchant, VIETQR, ACCOUNT)
    plugin_services.set_enabled(merchant, VIETQR, True)  # refused before the bank is set
    return merchant, stores, listing


def order_by_transfer(shop, buyer, quantity=2):
    merchant, (store, _other), listing = shop
    variant = listing.variants[0]
    order = buy(buyer, [(variant, quantity)],
                [pickup_choice(merchant, store, slot_at(store), provider="vietqr")]).orders[0]
    return order, store, variant


def reserved(store, variant, db):
    return db.session.scalars(sa.select(StockLevel.reserved).where(
        StockLevel.store_id == store.id, StockLevel.variant_id == variant.id)).one()


def test_the_order_waits_for_a_transfer_described_by_a_valid_vietqr_payload(
        db, transfer_shop, buyer):
    order, store, variant = order_by_transfer(transfer_shop, buyer)
    assert order.state == "pending_payment" and reserved(store, variant, db) == 2
    payment = order.payments[0]
    assert payment.state == "pending" and payment.provider == "vietqr"
    objects = emvco.parse(payment.data["payload"])
    account = emvco.parse_objects(objects["38"])
    beneficiary = emvco.parse_objects(account["01"])
    assert (account["00"], account["02"]) == ("A000000727", "QRIBFTTA")
    assert (beneficiary["00"], beneficiary["01"]) == ("970436", "1023456789")
    assert (objects["01"], objects["53"], objects["54"], objects["58"]) == (
        "12", "704", str(order.total), "VN")
    reference = emvco.parse_objects(objects["62"])["08"]
    assert reference == order.number.replace("-", "") and reference.isalnum()
    assert payment.data["account_name"] == "CA PHE SUONG SOM"


def test_the_customer_is_told_by_mail_how_long_the_order_waits_for_the_money(
        db, transfer_shop, buyer):
    buyer.locale = "vi"
    order, _store, _variant = order_by_transfer(transfer_shop, buyer)
    (mail,) = [m.payload for m in db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.topic == "mail.send"))]
    assert mail["to"] == buyer.email
    assert mail["subject"] == f"Đơn hàng {order.number} đang chờ bạn thanh toán"
    assert f"{order.total:,}".replace(",", ".") in mail["body"]  # 250.000 ₫
    assert f"/orders/{order.number}" in mail["body"] and "mã QR" in mail["body"]


def test_the_customer_page_shows_a_code_a_banking_app_can_read(client, db, transfer_shop,
                                                               buyer, login):
    order, _store, _variant = order_by_transfer(transfer_shop, buyer)
    db.session.commit()
    login(buyer)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "Bank transfer (VietQR)" in page and "1023456789" in page
    assert order.number.replace("-", "") in page
    image = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    try:
        from pyzbar.pyzbar import decode
    except ImportError as exc:  # libzbar0 missing: strict mode (CI) makes this a failure
        pytest.skip(f"zbar is not installed: {exc}")
    from PIL import Image

    (found,) = decode(Image.open(io.BytesIO(base64.b64decode(image))))
    assert found.data.decode() == order.payments[0].data["payload"]


def test_staff_confirm_the_transfer_and_the_ledger_books_the_merchants_money(
        client, db, transfer_shop, buyer, owner_of, login):
    merchant, (store, _), _listing = transfer_shop
    order, _store, variant = order_by_transfer(transfer_shop, buyer)
    db.session.commit()
    login(owner_of(merchant).user)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    base = f"/dashboard/{merchant.slug}"
    queue = client.get(f"{base}/pickup/{store.id}").get_data(as_text=True)
    assert "Awaiting payment" in queue and order.number in queue
    detail = client.get(f"{base}/orders/{order.id}").get_data(as_text=True)
    assert "Waiting for a bank transfer" in detail
    wrong = client.post(f"{base}/orders/{order.id}/payment", data={"amount": "1.000"})
    assert wrong.status_code == 422
    db.session.refresh(order)
    assert order.state == "pending_payment" and order.payments[0].state == "pending"
    typed = f"{order.total:,}".replace(",", ".")  # as a Vietnamese bank app shows it
    done = client.post(f"{base}/orders/{order.id}/payment", data={"amount": typed})
    assert done.status_code == 303, done.get_data(as_text=True)
    db.session.refresh(order)
    assert order.state == "confirmed" and order.payments[0].state == "captured"
    assert order.expires_at == order.slot_end + timedelta(minutes=store.pickup_grace_minutes)
    (entry,) = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.order_id == order.id)).all()
    assert (entry.collected_by, entry.gross) == ("merchant", order.total)
    again = client.post(f"{base}/orders/{order.id}/payment", data={"amount": typed})
    assert again.status_code == 422  # no second capture
    assert reserved(store, variant, db) == 2  # still held for the pickup


def test_the_api_confirms_a_transfer_for_the_merchants_own_staff_only(
        client, db, transfer_shop, buyer, owner_of, api_token, selling_shop):
    merchant, _stores, _listing = transfer_shop
    order, _store, _variant = order_by_transfer(transfer_shop, buyer)
    other, _s, _l = selling_shop()
    mine = {"Authorization": f"Bearer {api_token(owner_of(merchant))}"}
    theirs = {"Authorization": f"Bearer {api_token(owner_of(other))}"}
    db.session.commit()
    url = f"/api/v1/orders/{order.id}/payment"
    assert client.post(url, json={"amount": order.total}, headers=theirs).status_code == 404
    short = client.post(url, json={"amount": order.total - 1}, headers=mine)
    assert short.status_code == 422 and short.get_json()["errors"]["amount"]
    paid = client.post(url, json={"amount": order.total}, headers=mine)
    assert paid.status_code == 200 and paid.get_json()["state"] == "confirmed"


def test_pay_at_store_orders_are_not_confirmed_by_hand(db, selling_shop, buyer, owner_of):
    merchant, (store, _), listing = selling_shop()
    order = buy(buyer, [(listing.variants[0], 1)],
                [pickup_choice(merchant, store, slot_at(store))]).orders[0]
    with pytest.raises(ValidationError):
        lifecycle.payment_received(order, order.total, actor=Actor.staff(
            owner_of(merchant).user))


def test_an_unpaid_transfer_expires_and_gives_the_stock_back(db, transfer_shop, buyer):
    order, store, variant = order_by_transfer(transfer_shop, buyer)
    db.session.commit()
    assert order.expires_at <= NOW + timedelta(hours=2)
    assert order_clock.expire_due(now=order.expires_at) == {"expired": 1, "no_show": 0}
    db.session.refresh(order)
    assert order.state == "expired" and order.payments[0].state == "cancelled"
    assert reserved(store, variant, db) == 0


def test_what_is_not_handed_over_is_paid_back(db, transfer_shop, buyer, owner_of):
    merchant, _stores, _listing = transfer_shop
    order, _store, variant = order_by_transfer(transfer_shop, buyer, quantity=3)
    staff = Actor.staff(owner_of(merchant).user)
    lifecycle.payment_received(order, order.total, actor=staff)
    lifecycle.mark_ready(order, actor=staff)
    (line,) = order.lines
    lifecycle.collect(order, actor=staff, code=codes.pickup_code(order),
                      quantities={line.id: 1})
    (refund,) = order.refunds
    assert refund.amount == order.total - order.settled_total == 2 * variant.price
    assert (refund.method, refund.state) == ("merchant", "succeeded")
    entries = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.order_id == order.id).order_by(LedgerEntry.id)).all()
    assert [(e.kind, e.gross) for e in entries] == [("capture", order.total),
                                                    ("refund", -2 * variant.price)]

    second, _s, _v = order_by_transfer(transfer_shop, buyer, quantity=1)
    lifecycle.payment_received(second, second.total, actor=staff)
    lifecycle.cancel_by_store(second, actor=staff, reason="Hết hàng")
    assert [r.amount for r in second.refunds] == [second.total]
    assert second.payments[0].state == "refunded"

    # Paid, then never collected: the order clock's no-show pays it back too.
    third, _s, _v = order_by_transfer(transfer_shop, buyer, quantity=1)
    lifecycle.payment_received(third, third.total, actor=staff)
    db.session.commit()
    assert order_clock.expire_due(now=third.expires_at) == {"expired": 0, "no_show": 1}
    db.session.refresh(third)
    assert (third.state, [r.amount for r in third.refunds]) == ("no_show", [third.total])
    assert third.refunds[0].reason and third.refunds[0].reason != "no_show"


def test_bank_details_are_checked_when_saved(db, selling_shop):
    merchant, _stores, _listing = selling_shop()
    with pytest.raises(ValidationError) as caught:
        plugin_services.update_merchant_settings(merchant, VIETQR, ACCOUNT | {
            "account_number": "1023 4567", "bank_bin": "123456"})
    assert set(caught.value.fields) == {"account_number", "bank_bin"}


def test_only_dong_can_be_paid_by_vietqr(app):
    provider = app.extensions["plugins"].payment_providers.get("vietqr")
    assert provider.supports_currency("VND") and not provider.supports_currency("USD")
