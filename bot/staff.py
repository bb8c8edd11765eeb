"""Staff accounts for the console; passwords are stored only as argon2 hashes.

Whatever changes what an account may do or how it proves who it is (its role, its password,
its two-factor) ends the account's open sessions, so a cookie copied before no longer works.
"""

import re
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import staff_sessions, two_factor
from bot.domain.errors import Invalid
from bot.domain.zones import checked_zone
from bot.models import StaffUser
from bot.settings import get_settings

ROLES = ("admin", "staff", "viewer", "brand")
MAX_ORGANISATION = 60  # a brand's name goes into an SMS asking for consent
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,63}$")
_hasher = PasswordHasher()


class StaffError(Invalid):
    """A reason a staff account could not be created, worded for the person who asked."""


def create_staff(
    session: Session,
    email: str,
    role: str,
    password: str,
    now: datetime,
    organisation: str = "",
) -> StaffUser:
    """Add a console account; the email is kept lower-case, the password only as its hash.
    `organisation` is a brand's name as leaders are told it (up to MAX_ORGANISATION printable
    characters; the email's domain when empty).

    Raises StaffError for a malformed email, an unknown role, a password of the wrong length,
    an organisation out of shape or an email that already has an account.
    """
    organisation = " ".join(organisation.split()) if isinstance(organisation, str) else "?"
    if len(organisation) > MAX_ORGANISATION or not organisation.isprintable():
        raise StaffError(f"The organisation must be up to {MAX_ORGANISATION} printable characters.")
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise StaffError(f"'{email[:80]}' is not an email address.")
    if role not in ROLES:
        raise StaffError(f"Role must be one of: {', '.join(ROLES)}.")
    _check_password(password)
    if session.scalar(select(StaffUser).where(StaffUser.email == email)):
        raise StaffError(f"A staff account for {email} already exists.")
    user = StaffUser(
        email=email,
        role=role,
        password_hash=_hasher.hash(password),
        created_at=now,
        organisation=organisation,
        time_zone=get_settings().console_time_zone,
    )
    session.add(user)
    session.flush()
    return user


def set_time_zone(session: Session, user_id: int, zone_name: str) -> StaffUser:
    """Show this account the console's times in `zone_name` (an IANA name) and read the times
    it types as in it. Raises StaffError for an unknown account, ZoneError for an unknown zone."""
    user = account(session, user_id)
    user.time_zone = checked_zone(zone_name)
    session.flush()
    return user


def password_matches(user: StaffUser, password: str) -> bool:
    """True when `password` is the account's; over-long passwords are refused unhashed."""
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def account(session: Session, user_id: int) -> StaffUser:
    """The account `user_id`, locked for update. Raises StaffError when there is none."""
    user = session.get(StaffUser, user_id, with_for_update=True)
    if user is None:
        raise StaffError("There is no such staff account.")
    return user


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise StaffError(f"The password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long.")


def change_role(session: Session, user_id: int, role: str, now: datetime) -> StaffUser:
    """Give an account another role and end its sessions (it signs in again with the new role).

    The last administrator cannot be demoted. Raises StaffError for a wrong role, a missing
    account or the last administrator.
    """
    if role not in ROLES:
        raise StaffError(f"Role must be one of: {', '.join(ROLES)}.")
    user = account(session, user_id)
    if user.role == "admin" and role != "admin":
        query = select(StaffUser.id).where(StaffUser.role == "admin").with_for_update()
        admins = session.scalars(query).all()
        if len(admins) <= 1:
            raise StaffError("This is the only administrator; make someone else admin first.")
    if user.role != role:
        user.role = role
        staff_sessions.end_all(session, user.id, now, "role")
    return user


def change_password(session: Session, user: StaffUser, new: str, now: datetime) -> int:
    """Set a new password for `user` (its current one already checked) and end all its sessions.

    Returns how many sessions ended. Raises StaffError when the new password's length is wrong
    or it is the current one.
    """
    _check_password(new)
    if password_matches(user, new):
        raise StaffError("The new password is the one you have now; choose another.")
    user.password_hash = _hasher.hash(new)
    return staff_sessions.end_all(session, user.id, now, "password")


def sign_out_everywhere(session: Session, user_id: int, now: datetime) -> tuple[StaffUser, int]:
    """End every session of the account `user_id`.

    Returns the account and how many sessions ended. Raises StaffError for a missing account.
    """
    user = account(session, user_id)
    return user, staff_sessions.end_all(session, user.id, now, "everywhere")


def turn_on_two_factor(session: Session, user: StaffUser, code: str, now: datetime) -> int:
    """Turn on two-factor for `user` with the first code from the app; end all its sessions.

    Returns how many sessions ended. Raises TwoFactorError (nothing changed) when it is already
    on, no secret is pending or the code is wrong.
    """
    two_factor.confirm(user, code, now)
    return staff_sessions.end_all(session, user.id, now, "two-factor")


def turn_off_two_factor(session: Session, user: StaffUser, now: datetime) -> int:
    """Turn off two-factor for `user` (identity already checked) and end all its sessions.

    Returns how many sessions ended. Raises TwoFactorError when it was not on.
    """
    two_factor.turn_off(user)
    return staff_sessions.end_all(session, user.id, now, "two-factor")


def reset_two_factor(session: Session, user_id: int, now: datetime) -> StaffUser:
    """Turn off two-factor for someone who lost their phone (an admin's act), ending their
    sessions. Raises StaffError for a missing account, TwoFactorError when it was not on.
    """
    user = account(session, user_id)
    turn_off_two_factor(session, user, now)
    return user
