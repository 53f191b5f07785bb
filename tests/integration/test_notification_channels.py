"""A channel plugin (an SMS gateway, say) gets every message the customer gets by e-mail:
confirmed, ready, the "about to expire" reminder and collected, in the customer's language,
after the commit, only for the merchants that enabled it, and never at the e-mail's expense."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from marketplace.jobs import order_clock
from marketplace.orders import codes, lifecycle
from marketplace.orders.audit import Actor
from marketplace.outbox.services import drain
from marketplace.plugins import PluginInfo, hookimpl
from tests.support.shopping import buy, pickup_choice, slot_at


class SmsChannel:
    """Stands in for an SMS gateway's plugin: keeps what it would have texted."""

    PLUGIN = PluginInfo(name="sms_channel", version="1.0.0", category="notification",
                        description="Texts customers (test plugin).")

    def __init__(self, fail=False):
        self.sent: list[dict] = []
        self.fail = fail

    @hookimpl
    def marketplace_send_notification(self, merchant, kind, object_id, recipient, subject,
                                      text, link):
        if self.fail:
            raise ConnectionError("the SMS gateway is down")
        self.sent.append({"merchant": merchant.id, "kind": kind, "object_id": object_id,
                          "phone": recipient["phone"], "locale": recipient["locale"],
                          "subject": subject, "text": text, "link": link})


@pytest.fixture
def mails(app, tmp_path, monkeypatch):
    folder = tmp_path / "mail"
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(folder))

    def subjects():
        found = []
        for path in sorted(Path(folder).glob("*.eml")):
            raw = message_from_bytes(path.read_bytes())["Subject"]
            found.append(str(make_header(decode_header(raw))))
        return found

    return subjects


def _texted_buyer(make_user, db, locale):
    buyer = make_user(full_name="Trần Thị Bình", locale=locale)
    buyer.phone = "+84901234567"
    db.session.flush()
    return buyer


def test_a_channel_gets_every_order_message_after_the_commit(app, db, selling_shop, make_user,
                                                             owner_of, register_plugin, mails):
    merchant, (store, _), listing = selling_shop()
    sms = SmsChannel()
    register_plugin(sms, enable_for=[merchant])
    buyer = _texted_buyer(make_user, db, "en")
    order = buy(buyer, [(listing.variants[0], 2)],
                [pickup_choice(merchant, store, slot_at(store))]).orders[0]
    assert sms.sent == []  # nothing leaves before the commit
    db.session.commit()
    drain()
    staff = Actor.staff(owner_of(merchant).user)
    lifecycle.prepare(order, actor=staff)
    lifecycle.mark_ready(order, actor=staff)
    db.session.commit()
    order_clock.send_reminders(now=order.expires_at - timedelta(minutes=30), within_minutes=60)
    db.session.commit()
    lifecycle.collect(order, actor=staff, code=codes.pickup_code(order), payment_taken=True)
    db.session.commit()
    drain()

    # "preparing" tells the customer nothing, on either channel
    assert [m["kind"] for m in sms.sent] == ["order.confirmed", "order.ready", "order.reminder",
                                            "order.collected"]
    assert {(m["merchant"], m["object_id"], m["phone"], m["locale"]) for m in sms.sent} == {
        (merchant.id, order.id, "+84901234567", "en")}
    confirmed, ready, reminder, collected = sms.sent
    assert [m["subject"] for m in sms.sent] == mails()  # the same messages as the e-mails
    assert confirmed["subject"] == f"Order {order.number} is confirmed"
    code = codes.display(codes.pickup_code(order))
    assert f"Pickup code: {code}" in ready["text"] and store.name in ready["text"]
    assert "please collect it soon" in reminder["subject"] and code in reminder["text"]
    assert "Pickup code" not in collected["text"]  # nothing left to show at the counter
    assert all(m["link"].endswith(f"/orders/{order.number}") for m in sms.sent)


def test_messages_are_written_in_the_customers_language(app, db, selling_shop, make_user,
                                                       register_plugin):
    merchant, (store, _), listing = selling_shop()
    sms = SmsChannel()
    register_plugin(sms, enable_for=[merchant])
    buyer = _texted_buyer(make_user, db, "vi")
    order = buy(buyer, [(listing.variants[0], 1)],
                [pickup_choice(merchant, store, slot_at(store))]).orders[0]
    db.session.commit()
    drain()
    assert [m["subject"] for m in sms.sent] == [f"Đơn hàng {order.number} đã được xác nhận"]
    assert "Mã nhận hàng" in sms.sent[0]["text"]


def test_a_merchant_that_did_not_enable_the_channel_texts_nobody(app, db, selling_shop,
                                                                make_user, register_plugin,
                                                                mails):
    merchant, (store, _), listing = selling_shop()
    other, *_ = selling_shop()
    sms = SmsChannel()
    register_plugin(sms, enable_for=[other])
    buyer = _texted_buyer(make_user, db, "en")
    buy(buyer, [(listing.variants[0], 1)], [pickup_choice(merchant, store, slot_at(store))])
    db.session.commit()
    drain()
    assert sms.sent == [] and len(mails()) == 1


def test_a_failing_channel_loses_no_email_and_breaks_no_order(app, db, selling_shop, make_user,
                                                             register_plugin, mails):
    merchant, (store, _), listing = selling_shop()
    register_plugin(SmsChannel(fail=True), enable_for=[merchant])
    buyer = _texted_buyer(make_user, db, "en")
    order = buy(buyer, [(listing.variants[0], 1)],
                [pickup_choice(merchant, store, slot_at(store))]).orders[0]
    db.session.commit()
    drain()
    lifecycle.cancel_by_customer(order, buyer, reason="Changed my mind")
    db.session.commit()
    drain()
    db.session.refresh(order)
    assert order.state == "cancelled"
    assert mails() == [f"Order {order.number} is confirmed", f"Order {order.number} is cancelled"]


def test_a_rolled_back_change_texts_nobody(app, db, selling_shop, make_user, register_plugin):
    merchant, (store, _), listing = selling_shop()
    sms = SmsChannel()
    register_plugin(sms, enable_for=[merchant])
    buyer = _texted_buyer(make_user, db, "en")
    db.session.commit()
    buy(buyer, [(listing.variants[0], 1)], [pickup_choice(merchant, store, slot_at(store))])
    db.session.rollback()
    drain()
    assert sms.sent == []
