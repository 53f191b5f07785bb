"""Issuing, finding, redeeming and revoking codes.

Redemption is exactly once: the code's row is locked, the scan's nonce is looked up again
under that lock (a retried request gets the first answer), and the code moves from active to
redeemed by its transition table. Every attempt, whatever it came to, is a
``RedemptionAttempt`` row; the caller commits it even when the answer is a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale, get_locale, gettext
from flask_babel import lazy_gettext as _l

from ..database import dialect_insert, utcnow
from ..errors import MarketplaceError, NotFound, ValidationError
from ..extensions import db
from ..plugins.events import emit
from ..plugins.manager import current_platform
from ..states import next_state
from . import human
from .models import RedeemableCode, RedemptionAttempt
from .states import CODE_TRANSITIONS, CodeEvent, CodeState, Outcome

GENERIC_FAILURE = _l("This code is not valid here.")
MESSAGES = {
    Outcome.REDEEMABLE: _l("Valid. Check the details, then confirm."),
    Outcome.REDEEMED: _l("Redeemed."),
    Outcome.REVOKED: _l("This code was cancelled and can no longer be used."),
    Outcome.EXPIRED: _l("This code has expired."),
    Outcome.NOT_YET_VALID: _l("This code is not valid yet."),
    Outcome.WRONG_STORE: _l("This code cannot be used at this store."),
    Outcome.WRONG_MERCHANT: GENERIC_FAILURE,
    Outcome.INVALID: GENERIC_FAILURE,
}
# What the API answers for each outcome.
STATUS = {Outcome.REDEEMABLE: 200, Outcome.REDEEMED: 200,
          Outcome.ALREADY_REDEEMED: 409, Outcome.CONFLICT: 409,
          Outcome.REVOKED: 410, Outcome.EXPIRED: 410, Outcome.NOT_YET_VALID: 422,
          Outcome.WRONG_STORE: 422, Outcome.WRONG_MERCHANT: 422, Outcome.INVALID: 422,
          Outcome.REFUSED: 422}
MAX_NONCE = 64


def kinds():
    return current_platform().code_kinds


def code_format():
    """The platform's code format, or ``None`` (human codes only) when it is not installed."""
    platform = current_platform()
    name = current_app.config.get("CODE_FORMAT")
    if not name or name not in platform.code_formats:
        return None
    found = platform.code_formats.get(name)
    return found if platform.is_runnable(found.plugin) else None


# --- issuing and revoking ---------------------------------------------------------------------

def issue(merchant_id: int, kind: str, subject_id: int, *, valid_from: datetime | None = None,
          valid_until: datetime | None = None) -> RedeemableCode:
    """A new active code for ``kind`` #``subject_id``, with its QR payload if the platform has
    a code format. Flushes (the row needs its id before it is signed)."""
    kinds().get(kind)  # an unknown kind is a programming error: NotFound
    for _ in range(5):  # a human code already taken at this merchant: draw another salt
        salt = human.new_salt()
        lookup = human.lookup(merchant_id, human.derive(kind, subject_id, salt))
        taken = db.session.scalar(sa.select(RedeemableCode.id).where(
            RedeemableCode.merchant_id == merchant_id, RedeemableCode.lookup == lookup))
        if taken is None:
            break
    else:  # pragma: no cover - five collisions in 8 × 10**14 means something else is wrong
        raise RuntimeError("could not draw an unused human code")
    code = RedeemableCode(merchant_id=merchant_id, kind=kind, subject_id=subject_id,
                          state=CodeState.ACTIVE, salt=salt, lookup=lookup,
                          valid_from=valid_from, valid_until=valid_until)
    db.session.add(code)
    db.session.flush()
    fmt = code_format()
    if fmt is not None:
        code.format = fmt.identifier
        code.payload = fmt.issue(code)
        db.session.flush()
    return code


def human_code(code: RedeemableCode) -> str:
    return human.derive(code.kind, code.subject_id, code.salt)


def held_by(user, code_id: int) -> RedeemableCode:
    """A code its holder may see (NotFound for anyone else's, as if it did not exist)."""
    code = db.session.get(RedeemableCode, code_id) if 0 < code_id < 2**31 else None
    if code is None or user is None or kinds().get(code.kind).holder_id(code) != user.id:
        raise NotFound("code")
    return code


def qr_text(code: RedeemableCode) -> str:
    """What the code's QR image holds: the signed payload, or the human code without one."""
    return code.payload or human_code(code)


def current(kind: str, subject_id: int) -> RedeemableCode | None:
    """The subject's code that is not revoked (active, or redeemed), newest first."""
    return db.session.scalars(
        sa.select(RedeemableCode).where(RedeemableCode.kind == kind,
                                        RedeemableCode.subject_id == subject_id,
                                        RedeemableCode.state != CodeState.REVOKED)
        .order_by(RedeemableCode.id.desc()).limit(1)).first()


def _lock(code: RedeemableCode) -> RedeemableCode:
    return db.session.scalars(
        sa.select(RedeemableCode).where(RedeemableCode.id == code.id).with_for_update()
        .execution_options(populate_existing=True)).one()


def _active(kind: str, subject_id: int) -> list[RedeemableCode]:
    return list(db.session.scalars(
        sa.select(RedeemableCode).where(RedeemableCode.kind == kind,
                                        RedeemableCode.subject_id == subject_id,
                                        RedeemableCode.state == CodeState.ACTIVE)
        .order_by(RedeemableCode.id).with_for_update()
        .execution_options(populate_existing=True)))


def revoke(kind: str, subject_id: int, *, reason: str, now: datetime | None = None) -> int:
    """Revoke the subject's active codes (the order was cancelled, the voucher refunded);
    scanners learn it from the revocation list. Returns how many were revoked."""
    now = now or utcnow()
    found = _active(kind, subject_id)
    for code in found:
        code.state = next_state(CODE_TRANSITIONS, CodeState(code.state), CodeEvent.REVOKE)
        code.revoked_at = now
        code.revoke_reason = reason[:200]
    db.session.flush()
    return len(found)


def reissue(code: RedeemableCode, *, reason: str) -> RedeemableCode:
    """A new code for the same subject and window; the old one is revoked (a code that was
    shared or photographed by someone else)."""
    code = _lock(code)
    if code.state != CodeState.ACTIVE:
        raise ValidationError(_l("Only a code that was not used can be replaced."))
    revoke(code.kind, code.subject_id, reason=reason)
    return issue(code.merchant_id, code.kind, code.subject_id, valid_from=code.valid_from,
                 valid_until=code.valid_until)


def close(kind: str, subject_id: int, *, store_id: int, staff_id: int | None,
          now: datetime | None = None) -> None:
    """The subject was handed over without its code being scanned (staff typed it on the
    order's page): its active code is marked redeemed there, so a scanner refuses it."""
    for code in _active(kind, subject_id):
        _mark_redeemed(code, store_id=store_id, staff_id=staff_id, nonce=None,
                       at=now or utcnow())


def _mark_redeemed(code, *, store_id, staff_id, nonce, at) -> None:
    code.state = next_state(CODE_TRANSITIONS, CodeState(code.state), CodeEvent.REDEEM)
    code.redeemed_at = at
    code.redeemed_store_id = store_id
    code.redeemed_by_id = staff_id
    code.redemption_nonce = nonce
    db.session.flush()


# --- finding ----------------------------------------------------------------------------------

def find(merchant_id: int, text: str | None, *, lock: bool = False,
         signed_only: bool = False) -> tuple[RedeemableCode | None, Outcome | None]:
    """The merchant's code that ``text`` (a scanned payload or a typed human code) names,
    or why there is none. ``lock``: the row is locked until commit. ``signed_only``: a typed
    human code is not looked up (offline scans: a scanner can only have verified a payload,
    and a batch of typed codes must not become a way around the rate limits)."""
    text = (text or "").strip()
    typed = human.normalise(text)
    query = sa.select(RedeemableCode).where(RedeemableCode.merchant_id == merchant_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    if human.looks_like_code(typed):
        if signed_only:
            return None, Outcome.INVALID
        code = db.session.scalar(
            query.where(RedeemableCode.lookup == human.lookup(merchant_id, typed)))
        return (code, None) if code is not None else (None, Outcome.INVALID)
    fmt = code_format()
    if fmt is None or not text or len(text) > 2048:
        return None, Outcome.INVALID
    try:
        parsed = fmt.parse(text)
    except ValidationError:
        return None, Outcome.INVALID
    if parsed.merchant_id != merchant_id:
        return None, Outcome.WRONG_MERCHANT
    code = db.session.scalar(query.where(RedeemableCode.id == parsed.code_id))
    # The payload must be the row's own: a revoked and reissued code keeps its id in old
    # printouts, but its signed text no longer matches.
    if code is None or code.payload != text:
        return None, Outcome.INVALID
    return code, None


# --- redeeming --------------------------------------------------------------------------------

@dataclass
class Scan:
    """One scan or typed code at a counter, as the scanner sent it."""

    text: str
    store: object
    staff: object                       # the User at the counter
    method: str = "scan"                # scan | typed
    nonce: str | None = None
    device: str | None = None
    ip: str | None = None
    details: dict = field(default_factory=dict)
    scanned_at: datetime | None = None  # set by an offline scanner: when it saw the code

    @property
    def offline(self) -> bool:
        return self.scanned_at is not None


def offline_scans(items: list[dict], *, stores: list, staff, device: str | None,
                  ip: str | None) -> list[Scan]:
    """``Scan``s of a scanner's offline queue; ``stores`` are those the member may act for
    (a scan for any other store gets ``store`` None and is refused by ``sync``)."""
    by_id = {store.id: store for store in stores}
    return [scan_from(item, store=by_id.get(item["store_id"]), staff=staff, device=device,
                      ip=ip) for item in items]


def scan_from(data: dict, *, store, staff, device: str | None, ip: str | None) -> Scan:
    """A ``Scan`` from what a scanner sent (already validated by ``RedeemSchema``)."""
    return Scan(text=data["code"], store=store, staff=staff, method=data.get("method", "scan"),
                nonce=data.get("nonce"), device=device, ip=ip,
                details=dict(data.get("details") or {}), scanned_at=data.get("scanned_at"))


@dataclass
class Result:
    outcome: Outcome
    answer: dict
    replayed: bool = False

    @property
    def status(self) -> int:
        return STATUS[self.outcome]


def _when(store, moment: datetime) -> str:
    return format_datetime(moment.astimezone(ZoneInfo(store.timezone)), "short",
                           locale=get_locale())


def _judge(code: RedeemableCode, scan: Scan, at: datetime) -> Outcome | None:
    if code.state == CodeState.REVOKED:
        return Outcome.REVOKED
    if code.state == CodeState.REDEEMED:
        offline_twice = scan.offline and code.redemption_nonce != scan.nonce
        return Outcome.CONFLICT if offline_twice else Outcome.ALREADY_REDEEMED
    if code.valid_from is not None and at < code.valid_from:
        return Outcome.NOT_YET_VALID
    if code.valid_until is not None and at >= code.valid_until:
        return Outcome.EXPIRED
    allowed = kinds().get(code.kind).store_ids(code)
    if allowed is not None and scan.store.id not in allowed:
        return Outcome.WRONG_STORE
    return None


def describe(code: RedeemableCode) -> dict:
    return {"id": code.id, "kind": code.kind, "state": code.state,
            "valid_from": code.valid_from.isoformat() if code.valid_from else None,
            "valid_until": code.valid_until.isoformat() if code.valid_until else None,
            **kinds().get(code.kind).describe(code)}


def _answer(code, outcome: Outcome, *, message=None, facts=None) -> dict:
    answer: dict = {"outcome": str(outcome)}
    if outcome in (Outcome.ALREADY_REDEEMED, Outcome.CONFLICT):
        store = code.redeemed_store
        where = store.name if store else "?"
        who = code.redeemed_by.full_name if code.redeemed_by else "?"
        when = _when(store, code.redeemed_at) if store else code.redeemed_at.isoformat()
        answer["redeemed"] = {"at": code.redeemed_at.isoformat(), "store": where,
                              "store_id": code.redeemed_store_id, "staff": who}
        message = _l("Already redeemed at %(store)s by %(staff)s at %(time)s.",
                     store=where, staff=who, time=when)
    answer["message"] = str(message or MESSAGES.get(outcome, GENERIC_FAILURE))
    if code is not None and outcome not in (Outcome.INVALID, Outcome.WRONG_MERCHANT):
        answer["code"] = describe(code)
    if facts:
        answer["result"] = facts
    return answer


def _replay(merchant_id: int, nonce: str | None) -> Result | None:
    if not nonce:
        return None
    first = db.session.scalar(sa.select(RedemptionAttempt).where(
        RedemptionAttempt.merchant_id == merchant_id, RedemptionAttempt.nonce == nonce))
    if first is None:
        return None
    return Result(Outcome(first.outcome), first.answer, replayed=True)


def preview(merchant_id: int, scan: Scan) -> Result:
    """What the staff member sees before confirming: the code's subject and whether it can be
    redeemed here now. Changes nothing and logs nothing."""
    code, outcome = find(merchant_id, scan.text)
    if code is None:
        return Result(outcome, _answer(code, outcome))
    at = scan.scanned_at or utcnow()
    outcome = _judge(code, scan, at) or Outcome.REDEEMABLE
    answer = _answer(code, outcome)
    if outcome == Outcome.REDEEMABLE and scan.details:
        # The figures as typed so far (a voucher's discount on the bill): shown, not kept.
        try:
            quote = kinds().get(code.kind).quote(code, store=scan.store,
                                                 details=scan.details, now=at)
        except MarketplaceError as refused:
            answer["problem"] = {"message": str(refused.message), "fields": {
                k: [str(m) for m in v] for k, v in refused.fields.items()}}
        else:
            if quote:
                answer["result"] = quote
    return Result(outcome, answer)


def redeem(merchant, scan: Scan, *, now: datetime | None = None,
           signed_only: bool = False) -> Result:
    """Redeem what ``scan`` names at ``scan.store`` (the caller checked the member may act
    there), exactly once. Returns the outcome and the answer; the attempt is logged either
    way (the caller commits)."""
    now = now or utcnow()
    if scan.nonce is not None and not 0 < len(scan.nonce) <= MAX_NONCE:
        raise ValidationError.field("nonce", _l("A scan's nonce is 1 to 64 characters."))
    if scan.store is None:  # a store the member may no longer act for (an old offline scan)
        return _log(merchant, None, scan, Result(
            Outcome.WRONG_STORE, _answer(None, Outcome.WRONG_STORE)), now)
    code, outcome = find(merchant.id, scan.text, lock=True, signed_only=signed_only)
    # Looked up after the lock: a twin of this request (the same nonce) that committed while
    # we waited for the row is seen, and its answer returned.
    replayed = _replay(merchant.id, scan.nonce)
    if replayed is not None:
        return replayed
    facts = message = None
    if code is not None:
        outcome = _judge(code, scan, scan.scanned_at or now)
        if outcome is None:
            outcome, facts, message = _apply(code, scan, now)
    result = Result(outcome, _answer(code, outcome, message=message, facts=facts))
    return _log(merchant, code, scan, result, now)


def _apply(code: RedeemableCode, scan: Scan, now: datetime):
    """Mark the code redeemed and let its kind do the handing over, in a savepoint: when the
    kind refuses, nothing it did is kept, but the attempt still is."""
    savepoint = db.session.begin_nested()
    try:
        _mark_redeemed(code, store_id=scan.store.id, staff_id=scan.staff.id, nonce=scan.nonce,
                       at=scan.scanned_at or now)
        facts = kinds().get(code.kind).redeem(code, store=scan.store, actor=scan.staff,
                                              details=scan.details, now=now)
        db.session.flush()
    except MarketplaceError as refused:
        savepoint.rollback()
        db.session.refresh(code)
        return Outcome.REFUSED, None, refused.message
    savepoint.commit()
    return Outcome.REDEEMED, facts, None


def _log(merchant, code, scan: Scan, result: Result, now: datetime) -> Result:
    written = db.session.execute(
        dialect_insert(RedemptionAttempt).values(
            merchant_id=merchant.id, code_id=code.id if code else None,
            store_id=scan.store.id if scan.store is not None else None,
            staff_id=scan.staff.id, outcome=str(result.outcome), method=scan.method,
            nonce=scan.nonce, device=(scan.device or None) and scan.device[:64], ip=scan.ip,
            scanned_at=scan.scanned_at or now, offline=scan.offline, answer=result.answer)
        # The same nonce for a code nobody could lock (an invalid text), sent twice at once:
        # the second insert does nothing and the first answer stands.
        .on_conflict_do_nothing(index_elements=["merchant_id", "nonce"])
        .returning(RedemptionAttempt.id)).first()
    if written is None:
        return _replay(merchant.id, scan.nonce) or result
    if result.outcome == Outcome.REDEEMED:
        emit("marketplace_code_redeemed", merchant, code_id=code.id, kind=code.kind,
             subject_id=code.subject_id, store_id=scan.store.id, staff_id=scan.staff.id)
    return result


# --- offline scanners -------------------------------------------------------------------------

# How far back the lists a scanner downloads reach: a code revoked or redeemed earlier than
# this is not in them (a scanner offline that long is refused by the server at sync anyway).
REVOKED_DAYS = 180
REDEEMED_DAYS = 30


def sync(merchant, scans: list[Scan], *, now: datetime | None = None) -> list[tuple[str, Result]]:
    """Offline scans, earliest first: each is redeemed (or refused) as if it came online, its
    nonce making a repeated sync harmless. Only signed payloads are taken (a scanner offline
    cannot have checked a typed code); a scan whose store the member may no longer act for
    (``store`` None) is refused on its own, never the whole batch. The same code accepted
    offline at two counters is redeemed once; the other scan is logged as a conflict for the
    merchant to follow up."""
    now = now or utcnow()
    results = []
    for scan in sorted(scans, key=lambda s: (s.scanned_at or now, s.nonce or "")):
        if scan.scanned_at is not None and scan.scanned_at > now:
            scan.scanned_at = now  # a scanner's clock ahead of ours cannot buy validity
        results.append((scan, redeem(merchant, scan, now=now, signed_only=True)))
    conflicts = [(scan, result) for scan, result in results
                 if result.outcome == Outcome.CONFLICT and not result.replayed]
    if conflicts:
        _tell_owners(merchant, conflicts)
    return [(scan.nonce, result) for scan, result in results]


def _tell_owners(merchant, conflicts) -> None:
    """Someone handed something over twice: the owners hear of it by e-mail, in their own
    language, with a link to the counter log."""
    from ..merchants.models import Membership
    from ..merchants.roles import Role
    from ..notifications.mail import queue_mail
    from ..urls import public_url

    owners = db.session.scalars(sa.select(Membership).where(
        Membership.merchant_id == merchant.id, Membership.role == Role.OWNER))
    link = public_url("dashboard.redemptions_log", merchant_slug=merchant.slug,
                      outcome=Outcome.CONFLICT)
    for owner in owners:
        locale = owner.user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        with force_locale(locale):
            subject = gettext("%(merchant)s: a code was used twice at your counters",
                              merchant=merchant.name)
        queue_mail(to=owner.user.email, template="redemption_conflicts", locale=locale,
                   subject=subject, merchant=merchant, owner=owner.user, link=link,
                   conflicts=[(scan.store.name, scan.staff.full_name,
                               _when(scan.store, scan.scanned_at), result.answer)
                              for scan, result in conflicts])


def revocations(merchant_id: int, *, now: datetime | None = None) -> dict:
    """What a scanner must know to refuse codes offline: revoked and redeemed code ids."""
    now = now or utcnow()
    revoked = db.session.scalars(
        sa.select(RedeemableCode.id).where(
            RedeemableCode.merchant_id == merchant_id,
            RedeemableCode.state == CodeState.REVOKED,
            RedeemableCode.revoked_at >= now - timedelta(days=REVOKED_DAYS))
        .order_by(RedeemableCode.id))
    redeemed = db.session.scalars(
        sa.select(RedeemableCode.id).where(
            RedeemableCode.merchant_id == merchant_id,
            RedeemableCode.state == CodeState.REDEEMED,
            RedeemableCode.redeemed_at >= now - timedelta(days=REDEEMED_DAYS))
        .order_by(RedeemableCode.id))
    return {"generated_at": now, "revoked": list(revoked), "redeemed": list(redeemed)}


def attempts(merchant_id: int, *, outcome: str | None = None,
             store_ids: list[int] | None = None) -> sa.Select:
    """The merchant's attempt log, newest first (conflicts, failures, redemptions)."""
    query = sa.select(RedemptionAttempt).where(RedemptionAttempt.merchant_id == merchant_id)
    if outcome:
        query = query.where(RedemptionAttempt.outcome == outcome)
    if store_ids is not None:
        query = query.where(RedemptionAttempt.store_id.in_(store_ids))
    return query.order_by(RedemptionAttempt.id.desc())
