"""Staff accounts: administrators create them, change roles, sign an account out everywhere,
turn off a lost phone's two-factor and clear the failed sign-ins counted against an email."""

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.auth import BRAND, Staff, runtime_of
from admin.changes import Done, staff_action
from admin.deps import Admin, Form, Id
from admin.forms import Fields
from admin.pickers import business_choices
from admin.web import page
from bot import signin, staff_sessions
from bot.domain.brands import BrandError, links_of, parse_business_ids, request_links
from bot.domain.standards import standards
from bot.models import StaffUser
from bot.staff import (
    MAX_ORGANISATION,
    MAX_PASSWORD,
    MIN_PASSWORD,
    ROLES,
    account,
    change_role,
    create_staff,
    reset_two_factor,
    sign_out_everywhere,
)

router = APIRouter()
ROLE_CHOICES = {role: role for role in ROLES}
_TYPED = {"email": "", "role": "staff", "organisation": "", "businesses": ""}


def staff_page(
    request: Request, staff: Staff, status_code: int = 200, **context: object
) -> HTMLResponse:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        accounts = session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
        sessions = staff_sessions.open_counts(session, now)
        businesses = business_choices(session)
        failures = signin.recent_failures(session, (user.email for user in accounts), now)
        links = {
            user.id: [
                (link.status, business.id, business.name)
                for link, business in links_of(session, user.id)
            ]
            for user in accounts
            if user.role == BRAND
        }
    context.setdefault("typed", _TYPED)
    return page(
        request,
        "staff.html",
        staff,
        status_code=status_code,
        section="staff",
        businesses=businesses,
        accounts=accounts,
        sessions=sessions,
        failures=failures,
        links=links,
        roles=ROLES,
        categories=[(category.code, category.name) for category in standards().categories],
        max_organisation=MAX_ORGANISATION,
        min_password=MIN_PASSWORD,
        max_password=MAX_PASSWORD,
        **context,
    )


def _refusal(
    request: Request, staff: Staff, typed: dict[str, str] | None = None
) -> Callable[[str], HTMLResponse]:
    """The staff page again, with what the domain refused."""
    return lambda error: staff_page(request, staff, 400, errors=[error], typed=typed or _TYPED)


@router.get("/staff")
def staff_accounts(request: Request, staff: Admin) -> HTMLResponse:
    return staff_page(request, staff)


@router.post("/staff", response_model=None)
def create_account(request: Request, staff: Admin, form: Form) -> Response:
    fields = Fields(form)
    email = fields.text("email", "Email", 254)
    role = fields.choice("role", "Role", ROLE_CHOICES)
    password = fields.raw("password")
    organisation = fields.text("organisation", "Organisation", MAX_ORGANISATION, required=False)
    typed_ids = fields.joined("businesses", "Businesses", 1000, required=False)
    typed = {
        "email": email,
        "role": role or "staff",
        "organisation": organisation,
        "businesses": typed_ids,
    }
    if typed_ids and role != BRAND:
        fields.errors.append("Only a brand account is linked to businesses.")
    if fields.errors:
        return staff_page(request, staff, 400, errors=fields.errors, typed=typed)

    def create(session: Session, now: datetime) -> Done:
        ids = parse_business_ids(typed_ids)
        user = create_staff(session, email, role, password, now, organisation)
        asked = request_links(session, user.id, ids, now) if ids else []
        notice = f"Created the {role} account {user.email}."
        if asked:
            notice += f" The leaders of {len(asked)} business(es) are asked for consent."
        detail: dict[str, object] = {"role": role}
        if asked:
            detail["businesses"] = [link.business_id for link in asked]
        return Done("staff.create", user.email, "/admin/staff", notice, detail)

    return staff_action(request, staff, create, _refusal(request, staff, typed))


@router.post("/staff/{staff_id}/businesses", response_model=None)
def ask_for_businesses(request: Request, staff_id: Id, staff: Admin, form: Form) -> Response:
    """Name more businesses for a brand account: their leaders are asked for consent."""
    fields = Fields(form)
    typed_ids = fields.joined("businesses", "Businesses", 1000)
    if fields.errors:
        return staff_page(request, staff, 400, errors=fields.errors)

    def ask(session: Session, now: datetime) -> Done:
        ids = parse_business_ids(typed_ids)
        if not ids:
            raise BrandError("Name at least one business id, like 1,2.")
        user = account(session, staff_id)
        asked = request_links(session, user.id, ids, now)
        notice = f"Asked the leaders of {len(asked)} business(es) to let {user.email} see them."
        detail = {"businesses": [link.business_id for link in asked]}
        return Done("brand.request", user.email, "/admin/staff", notice, detail)

    return staff_action(request, staff, ask, _refusal(request, staff))


@router.post("/staff/{staff_id}/role", response_model=None)
def set_role(request: Request, staff_id: Id, staff: Admin, form: Form) -> Response:
    fields = Fields(form)
    role = fields.choice("role", "Role", ROLE_CHOICES)
    if fields.errors:
        return staff_page(request, staff, 400, errors=fields.errors)

    def set_it(session: Session, now: datetime) -> Done:
        user = change_role(session, staff_id, role, now)
        notice = f"{user.email} is now {role}."
        return Done("staff.role", user.email, "/admin/staff", notice, {"role": role})

    return staff_action(request, staff, set_it, _refusal(request, staff))


@router.post("/staff/{staff_id}/sign-out", response_model=None)
def sign_out(request: Request, staff_id: Id, staff: Admin, form: Form) -> Response:
    def end_them(session: Session, now: datetime) -> Done:
        user, ended = sign_out_everywhere(session, staff_id, now)
        notice = (
            f"{user.email} is signed out everywhere ({ended} session{'s' * (ended != 1)} ended)."
        )
        detail = {"sessions_ended": ended}
        return Done("staff.sign_out_everywhere", user.email, "/admin/staff", notice, detail)

    return staff_action(request, staff, end_them, _refusal(request, staff))


@router.post("/staff/{staff_id}/two-factor/reset", response_model=None)
def two_factor_reset(request: Request, staff_id: Id, staff: Admin, form: Form) -> Response:
    def reset(session: Session, now: datetime) -> Done:
        user = reset_two_factor(session, staff_id, now)
        notice = f"Two-factor sign-in is off for {user.email}; they can enrol a new phone."
        return Done("two_factor.reset", user.email, "/admin/staff", notice)

    return staff_action(request, staff, reset, _refusal(request, staff))


@router.post("/staff/{staff_id}/unlock", response_model=None)
def unlock_account(request: Request, staff_id: Id, staff: Admin, form: Form) -> Response:
    def lift(session: Session, _: datetime) -> Done:
        user = account(session, staff_id)
        cleared = signin.clear_email(session, user.email)
        notice = f"Failed sign-ins for {user.email} cleared: any browser may try again."
        return Done("staff.unlock", user.email, "/admin/staff", notice, {"cleared": cleared})

    return staff_action(request, staff, lift, _refusal(request, staff))
