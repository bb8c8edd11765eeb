"""Staff accounts: administrators create them, change roles, sign an account out everywhere,
turn off a lost phone's two-factor and clear the failed sign-ins counted against an email."""

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.audit import record
from admin.auth import Staff, runtime_of
from admin.deps import Admin, Form, Id
from admin.forms import Fields
from admin.web import done, page
from bot import signin, staff_sessions
from bot.models import StaffUser
from bot.staff import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    ROLES,
    StaffError,
    account,
    change_role,
    create_staff,
    reset_two_factor,
    sign_out_everywhere,
)
from bot.two_factor import TwoFactorError

router = APIRouter()
ROLE_CHOICES = {role: role for role in ROLES}


def _page(
    request: Request, staff: Staff, status_code: int = 200, **context: object
) -> HTMLResponse:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        accounts = session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
        sessions = staff_sessions.open_counts(session, now)
        failures = signin.recent_failures(session, (user.email for user in accounts), now)
    context.setdefault("typed", {"email": "", "role": "staff"})
    return page(
        request,
        "staff.html",
        staff,
        status_code=status_code,
        section="staff",
        accounts=accounts,
        sessions=sessions,
        failures=failures,
        roles=ROLES,
        min_password=MIN_PASSWORD,
        max_password=MAX_PASSWORD,
        **context,
    )


def _act(
    request: Request, staff: Staff, act: Callable[[Session, datetime], str]
) -> HTMLResponse | RedirectResponse:
    """Run `act` (given the session and the time) in one transaction; it records itself in
    the audit log and returns the notice. A StaffError or TwoFactorError is shown instead."""
    runtime = runtime_of(request)
    try:
        with runtime.store.transaction() as session:
            notice = act(session, runtime.clock.now())
    except (StaffError, TwoFactorError) as error:
        return _page(request, staff, 400, errors=[str(error)])
    return done(request, "/admin/staff", notice)


@router.get("/staff")
def staff_accounts(request: Request, staff: Admin) -> HTMLResponse:
    return _page(request, staff)


@router.post("/staff", response_model=None)
def create_account(request: Request, staff: Admin, form: Form) -> HTMLResponse | RedirectResponse:
    runtime = runtime_of(request)
    fields = Fields(form)
    email = fields.text("email", "Email", 254)
    role = fields.choice("role", "Role", ROLE_CHOICES)
    password = fields.raw("password")
    typed = {"email": email, "role": role or "staff"}
    if fields.errors:
        return _page(request, staff, 400, errors=fields.errors, typed=typed)
    now = runtime.clock.now()
    try:
        with runtime.store.transaction() as session:
            user = create_staff(session, email, role, password, now)
            record(session, staff, "staff.create", user.email, now, role=role)
    except StaffError as error:
        return _page(request, staff, 400, errors=[str(error)], typed=typed)
    return done(request, "/admin/staff", f"Created the {role} account {user.email}.")


@router.post("/staff/{staff_id}/role", response_model=None)
def set_role(
    request: Request, staff_id: Id, staff: Admin, form: Form
) -> HTMLResponse | RedirectResponse:
    fields = Fields(form)
    role = fields.choice("role", "Role", ROLE_CHOICES)
    if fields.errors:
        return _page(request, staff, 400, errors=fields.errors)

    def act(session: Session, now: datetime) -> str:
        user = change_role(session, staff_id, role, now)
        record(session, staff, "staff.role", user.email, now, role=role)
        return f"{user.email} is now {role}."

    return _act(request, staff, act)


@router.post("/staff/{staff_id}/sign-out", response_model=None)
def sign_out(
    request: Request, staff_id: Id, staff: Admin, form: Form
) -> HTMLResponse | RedirectResponse:
    def act(session: Session, now: datetime) -> str:
        user, ended = sign_out_everywhere(session, staff_id, now)
        record(session, staff, "staff.sign_out_everywhere", user.email, now, sessions_ended=ended)
        return f"{user.email} is signed out everywhere ({ended} session{'s' * (ended != 1)} ended)."

    return _act(request, staff, act)


@router.post("/staff/{staff_id}/two-factor/reset", response_model=None)
def two_factor_reset(
    request: Request, staff_id: Id, staff: Admin, form: Form
) -> HTMLResponse | RedirectResponse:
    def act(session: Session, now: datetime) -> str:
        user = reset_two_factor(session, staff_id, now)
        record(session, staff, "two_factor.reset", user.email, now)
        return f"Two-factor sign-in is off for {user.email}; they can enrol a new phone."

    return _act(request, staff, act)


@router.post("/staff/{staff_id}/unlock", response_model=None)
def unlock_account(
    request: Request, staff_id: Id, staff: Admin, form: Form
) -> HTMLResponse | RedirectResponse:
    def act(session: Session, now: datetime) -> str:
        user = account(session, staff_id)
        cleared = signin.clear_email(session, user.email)
        record(session, staff, "staff.unlock", user.email, now, cleared=cleared)
        return f"Failed sign-ins for {user.email} cleared: any browser may try again."

    return _act(request, staff, act)
