"""Who did what: every state change of an order, payment, refund or return is an audit row."""

from __future__ import annotations

from dataclasses import dataclass

from ..extensions import db
from .models import AuditEntry


@dataclass(frozen=True)
class Actor:
    kind: str                 # customer | staff | system
    user_id: int | None = None

    @classmethod
    def customer(cls, user) -> Actor:
        return cls("customer", user.id)

    @classmethod
    def staff(cls, user) -> Actor:
        return cls("staff", user.id)


SYSTEM = Actor("system")


def record(*, merchant_id: int, order_id: int | None, entity: str, entity_id: int, event: str,
           from_state: str | None, to_state: str, actor: Actor,
           note: str | None = None) -> AuditEntry:
    entry = AuditEntry(merchant_id=merchant_id, order_id=order_id, entity=entity,
                       entity_id=entity_id, event=str(event),
                       from_state=str(from_state) if from_state else None,
                       to_state=str(to_state), actor_kind=actor.kind, actor_id=actor.user_id,
                       note=(note or None) and note[:500])
    db.session.add(entry)
    return entry
