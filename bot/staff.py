"""Staff accounts for the console; passwords are stored only as argon2 hashes."""

import re
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import Invalid
from bot.models import StaffUser

ROLES = ("admin", "staff", "viewer")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,63}$")
_hasher = PasswordHasher()


class StaffError(Invalid):
    """A reason a staff account could not be created, worded for the person who asked."""


def create_staff(
    session: Session, email: str, role: str, password: str, now: datetime
) -> StaffUser:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise StaffError(f"'{email[:80]}' is not an email address.")
    if role not in ROLES:
        raise StaffError(f"Role must be one of: {', '.join(ROLES)}.")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise StaffError(f"The password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long.")
    if session.scalar(select(StaffUser).where(StaffUser.email == email)):
        raise StaffError(f"A staff account for {email} already exists.")
    user = StaffUser(email=email, role=role, password_hash=_hasher.hash(password), created_at=now)
    session.add(user)
    session.flush()
    return user


def password_matches(user: StaffUser, password: str) -> bool:
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def change_role(session: Session, user_id: int, role: str) -> StaffUser:
    """Give an account another role; the last administrator cannot be demoted."""
    if role not in ROLES:
        raise StaffError(f"Role must be one of: {', '.join(ROLES)}.")
    user = session.get(StaffUser, user_id, with_for_update=True)
    if user is None:
        raise StaffError("There is no such staff account.")
    if user.role == "admin" and role != "admin":
        query = select(StaffUser.id).where(StaffUser.role == "admin").with_for_update()
        admins = session.scalars(query).all()
        if len(admins) <= 1:
            raise StaffError("This is the only administrator; make someone else admin first.")
    user.role = role
    return user


def unlock(session: Session, user_id: int) -> StaffUser:
    """Lift a lock-out after wrong passwords, for someone who has proved who they are."""
    user = session.get(StaffUser, user_id, with_for_update=True)
    if user is None:
        raise StaffError("There is no such staff account.")
    user.failed_logins, user.locked_until = 0, None
    return user
