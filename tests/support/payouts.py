"""Ledger rows and payout accounts for the payout tests.

Card payments (collected by the platform) come with the Stripe plugin; until then a sale
"by card" is booked the way that plugin's capture will book it, as test_settlement does.
Rows are moved back into November with SQL (the application never edits the ledger), so a
period that is over holds them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders import codes, lifecycle
from marketplace.orders.audit import Actor
from marketplace.settlement import payout_accounts
from marketplace.settlement import services as settlement
from marketplace.settlement.models import LedgerEntry
from tests.support.shopping import buy, pickup_choice, slot_at

# 10:00 in Ho Chi Minh City on 20 November 2026: inside the period the tests pay out.
IN_NOVEMBER = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
VND_ACCOUNT = {"currency": "VND", "bank_code": "970436", "account_number": "0071 0012 34567",
               "holder": "Công ty TNHH Sương Sớm"}


def counter_sale(merchant, store, variant, buyer, owner, *, quantity=1, index=0):
    """An order paid at the counter: collected by the merchant, who owes the commission."""
    order = buy(buyer, [(variant, quantity)],
                [pickup_choice(merchant, store, slot_at(store, index=index))]).orders[0]
    staff = Actor.staff(owner.user)
    lifecycle.mark_ready(order, actor=staff)
    lifecycle.collect(order, actor=staff, code=codes.pickup_code(order), payment_taken=True)
    return order


def card_sale(merchant, store, variant, buyer, *, quantity=3, index=1):
    """An order paid by card: the platform holds the money and owes the merchant its net."""
    order = buy(buyer, [(variant, quantity)],
                [pickup_choice(merchant, store, slot_at(store, index=index))]).orders[0]
    payment = order.payments[0]
    payment.state = "captured"
    payment.captured_amount = order.total
    settlement.record_capture(payment, collected_by=settlement.PLATFORM,
                              commission_bp=merchant.commission_bp)
    return order


def backdate(merchant, when: datetime = IN_NOVEMBER) -> None:
    """Move the merchant's ledger rows to ``when`` (test set-up only)."""
    db.session.execute(sa.update(LedgerEntry).where(LedgerEntry.merchant_id == merchant.id)
                       .values(created_at=when))
    db.session.expire_all()


def with_account(merchant, **changes):
    return payout_accounts.save(merchant, VND_ACCOUNT | changes)


def a_payout(merchant, order, admin):
    """A draft payout of ``order`` as if paid by card in November (for the scoping walks)."""
    from marketplace.settlement import payouts

    payment = order.payments[0]
    payment.state = "captured"
    payment.captured_amount = order.total
    settlement.record_capture(payment, collected_by=settlement.PLATFORM,
                              commission_bp=merchant.commission_bp)
    backdate(merchant)
    with_account(merchant)
    return payouts.create(merchant, currency=order.currency, first=None, last=NOVEMBER[1],
                          zone="Asia/Ho_Chi_Minh", actor=admin)
