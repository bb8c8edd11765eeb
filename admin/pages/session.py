"""Signing in and out. The decisions (password, two-factor code, throttling) are bot/signin.py's;
this page reads the form and the device cookie, and writes the session and the audit log."""

import posixpath

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from admin.audit import record
from admin.auth import BRAND, check_csrf, client_address, end_session, runtime_of, start_session
from admin.deps import Form, SignedIn
from admin.forms import Fields
from admin.web import page
from bot import signin, two_factor
from bot.staff import MAX_PASSWORD

router = APIRouter()


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
    key: bytes = request.app.state.console_key
    fields = Fields(form)
    email = fields.raw("email").strip().lower()[:254]
    target = safe_next(fields.raw("next"))
    devices = signin.trusted_accounts(key, request.cookies.get(signin.DEVICE_COOKIE))
    attempt = signin.Attempt(
        email=email,
        password=fields.raw("password")[: MAX_PASSWORD + 1],
        code=fields.raw("code")[: two_factor.MAX_TYPED],
        client=client_address(request),
        trusted_accounts=devices,
    )
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        outcome = signin.sign_in(session, attempt, now)
        if outcome.action:
            record(session, outcome.staff_id, outcome.action, email, now, **outcome.detail)
        if outcome.user:
            start_session(request, session, outcome.user.id, now)
    if outcome.user is None:
        return page(
            request,
            "login.html",
            None,
            status_code=outcome.status,
            errors=[outcome.message],
            email=email,
            next=target,
        )
    if outcome.user.role == BRAND and not target.startswith("/admin/brand"):
        target = "/admin/brand"  # nothing else in the console is there for a brand
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        signin.DEVICE_COOKIE,
        signin.device_token(key, outcome.user.id, devices),
        max_age=int(signin.DEVICE_MAX_AGE.total_seconds()),
        path="/admin",
        httponly=True,
        samesite="lax",
        secure=runtime.settings.public_base_url.startswith("https://"),
    )
    return response


@router.post("/logout", response_model=None)
def logout(request: Request, staff: SignedIn) -> RedirectResponse:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        end_session(request, session, now)
        record(session, staff, "logout", staff.email, now)
    return RedirectResponse("/admin/login", status_code=303)
