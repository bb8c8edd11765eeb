"""Staff accounts: administrators create them, change roles and lift lock-outs."""

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.auth import Staff, runtime_of
from admin.changes import Done, staff_action
from admin.deps import Admin, Form, Id
from admin.forms import Fields
from admin.web import page
from bot.models import StaffUser
from bot.staff import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    ROLES,
    change_role,
    create_staff,
    unlock,
)

router = APIRouter()
ROLE_CHOICES = {role: role for role in ROLES}
_TYPED = {"email": "", "role": "staff"}


def _page(
    request: Request, staff: Staff, status_code: int = 200, **context: object
) -> HTMLResponse:
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        accounts = session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
    context.setdefault("typed", _TYPED)
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


def _refusal(
    request: Request, staff: Staff, typed: dict[str, str] | None = None
) -> Callable[[str], HTMLResponse]:
    """The staff page again, with what the domain refused."""
    return lambda error: _page(request, staff, 400, errors=[error], typed=typed or _TYPED)


@router.get("/staff")
def staff_accounts(request: Request, staff: Admin) -> HTMLResponse:
    return _page(request, staff)


@router.post("/staff", response_model=None)
def create_account(request: Request, staff: Admin, form: Form) -> Response:
    fields = Fields(form)
    email = fields.text("email", "Email", 254)
    role = fields.choice("role", "Role", ROLE_CHOICES)
    password = fields.raw("password")
    typed = {"email": email, "role": role or "staff"}
    if fields.errors:
        return _page(request, staff, 400, errors=fields.errors, typed=typed)

    def create(session: Session, now: datetime) -> Done:
        user = create_staff(session, email, role, password, now)
        notice = f"Created the {role} account {user.email}."
        return Done("staff.create", user.email, "/admin/staff", notice, {"role": role})

    return staff_action(request, staff, create, _refusal(request, staff, typed))


@router.post("/staff/{staff_id}/role", response_model=None)
def set_role(request: Request, staff_id: Id, staff: Admin, form: Form) -> Response:
    fields = Fields(form)
    role = fields.choice("role", "Role", ROLE_CHOICES)
    if fields.errors:
        return _page(request, staff, 400, errors=fields.errors)

    def set_it(session: Session, _: datetime) -> Done:
        user = change_role(session, staff_id, role)
        notice = f"{user.email} is now {role}."
        return Done("staff.role", user.email, "/admin/staff", notice, {"role": role})

    return staff_action(request, staff, set_it, _refusal(request, staff))


@router.post("/staff/{staff_id}/unlock", response_model=None)
def unlock_account(request: Request, staff_id: Id, staff: Admin, form: Form) -> Response:

    def lift(session: Session, _: datetime) -> Done:
        user = unlock(session, staff_id)
        return Done("staff.unlock", user.email, "/admin/staff", f"{user.email} can sign in again.")

    return staff_action(request, staff, lift, _refusal(request, staff))
