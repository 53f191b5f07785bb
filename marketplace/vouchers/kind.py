"""The voucher as a redeemable kind: staff scan the customer's QR code (or type its code),
enter the bill, see the discount, and confirm; the scanner and ``/api/v1/redemptions`` do the
rest (``marketplace.redemption``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..errors import ValidationError
from ..extensions import db
from ..plugins import CodeKind
from . import discounts
from .models import Voucher
from .services import KIND
from .texts import conditions
from .usage import bill_of, quote_voucher, redeem_in_store


class VoucherKind(CodeKind):
    identifier = KIND
    label = _l("Voucher")

    def _voucher(self, code) -> Voucher:
        voucher = db.session.get(Voucher, code.subject_id)
        if voucher is None or voucher.merchant_id != code.merchant_id:
            raise ValidationError(_l("This voucher no longer exists."))
        return voucher

    def holder_id(self, code):
        return self._voucher(code).customer_id

    def store_ids(self, code):
        ids = self._voucher(code).campaign.store_ids
        return set(ids) if ids else None

    def describe(self, code) -> dict:
        voucher = self._voucher(code)
        campaign = voucher.campaign
        terms = discounts.terms_of(campaign)
        return {
            "title": campaign.name,
            "holder": voucher.customer.full_name,
            "voucher": {"id": voucher.id, "state": voucher.state,
                        "campaign_id": campaign.id, "channel": campaign.channel},
            "conditions": conditions(campaign),
            "discount": discounts.as_json(terms),
            "needs": ["amount"],
        }

    def quote(self, code, *, store, details, now) -> dict | None:
        if details.get("amount") is None:
            return None
        return quote_voucher(self._voucher(code), code, store=store, bill=bill_of(details),
                             at=now)

    def redeem(self, code, *, store, actor, details, now) -> dict:
        # The code was marked redeemed at the moment of the scan (an offline scanner's own
        # time): the voucher's hours and dates are judged at that moment too.
        return redeem_in_store(self._voucher(code), store=store, bill=bill_of(details),
                               at=code.redeemed_at or now, actor=actor)
