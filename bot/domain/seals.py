"""The seal as a record: a number, an unguessable public code anyone can check it with, when it
was awarded and until when it holds, the standards version it was assessed against, and its
status (active, expired, or revoked with a reason).

A seal is issued once and never edited but for its status; a business that earns the seal
again gets a new record. `Business.seal_awarded_at` mirrors the active seal (None once it has
expired or was revoked), so the stage (bot/domain/stage.py) follows the record.

Verification (the public page, VERIFY over chat) reads `verification`, and is rate-limited per
client with `allow_verification`, so codes cannot be enumerated: with 30 symbols and 10
characters a code is one of about 6e14, and a client gets a few dozen tries an hour.
"""

import calendar
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.errors import Invalid, NotFound
from bot.domain.notify import notify
from bot.models import Business, Contact, Seal, VerifyCounter
from flows.core import Reply
from messages.dates import date_text

# No 0/O, 1/I/L or U: a code read off a product tag is typed without guessing.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
STATUSES = ("active", "expired", "revoked")
MAX_REASON = 80  # it goes to the leader by SMS
NUMBER_PREFIX = "EH"


class SealError(Invalid):
    """A seal request that cannot be done as asked."""


class SealNotFound(NotFound, SealError):
    """The business has no seal, or there is no such business."""


@dataclass(frozen=True)
class Verification:
    """What anyone may learn from a seal's code: whose it is, where, and whether it holds."""

    business: str
    country: str
    number: str
    status: str  # active | expired | revoked
    awarded_at: datetime
    valid_until: datetime


def new_code() -> str:
    """A fresh public verification code: CODE_LENGTH symbols of ALPHABET from `secrets`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """The code as printed on a tag, in two groups of five: `K7QM3-XTP9A`."""
    return f"{code[:5]}-{code[5:]}"


def seal_url(public_base_url: str, code: str) -> str:
    """The public verification page of a seal's code (PUBLIC_BASE_URL + /seal/{code})."""
    return f"{public_base_url.rstrip('/')}/seal/{code}"


def normal_code(typed: str) -> str | None:
    """The stored form of a typed code (any case, with spaces or dashes), or None when it
    cannot be one: wrong length or a symbol the alphabet does not have."""
    if not isinstance(typed, str) or len(typed) > 40:
        return None
    cleaned = "".join(char for char in typed.upper() if char not in " -_.")
    if len(cleaned) != CODE_LENGTH or any(char not in ALPHABET for char in cleaned):
        return None
    return cleaned


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, clamped to the month's end."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return moment.replace(year=year, month=month, day=min(moment.day, last))


def issue_seal(
    session: Session,
    business: Business,
    now: datetime,
    valid_months: int,
    standards_version: str = "",
    assessment_id: int | None = None,
) -> Seal:
    """A new active seal for `business`, valid for `valid_months`; the business's
    `seal_awarded_at` is set. Raises SealError for a month count out of 1..120."""
    if type(valid_months) is not int or not 1 <= valid_months <= 120:
        raise SealError("A seal is valid for 1 to 120 months.")
    seal = Seal(
        business_id=business.id,
        assessment_id=assessment_id,
        number=f"pending-{secrets.token_hex(8)}",
        code=new_code(),
        awarded_at=now,
        valid_until=add_months(now, valid_months),
        standards_version=standards_version or "",
        status="active",
        status_reason="",
    )
    session.add(seal)
    session.flush()
    seal.number = f"{NUMBER_PREFIX}-{now.year}-{seal.id:05d}"
    business.seal_awarded_at = now
    session.flush()
    return seal


def current_seal(session: Session, business_id: int) -> Seal | None:
    """The business's latest seal, whatever its status; None if it never had one."""
    return session.scalar(
        select(Seal).where(Seal.business_id == business_id).order_by(Seal.id.desc()).limit(1)
    )


def seals_of(session: Session, business_id: int) -> list[Seal]:
    """Every seal the business was issued, newest first."""
    return list(
        session.scalars(
            select(Seal).where(Seal.business_id == business_id).order_by(Seal.id.desc())
        )
    )


def status_at(seal: Seal, now: datetime) -> str:
    """The seal's status as it stands at `now`: an active seal past its date is expired even
    before the expiry tick has recorded it."""
    if seal.status == "active" and seal.valid_until <= now:
        return "expired"
    return seal.status


def revoke_seal(session: Session, business_id: int, reason: str, now: datetime) -> Seal:
    """Revoke the business's active seal with a reason (say, a later zero-tolerance finding);
    the leader is told with the reason. Raises SealNotFound without a seal, SealError when it
    is not active or the reason is missing or out of shape (3 to MAX_REASON printable
    characters)."""
    if not isinstance(reason, str):
        raise SealError("The reason must be text.")
    cleaned = " ".join(reason.split())
    if not 3 <= len(cleaned) <= MAX_REASON or not cleaned.isprintable():
        raise SealError(f"Give a reason of 3 to {MAX_REASON} printable characters.")
    seal = current_seal(session, business_id)
    if seal is None:
        raise SealNotFound(f"Business {business_id} has no seal.")
    if status_at(seal, now) != "active":
        raise SealError(f"Seal {seal.number} is {status_at(seal, now)}, not active.")
    seal.status, seal.status_reason, seal.status_changed_at = "revoked", cleaned, now
    business = session.get(Business, business_id)
    assert business is not None
    business.seal_awarded_at = None
    _tell(session, business, "seal.revoked", now, business=business.name, reason=cleaned)
    session.flush()
    return seal


def expire_due(session: Session, now: datetime) -> list[Seal]:
    """Record as expired every active seal whose validity has ended; each leader is told.
    Returns the seals expired."""
    due = list(
        session.scalars(
            select(Seal)
            .where(Seal.status == "active", Seal.valid_until <= now)
            .order_by(Seal.id)
            .with_for_update(skip_locked=True)
        )
    )
    for seal in due:
        seal.status, seal.status_changed_at = "expired", now
        seal.status_reason = "validity ended"
        business = session.get(Business, seal.business_id)
        if business is None:
            continue
        if business.seal_awarded_at == seal.awarded_at:
            business.seal_awarded_at = None
        _tell(session, business, "seal.expired", now, business=business.name)
    session.flush()
    return due


def ending_seals(session: Session, now: datetime, within_days: int) -> list[Seal]:
    """Active seals whose validity ends within `within_days` (or has ended, not yet recorded),
    soonest first: for staff, with the re-assessment each has scheduled (`reassessment_id`)."""
    return list(
        session.scalars(
            select(Seal)
            .where(Seal.status == "active", Seal.valid_until <= now + timedelta(days=within_days))
            .order_by(Seal.valid_until, Seal.id)
        )
    )


def verification(session: Session, code: str, now: datetime) -> Verification | None:
    """What the public may learn from a typed code, or None when no seal has it."""
    normal = normal_code(code)
    if normal is None:
        return None
    seal = session.scalar(select(Seal).where(Seal.code == normal))
    if seal is None:
        return None
    business = session.get(Business, seal.business_id)
    assert business is not None
    return Verification(
        business.name,
        business.country,
        seal.number,
        status_at(seal, now),
        seal.awarded_at,
        seal.valid_until,
    )


def allow_verification(
    session: Session, client: str, now: datetime, limit: int, window: timedelta
) -> bool:
    """Count one verification by `client` (its address, as the caller names it) and say
    whether it is within `limit` per `window`. The client is kept only as a hash."""
    key = "verify:" + hashlib.sha256(client.encode("utf-8", "replace")).hexdigest()
    query = select(VerifyCounter).where(VerifyCounter.key == key).with_for_update()
    row = session.scalar(query)
    if row is None:
        try:
            with session.begin_nested():
                row = VerifyCounter(key=key, window_start=now, count=0)
                session.add(row)
        except IntegrityError:
            row = session.scalar(query)
            assert row is not None
    if now - row.window_start >= window:
        row.window_start, row.count = now, 0
    row.count += 1
    return row.count <= limit


def forget_verification_counters(session: Session, now: datetime, window: timedelta) -> int:
    """Delete the counters of clients whose window has ended; returns how many."""
    result = session.execute(delete(VerifyCounter).where(VerifyCounter.window_start < now - window))
    return int(getattr(result, "rowcount", 0) or 0)


def verification_reply(found: Verification | None, language: str | None) -> Reply:
    """The chat answer to VERIFY: the seal's status and validity, or that no seal has it."""
    if found is None:
        return Reply("seal.verify_unknown")
    params = {
        "business": found.business,
        "seal": found.number,
        "until": date_text(language, found.valid_until.date()),
    }
    return Reply(f"seal.verify_{found.status}", params)


def _tell(session: Session, business: Business, key: str, now: datetime, /, **params: str) -> None:
    leader = session.get(Contact, business.leader_id) if business.leader_id else None
    if leader is not None:
        notify(session, leader, (Reply(key, params),), now)
