"""Payout states as a transition table (see ``marketplace.states``).

A batch is made as a ``draft`` for the admin to check. From there the money goes one of two
ways, never both:

* the core's way: the batch goes into a bank file (``exported``: from now on the bank may be
  paying it, so it can no longer be handed to a payout method) and the admin marks it paid
  with the bank's reference;
* a payout method's way: ``sending`` while the outbox worker asks the plugin to pay it; the
  plugin's reference makes it ``paid``, its refusal puts it back to ``draft`` with the reason.

A draft or an exported batch may be cancelled (a wrong account, a bank file never used): its
ledger rows are free again for the next batch. A batch being sent cannot be cancelled (the
money may be moving); the admin may mark it paid after checking with the provider, should the
provider's answer never arrive. Paid and cancelled are final.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class PayoutState(StrEnum):
    DRAFT = "draft"
    EXPORTED = "exported"
    SENDING = "sending"
    PAID = "paid"
    CANCELLED = "cancelled"


class PayoutEvent(StrEnum):
    EXPORT = "export"    # put in a bank file
    SEND = "send"        # handed to a payout method (after the commit, by the outbox)
    PAY = "pay"          # the bank's or the method's reference is recorded
    FAIL = "fail"        # the payout method refused it
    CANCEL = "cancel"


S, E = PayoutState, PayoutEvent

PAYOUT_TRANSITIONS: dict[tuple[PayoutState, PayoutEvent], PayoutState] = {
    (S.DRAFT, E.EXPORT): S.EXPORTED,
    (S.DRAFT, E.SEND): S.SENDING,
    (S.DRAFT, E.PAY): S.PAID,
    (S.DRAFT, E.CANCEL): S.CANCELLED,
    (S.EXPORTED, E.PAY): S.PAID,
    (S.EXPORTED, E.CANCEL): S.CANCELLED,
    (S.SENDING, E.PAY): S.PAID,
    (S.SENDING, E.FAIL): S.DRAFT,
}

# Batches whose ledger rows nobody else may take.
LIVE_STATES = frozenset(PayoutState) - {S.CANCELLED}
# Batches a bank file may hold: a draft (then exported) or one exported before (again).
EXPORTABLE_STATES = frozenset({S.DRAFT, S.EXPORTED})
# Only the outbox worker, on the payout method's answer, fires ``fail``.
SYSTEM_EVENTS = frozenset({E.FAIL})

# What people read (the API gives the codes).
STATE_LABELS = {
    S.DRAFT: _l("Draft"),
    S.EXPORTED: _l("In a bank file"),
    S.SENDING: _l("Sending"),
    S.PAID: _l("Paid"),
    S.CANCELLED: _l("Cancelled"),
}
