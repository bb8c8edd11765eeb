"""Staff accounts: administrators create them, change roles and lift lock-outs."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from admin.audit import record
from admin.auth import Staff, runtime_of
from admin.deps import Admin, Form, Id
from admin.forms import Fields
from admin.web import done, page
from bot.models import StaffUser
from bot.staff import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    ROLES,
    StaffError,
    change_role,
    create_staff,
    unlock,
)

router = APIRouter()
ROLE_CHOICES = {role: role for role in ROLES}


def _page(
    request: Request, staff: Staff, status_code: int = 200, **context: object
) -> HTMLResponse:
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        accounts = session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
    context.setdefault("typed", {"email": "", "role": "staff"})
    return page(
        request,
        "staff.html",
        staff,
        status_code=status_code,
        section="staff",
        accounts=accounts,
        roles=ROLES,
        now=runtime.clock.now(),
        min_password=MIN_PASSWORD,
        max_password=MAX_PASSWORD,
        **context,
    )


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
    runtime = runtime_of(request)
    fields = Fields(form)
    role = fields.choice("role", "Role", ROLE_CHOICES)
    if fields.errors:
        return _page(request, staff, 400, errors=fields.errors)
    now = runtime.clock.now()
    try:
        with runtime.store.transaction() as session:
            user = change_role(session, staff_id, role)
            record(session, staff, "staff.role", user.email, now, role=role)
    except StaffError as error:
        return _page(request, staff, 400, errors=[str(error)])
    return done(request, "/admin/staff", f"{user.email} is now {role}.")


@router.post("/staff/{staff_id}/unlock", response_model=None)
def unlock_account(
    request: Request, staff_id: Id, staff: Admin, form: Form
) -> HTMLResponse | RedirectResponse:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    try:
        with runtime.store.transaction() as session:
            user = unlock(session, staff_id)
            record(session, staff, "staff.unlock", user.email, now)
    except StaffError as error:
        return _page(request, staff, 400, errors=[str(error)])
    return done(request, "/admin/staff", f"{user.email} can sign in again.")
