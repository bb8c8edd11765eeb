"""Who is signed in, what their role lets them do, and the CSRF token every form carries.

The browser keeps a signed cookie (Starlette's SessionMiddleware, keyed by bot.keys.secret_key)
holding a session token and the CSRF token. Every request looks the token up in the database
(bot/staff_sessions.py) and reads the account, so logging out, a changed role or password and
"sign out everywhere" end a session at once, even for a copy of its cookie.
"""

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from admin.guard import is_upload
from bot import staff_sessions, two_factor
from bot.runtime import Runtime

RANK = {"viewer": 0, "staff": 1, "admin": 2}
# Brand partners sit outside the ranks: they see their own pages (role "brand") and what any
# signed-in person has (role "member": their account, signing out), and nothing else exists
# for them: every other console page answers 404, as a page that is not there.
BRAND = "brand"
MEMBER = "member"
CSRF_FIELD = "csrf"
TOKEN_FIELD = "session"


@dataclass(frozen=True)
class Staff:
    """The signed-in person, detached from any database session."""

    id: int
    email: str
    role: str
    two_factor: bool = False
    time_zone: str = "UTC"  # IANA name: the console's times are shown in it

    def can(self, role: str) -> bool:
        """True when this person's role is `role` or above it; "brand" only for a brand
        partner, "member" for anyone signed in."""
        if role == MEMBER:
            return True
        if role == BRAND:
            return self.role == BRAND
        return RANK.get(self.role, -1) >= RANK[role]

    @property
    def home(self) -> str:
        """The page this person lands on: a brand's vendors, or the overview."""
        return "/admin/brand" if self.role == BRAND else "/admin/"


class SignInRequired(Exception):
    """No valid session: pages send the person to the login form, posts are refused."""


class Forbidden(Exception):
    """Signed in but not allowed, or a form without its CSRF token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EnrolmentRequired(Exception):
    """An admin without two-factor while REQUIRE_ADMIN_TOTP is on: only enrolling and signing
    out are open to them."""


def runtime_of(request: Request) -> Runtime:
    """The runtime (settings, clock, store) the app was built with."""
    return request.app.state.runtime


def client_address(request: Request) -> str:
    """The client's address: the peer, or what a trusted proxy said (see bot/app.py)."""
    return request.client.host if request.client else ""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created the first time a form is shown."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


# A business picker may tick a few hundred businesses (a broadcast's segment holds 300); the
# console guard still caps the body's size.
MAX_FIELDS = 400
# Forms with more fields: the survey builder posts every text of up to 20 questions with up to
# 9 answers each in four languages.
LARGE_FORMS = {"/admin/surveys": 1200}


async def read_form(request: Request) -> FormData:
    """The posted form, parsed once and cached by Starlette for later readers. Only the forms
    that carry a photo (`admin.guard.is_upload`) may hold one file."""
    files = 1 if is_upload(request.url.path) else 0
    fields = LARGE_FORMS.get(request.url.path, MAX_FIELDS)
    return await request.form(max_files=files, max_fields=fields)


async def check_csrf(request: Request) -> None:
    """Refuse (Forbidden) a posted form whose CSRF token is not this session's."""
    expected = request.session.get(CSRF_FIELD)
    sent = (await read_form(request)).get(CSRF_FIELD)
    if not (
        isinstance(expected, str)
        and isinstance(sent, str)
        and expected
        and hmac.compare_digest(expected.encode(), sent.encode())
    ):
        raise Forbidden("This form has expired or did not come from the console. Reload the page.")


def current_staff(request: Request) -> Staff | None:
    """The person this browser's session belongs to, or None when it has no session or one
    that has ended (then the dead token is dropped from the cookie)."""
    token = request.session.get(TOKEN_FIELD)
    if token is None:
        return None
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        user = staff_sessions.account_of(session, token, runtime.clock.now())
        staff = (
            Staff(user.id, user.email, user.role, two_factor.is_on(user), user.time_zone)
            if user
            else None
        )
    if staff is None:
        request.session.pop(TOKEN_FIELD, None)
    return staff


def must_enrol(request: Request, staff: Staff) -> bool:
    """True for an admin without two-factor while REQUIRE_ADMIN_TOTP is on."""
    required = runtime_of(request).settings.require_admin_totp
    return required and staff.role == "admin" and not staff.two_factor


def signed_in(role: str, enrolling: bool = False) -> Callable[[Request], Awaitable[Staff]]:
    """A dependency: the signed-in staff member with at least `role`; posts must carry CSRF.

    Raises SignInRequired without a live session, Forbidden for a lower role or a missing CSRF
    token, and EnrolmentRequired for an admin who must turn on two-factor first (unless the
    route is part of `enrolling`). A brand partner on a staff page, or anyone but a brand on a
    brand page, gets HTTPException 404 before anything else is checked: the page is not there
    for them.
    """

    async def dependency(request: Request) -> Staff:
        staff = current_staff(request)
        if staff is None:
            raise SignInRequired()
        if (role == BRAND) != (staff.role == BRAND) and role != MEMBER:
            raise HTTPException(404)
        if not enrolling and must_enrol(request, staff):
            raise EnrolmentRequired()
        if not staff.can(role):
            raise Forbidden(f"This needs the {role} role; your account is {staff.role}.")
        if request.method == "POST":
            await check_csrf(request)
        return staff

    return dependency


def start_session(request: Request, session: Session, staff_id: int, now: datetime) -> None:
    """Sign this browser in as `staff_id` with a new server-side session: nothing from before
    survives in the cookie, and the CSRF token is new."""
    token = staff_sessions.start(session, staff_id, now)
    request.session.clear()
    request.session[TOKEN_FIELD] = token
    request.session[CSRF_FIELD] = secrets.token_urlsafe(32)


def end_session(request: Request, session: Session, now: datetime) -> None:
    """Sign this browser out: its server-side session ends and the cookie is emptied."""
    staff_sessions.end(session, request.session.get(TOKEN_FIELD), now)
    request.session.clear()
