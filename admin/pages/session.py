"""Signing in and out, with a lock-out after repeated wrong passwords."""

import posixpath
from datetime import timedelta
from functools import cache

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from admin.audit import record
from admin.auth import check_csrf, runtime_of, start_session
from admin.deps import Form, Viewer
from admin.forms import Fields
from admin.web import page
from bot.models import StaffUser
from bot.staff import MAX_PASSWORD, password_matches

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
WRONG = "That email and password do not match an account."

router = APIRouter()


@cache
def _decoy() -> StaffUser:
    """An account nobody has, checked for unknown emails so both answers take as long."""
    from argon2 import PasswordHasher

    return StaffUser(password_hash=PasswordHasher().hash("not a real account"))


def safe_next(url: str) -> str:
    """Only ever return to a console page, never to another site."""
    path = posixpath.normpath(url.split("?", 1)[0])
    console = path == "/admin" or path.startswith("/admin/")
    plain = len(url) <= 500 and "\\" not in url and "//" not in url
    return url if console and plain else "/admin/"


@router.get("/login")
def login_form(request: Request, next: str = "/admin/") -> HTMLResponse:
    return page(request, "login.html", None, email="", next=safe_next(next))


@router.post("/login", dependencies=[Depends(check_csrf)], response_model=None)
def login(request: Request, form: Form) -> HTMLResponse | RedirectResponse:
    runtime = runtime_of(request)
    fields = Fields(form)
    email = fields.raw("email").strip().lower()[:254]
    password = fields.raw("password")[: MAX_PASSWORD + 1]
    target = safe_next(fields.raw("next"))
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == email).with_for_update())
        if user and user.locked_until and user.locked_until > now:
            record(session, user.id, "login.refused_locked", email, now)
            error = (
                "Too many wrong passwords: this account is locked until "
                f"{user.locked_until:%H:%M} UTC."
            )
        elif user and password_matches(user, password):
            user.failed_logins, user.locked_until = 0, None
            record(session, user.id, "login", email, now)
            start_session(request, user.id)
            return RedirectResponse(target, status_code=303)
        elif user:
            user.failed_logins += 1
            error = WRONG
            if user.failed_logins >= MAX_FAILURES:
                user.failed_logins, user.locked_until = 0, now + LOCK_FOR
                error = (
                    f"{MAX_FAILURES} wrong passwords: this account is locked for "
                    f"{LOCK_FOR.seconds // 60} minutes."
                )
            record(session, user.id, "login.failed", email, now)
        else:
            password_matches(_decoy(), password)
            record(session, None, "login.failed", email, now)
            error = WRONG
    return page(
        request, "login.html", None, status_code=401, errors=[error], email=email, next=target
    )


@router.post("/logout", response_model=None)
def logout(request: Request, staff: Viewer) -> RedirectResponse:
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        record(session, staff, "logout", staff.email, runtime.clock.now())
    request.session.clear()
    return RedirectResponse("/admin/login", status_code=303)
