"""Your own account: change the password, turn two-factor sign-in on or off, choose the time
zone the console's times are shown in.

Each change ends every session of the account, this browser's included, and signs this browser
in again with a new one: a cookie copied before the change no longer works.
"""

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from admin.audit import record
from admin.auth import Staff, client_address, must_enrol, runtime_of, start_session
from admin.changes import Done, staff_action
from admin.deps import Form, Member, SignedIn
from admin.forms import Fields
from admin.web import done, page
from bot import signin, two_factor
from bot.domain.errors import DomainError
from bot.domain.zones import MAX_ZONE_NAME, all_zones
from bot.models import StaffUser
from bot.staff import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    account,
    change_password,
    set_time_zone,
    turn_off_two_factor,
    turn_on_two_factor,
)

router = APIRouter()


def _account_page(
    request: Request,
    staff: Staff,
    status_code: int = 200,
    errors: list[str] | None = None,
    typed_zone: str = "",
) -> HTMLResponse:
    return page(
        request,
        "account.html",
        staff,
        status_code=status_code,
        errors=errors or [],
        section="account",
        min_password=MIN_PASSWORD,
        max_password=MAX_PASSWORD,
        zones=all_zones(),
        typed_zone=typed_zone or staff.time_zone,
    )


def _two_factor_page(
    request: Request, staff: Staff, status_code: int = 200, errors: list[str] | None = None
) -> HTMLResponse:
    runtime = runtime_of(request)
    secret = qr = ""
    with runtime.store.transaction() as session:
        user = account(session, staff.id)
        on = two_factor.is_on(user)
        if not on:
            secret = two_factor.pending_secret(user)
            qr = two_factor.qr_svg(two_factor.provisioning_uri(user, secret))
    return page(
        request,
        "two_factor.html",
        staff,
        status_code=status_code,
        errors=errors or [],
        section="account",
        on=on,
        required=runtime.settings.require_admin_totp and staff.role == "admin",
        must_enrol=must_enrol(request, staff),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        qr=Markup(qr),  # segno's SVG: paths and a fixed title only
    )


def _change(
    request: Request,
    staff: Staff,
    action: str,
    change: Callable[[Session, StaffUser, datetime], int],
    confirm_with: Fields | None = None,
) -> str | None:
    """Change the signed-in account with a bot.staff function that ends all its sessions,
    record `action` in the audit log and sign this browser in afresh.

    With `confirm_with`, the form's current password (and code, when two-factor is on) must be
    the account's first; a wrong one is counted against the client like a failed sign-in.
    `change` returns how many sessions it ended, or raises a DomainError (StaffError,
    TwoFactorError).
    Returns None when done, or the message to show (nothing changed but the failure count).
    """
    runtime = runtime_of(request)
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        user = account(session, staff.id)
        if confirm_with is not None:
            refusal = signin.confirm_identity(
                session,
                user,
                confirm_with.raw("current")[: MAX_PASSWORD + 1],
                confirm_with.raw("code")[: two_factor.MAX_TYPED],
                client_address(request),
                now,
            )
            if refusal:
                return refusal
        try:
            with session.begin_nested():
                ended = change(session, user, now)
        except DomainError as error:
            return str(error)
        record(session, staff, action, staff.email, now, sessions_ended=ended)
        start_session(request, session, user.id, now)
    return None


@router.get("/account")
def account_page(request: Request, staff: Member) -> HTMLResponse:
    return _account_page(request, staff)


@router.post("/account/password", response_model=None)
def password(request: Request, staff: Member, form: Form) -> HTMLResponse | RedirectResponse:
    fields = Fields(form)
    new = fields.raw("password")
    if new != fields.raw("confirm"):
        return _account_page(request, staff, 400, ["The new password and its repeat differ."])

    def change(session: Session, user: StaffUser, now: datetime) -> int:
        return change_password(session, user, new, now)

    error = _change(request, staff, "password.change", change, confirm_with=fields)
    if error:
        return _account_page(request, staff, 400, [error])
    return done(request, "/admin/account", "Password changed; every other session has ended.")


@router.post("/account/time-zone", response_model=None)
def time_zone(request: Request, staff: Member, form: Form) -> Response:
    """Show this account's times in the chosen zone (an IANA name from the list)."""
    chosen = Fields(form).raw("time_zone").strip()[:MAX_ZONE_NAME]

    def choose(session: Session, _: datetime) -> Done:
        user = set_time_zone(session, staff.id, chosen)
        notice = f"Times are now shown in {user.time_zone}."
        return Done(
            "account.time_zone",
            staff.email,
            "/admin/account#time-zone",
            notice,
            {"time_zone": user.time_zone},
        )

    def refused(error: str) -> Response:
        return _account_page(request, staff, 400, [error], typed_zone=chosen)

    return staff_action(request, staff, choose, refused)


@router.get("/account/two-factor")
def two_factor_page(request: Request, staff: SignedIn) -> HTMLResponse:
    return _two_factor_page(request, staff)


@router.post("/account/two-factor", response_model=None)
def turn_on(request: Request, staff: SignedIn, form: Form) -> HTMLResponse | RedirectResponse:
    code = Fields(form).raw("code")[: two_factor.MAX_TYPED]

    def change(session: Session, user: StaffUser, now: datetime) -> int:
        return turn_on_two_factor(session, user, code, now)

    error = _change(request, staff, "two_factor.on", change)
    if error:
        return _two_factor_page(request, staff, 400, [error])
    return done(
        request, "/admin/account", "Two-factor sign-in is on; every other session has ended."
    )


@router.post("/account/two-factor/off", response_model=None)
def turn_off(request: Request, staff: Member, form: Form) -> HTMLResponse | RedirectResponse:
    if runtime_of(request).settings.require_admin_totp and staff.role == "admin":
        errors = ["Administrators must use two-factor sign-in here; it cannot be turned off."]
        return _two_factor_page(request, staff, 400, errors)

    error = _change(
        request, staff, "two_factor.off", turn_off_two_factor, confirm_with=Fields(form)
    )
    if error:
        return _two_factor_page(request, staff, 400, [error])
    return done(
        request, "/admin/account", "Two-factor sign-in is off; every other session has ended."
    )
