"""Signing in to the console: password, two-factor code, and throttling that a stranger cannot
turn against an account's owner.

One form takes email, password and (for accounts with two-factor on) the current code, and
every failure gets the same answer, WRONG, whether the email has an account or not, the
password was wrong, or only the code was. So the form never tells a guesser that an email
exists, that it uses two-factor, or that a password was right.

Two counters, kept in the database so every web process sees them:

- Per client (the connecting address, or the first address before a trusted proxy; IPv6 by
  its /64): after CLIENT_FREE_FAILURES failures each further attempt is refused until a
  moment that doubles with every failure (CLIENT_FIRST_DELAY, then twice that, up to
  CLIENT_MAX_DELAY). A success from that client clears it; it is forgotten after CLIENT_FORGET.
- Per email (stored as a hash, known accounts and unknown emails alike): EMAIL_FAILURES
  failures within EMAIL_WINDOW refuse, for EMAIL_WINDOW, every browser that does not carry
  the account's device cookie. The cookie is signed with SECRET_KEY and set on each successful
  sign-in, so the owner's own browsers go on working while a stranger's guesses are refused.
  Failures from such a browser do not count against the email (they still count for their
  client). An admin's "clear" forgets the email's counter.

A refused attempt checks nothing and changes no counter; its answer depends only on the
counters, which behave the same for known and unknown emails.
"""

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import two_factor
from bot.models import SignInCounter, StaffUser
from bot.staff import MAX_PASSWORD, password_matches

CLIENT_FREE_FAILURES = 5
CLIENT_FIRST_DELAY = timedelta(seconds=2)
CLIENT_MAX_DELAY = timedelta(hours=1)
CLIENT_FORGET = timedelta(hours=24)
EMAIL_FAILURES = 10
EMAIL_WINDOW = timedelta(minutes=15)

DEVICE_COOKIE = "console_device"
DEVICE_MAX_AGE = timedelta(days=180)
DEVICE_ACCOUNTS = 10
_DEVICE_SALT = "console-device"
_MAX_DEVICE_TOKEN = 2000

WRONG = "That email and password do not match an account (or the two-factor code is wrong)."
WRONG_CURRENT = "Your current password (or two-factor code) is wrong."


def _client_refusal(until: datetime) -> str:
    return f"Too many failed sign-ins from your network. Try again after {until:%H:%M:%S} UTC."


def _email_refusal(until: datetime) -> str:
    return (
        "Too many failed sign-ins for this email. Until "
        f"{until:%H:%M} UTC it can only sign in from a browser that has signed in to it before."
    )


@dataclass(frozen=True)
class Attempt:
    """What a sign-in form sent, and where from.

    `client` is the client's address as the web layer resolved it; `trusted_accounts` are the
    account ids in the browser's valid device cookie (see trusted_accounts()).
    """

    email: str
    password: str
    code: str
    client: str
    trusted_accounts: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Outcome:
    """How a sign-in attempt ended.

    `user` is the signed-in account, or None; `message` is what the person reads (empty on
    success); `status` the HTTP status to answer with. `staff_id`, `action` and `detail` are
    for the audit log: `action` is None for a refused attempt, which is not recorded (refusals
    cost an attacker nothing, so recording each would let them fill the log).
    """

    user: StaffUser | None
    message: str
    status: int
    staff_id: int | None
    action: str | None
    detail: dict[str, str] = field(default_factory=dict)


@cache
def _decoy() -> StaffUser:
    """An account nobody has, checked for unknown emails so both answers take as long."""
    return StaffUser(password_hash=PasswordHasher().hash("not a real account"))


def client_key(address: str) -> str:
    """The counter key for a client address: IPv6 by its /64 (one household or server gets a
    whole /64), IPv4 as it is, anything else (a test client, a unix socket) as given."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"client:{address[:90]}"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped:
            return f"client:{parsed.ipv4_mapped}"
        return f"client:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"client:{parsed}"


def email_key(email: str) -> str:
    """The counter key for a typed email: a hash, so mistyped emails are not kept readable."""
    digest = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()
    return f"email:{digest}"


def _counter(session: Session, key: str) -> SignInCounter | None:
    query = select(SignInCounter).where(SignInCounter.key == key).with_for_update()
    return session.scalar(query)


def _count_failure(
    session: Session, key: str, row: SignInCounter | None, now: datetime, stale: timedelta
) -> SignInCounter:
    """Add one failure to the counter `key`, creating it (two requests may race to) or starting
    it over when its last failure is older than `stale`."""
    if row is None:
        try:
            with session.begin_nested():
                row = SignInCounter(key=key, failures=0, first_failure_at=now, last_failure_at=now)
                session.add(row)
        except IntegrityError:
            row = _counter(session, key)
            assert row is not None
    if now - row.last_failure_at > stale:
        row.failures, row.first_failure_at, row.refused_until = 0, now, None
    row.failures += 1
    row.last_failure_at = now
    return row


def _fail_client(session: Session, key: str, row: SignInCounter | None, now: datetime) -> None:
    row = _count_failure(session, key, row, now, CLIENT_FORGET)
    beyond = row.failures - CLIENT_FREE_FAILURES
    if beyond >= 0:
        delay = CLIENT_FIRST_DELAY * 2 ** min(beyond, 32)
        row.refused_until = now + min(delay, CLIENT_MAX_DELAY)


def _fail_email(session: Session, key: str, row: SignInCounter | None, now: datetime) -> None:
    if row is not None and now - row.first_failure_at > EMAIL_WINDOW:
        row.failures, row.first_failure_at, row.refused_until = 0, now, None  # a new window
    row = _count_failure(session, key, row, now, EMAIL_WINDOW)
    if row.failures >= EMAIL_FAILURES:
        row.refused_until = now + EMAIL_WINDOW


def _refused(row: SignInCounter | None, now: datetime) -> datetime | None:
    return row.refused_until if row and row.refused_until and row.refused_until > now else None


def sign_in(session: Session, attempt: Attempt, now: datetime) -> Outcome:
    """Decide a sign-in attempt and update the counters, in the caller's transaction.

    Returns an Outcome: the account when email, password and (if on) a fresh code match and
    neither counter refuses; otherwise WRONG (401) or a refusal (429) whose words depend only on
    the counters. Never raises for any input.
    """
    email = attempt.email.strip().lower()[:254]
    password = attempt.password[: MAX_PASSWORD + 1]
    user = session.scalar(select(StaffUser).where(StaffUser.email == email).with_for_update())
    staff_id = user.id if user else None
    trusted = user is not None and user.id in attempt.trusted_accounts
    keys = client_key(attempt.client), email_key(email)
    client, by_email = _counter(session, keys[0]), _counter(session, keys[1])
    until = _refused(client, now)
    if until:
        return Outcome(None, _client_refusal(until), 429, staff_id, None)
    until = None if trusted else _refused(by_email, now)
    if until:
        return Outcome(None, _email_refusal(until), 429, staff_id, None)
    if user is None:
        password_matches(_decoy(), password)
        reason = "no account"
    elif not password_matches(user, password):
        reason = "password"
    elif two_factor.is_on(user) and not two_factor.accept_code(user, attempt.code, now):
        reason = "two-factor code"
    else:
        _forget(session, client, by_email if _refused(by_email, now) is None else None, now=now)
        return Outcome(user, "", 303, user.id, "login")
    _fail_client(session, keys[0], client, now)
    if not trusted:
        _fail_email(session, keys[1], by_email, now)
    return Outcome(None, WRONG, 401, staff_id, "login.failed", {"wrong": reason})


def confirm_identity(
    session: Session, user: StaffUser, password: str, code: str, client: str, now: datetime
) -> str | None:
    """For a signed-in person about to change their password or two-factor: check the current
    password (and a fresh code when two-factor is on), throttled per client like sign-in, so a
    stolen session cannot be used to guess the password.

    Returns None when they match, or the message to show.
    """
    key = client_key(client)
    row = _counter(session, key)
    until = _refused(row, now)
    if until:
        return _client_refusal(until)
    if password_matches(user, password[: MAX_PASSWORD + 1]) and (
        not two_factor.is_on(user) or two_factor.accept_code(user, code, now)
    ):
        return None
    _fail_client(session, key, row, now)
    return WRONG_CURRENT


def _forget(session: Session, *rows: SignInCounter | None, now: datetime) -> None:
    """After a success: drop `rows`, and counters nobody has touched for a day (they only
    take room, and a success is a quiet moment to drop them)."""
    for row in rows:
        if row is not None:
            session.delete(row)
    session.flush()
    session.execute(
        delete(SignInCounter).where(SignInCounter.last_failure_at < now - CLIENT_FORGET)
    )


def clear_email(session: Session, email: str) -> bool:
    """Forget the failed sign-ins counted against `email` (an admin's "clear").

    Returns whether there were any.
    """
    result = session.execute(delete(SignInCounter).where(SignInCounter.key == email_key(email)))
    return bool(result.rowcount)


def recent_failures(session: Session, emails: Iterable[str], now: datetime) -> dict[str, int]:
    """Failed sign-ins counted against each of `emails` within EMAIL_WINDOW (0 when none)."""
    emails = list(emails)
    keys = {email_key(email): email for email in emails}
    rows = session.scalars(select(SignInCounter).where(SignInCounter.key.in_(keys)))
    counts = {email: 0 for email in emails}
    for row in rows:
        if now - row.first_failure_at <= EMAIL_WINDOW or _refused(row, now):
            counts[keys[row.key]] = row.failures
    return counts


def _serializer(key: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=_DEVICE_SALT)


def trusted_accounts(key: bytes, token: str | None) -> frozenset[int]:
    """The account ids a browser's device cookie vouches for: empty when the cookie is missing,
    forged (not signed with `key`), malformed or older than DEVICE_MAX_AGE."""
    if not token or len(token) > _MAX_DEVICE_TOKEN:
        return frozenset()
    try:
        ids = _serializer(key).loads(token, max_age=int(DEVICE_MAX_AGE.total_seconds()))
    except BadData:
        return frozenset()
    if not isinstance(ids, list):
        return frozenset()
    return frozenset(i for i in ids if isinstance(i, int) and not isinstance(i, bool))


def device_token(key: bytes, staff_id: int, earlier: Iterable[int]) -> str:
    """A device cookie value vouching for `staff_id` and up to DEVICE_ACCOUNTS - 1 of the
    accounts `earlier` vouched for (one browser may be shared), signed with `key`."""
    kept = [staff_id, *(i for i in earlier if i != staff_id)][:DEVICE_ACCOUNTS]
    return _serializer(key).dumps(kept)
