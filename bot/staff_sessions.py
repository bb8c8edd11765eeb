"""Console sessions kept in the database, so that any of them can be ended from the server.

A browser's signed cookie carries a random token; the table stores only the token's SHA-256,
so neither a database dump nor a console user can sign in with what is stored. A session is
refused once it is revoked (logout, a role or password change, two-factor turned on or off, an
admin's "sign out everywhere") or after IDLE of no use.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.models import StaffSession, StaffUser

IDLE = timedelta(hours=12)
# last_seen_at is written at most this often, not on every page view.
TOUCH_EVERY = timedelta(minutes=1)
MAX_TOKEN = 100
ENDED_BY = ("logout", "role", "password", "two-factor", "everywhere")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, staff_id: int, now: datetime) -> str:
    """Open a session for the account `staff_id`.

    Returns the token the browser keeps (in its signed cookie); it is not stored anywhere.
    """
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(token_hash=_hash(token), staff_id=staff_id, created_at=now, last_seen_at=now)
    )
    session.flush()
    return token


def account_of(session: Session, token: object, now: datetime) -> StaffUser | None:
    """The account a browser's session token belongs to, or None when the token is missing,
    malformed, unknown, revoked or idle for longer than IDLE. Notes the use (at most once per
    TOUCH_EVERY)."""
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN:
        return None
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None or now - row.last_seen_at > IDLE:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return session.get(StaffUser, row.staff_id)


def end(session: Session, token: object, now: datetime) -> None:
    """End the one session `token` opened (signing out); unknown tokens are ignored."""
    if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN:
        session.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == _hash(token), StaffSession.revoked_at.is_(None))
            .values(revoked_at=now, ended_by="logout")
        )


def end_all(session: Session, staff_id: int, now: datetime, reason: str) -> int:
    """End every open session of the account `staff_id`; `reason` is one of ENDED_BY.

    Returns how many were open. Cookies copied from any of them no longer sign anyone in.
    """
    if reason not in ENDED_BY:
        raise ValueError(f"reason must be one of {ENDED_BY}")
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now, ended_by=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def open_counts(session: Session, now: datetime) -> dict[int, int]:
    """Sessions in use per account id (not revoked, used within IDLE), for the staff page."""
    rows = session.execute(
        select(StaffSession.staff_id, func.count())
        .where(StaffSession.revoked_at.is_(None), StaffSession.last_seen_at >= now - IDLE)
        .group_by(StaffSession.staff_id)
    )
    return {staff_id: count for staff_id, count in rows}
