"""Who is signed in, what their role lets them do, and the CSRF token every form carries.

The session lives in a signed cookie (Starlette's SessionMiddleware); it holds only the staff
id and the CSRF token. The account is read from the database on every request, so a changed
role or a removed account takes effect at once.
"""

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from bot.models import StaffUser
from bot.runtime import Runtime

RANK = {"viewer": 0, "staff": 1, "admin": 2}
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Staff:
    """The signed-in person, detached from any database session."""

    id: int
    email: str
    role: str

    def can(self, role: str) -> bool:
        return RANK.get(self.role, -1) >= RANK[role]


class SignInRequired(Exception):
    """No valid session: pages send the person to the login form, posts are refused."""


class Forbidden(Exception):
    """Signed in but not allowed, or a form without its CSRF token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created the first time a form is shown."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


async def read_form(request: Request) -> FormData:
    """The posted form, parsed once and cached by Starlette for later readers."""
    return await request.form(max_files=0, max_fields=200)


async def check_csrf(request: Request) -> None:
    expected = request.session.get(CSRF_FIELD)
    sent = (await read_form(request)).get(CSRF_FIELD)
    if not (
        isinstance(expected, str)
        and isinstance(sent, str)
        and expected
        and hmac.compare_digest(expected.encode(), sent.encode())
    ):
        raise Forbidden("This form has expired or did not come from the console. Reload the page.")


def staff_of(session: Session, staff_id: object) -> Staff | None:
    if not isinstance(staff_id, int):
        return None
    user = session.get(StaffUser, staff_id)
    return Staff(user.id, user.email, user.role) if user else None


def signed_in(role: str) -> Callable[[Request], Awaitable[Staff]]:
    """A dependency: the signed-in staff member with at least `role`; posts must carry CSRF."""

    async def dependency(request: Request) -> Staff:
        with runtime_of(request).store.transaction() as session:
            staff = staff_of(session, request.session.get("staff_id"))
        if staff is None:
            raise SignInRequired()
        if not staff.can(role):
            raise Forbidden(f"This needs the {role} role; your account is {staff.role}.")
        if request.method == "POST":
            await check_csrf(request)
        return staff

    return dependency


def start_session(request: Request, staff_id: int) -> None:
    """A fresh session on sign-in: nothing from before survives, the CSRF token is new."""
    request.session.clear()
    request.session["staff_id"] = staff_id
    request.session[CSRF_FIELD] = secrets.token_urlsafe(32)
