"""Templates and the page helper: every page gets the signed-in person, CSRF token and notices."""

from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from admin import programme
from admin.auth import Staff, csrf_token
from admin.times import shown
from bot.capabilities import channel_label
from messages.countries import country_name

_HERE = Path(__file__).parent
_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_environment)

NAVIGATION = (
    ("overview", "Overview", "/admin/", "viewer"),
    ("businesses", "Businesses", "/admin/businesses", "viewer"),
    ("inbox", "Inbox", "/admin/inbox", "viewer"),
    ("surveys", "Surveys", "/admin/surveys", "viewer"),
    ("broadcasts", "Broadcasts", "/admin/broadcasts", "viewer"),
    ("standards", "Standards", "/admin/standards", "viewer"),
    ("lessons", "Lessons", "/admin/lessons", "viewer"),
    ("simulator", "Simulator", "/admin/simulator", "staff"),
    ("audit", "Audit log", "/admin/audit", "viewer"),
    ("staff", "Staff", "/admin/staff", "admin"),
    ("brand", "Your vendors", "/admin/brand", "brand"),
)


@jinja2.pass_context
def when(context: jinja2.runtime.Context, value: datetime | date | None) -> str:
    """A stored time in the signed-in person's zone, naming it (admin.times.shown); UTC on
    pages nobody is signed in to."""
    staff = context.get("staff")
    return shown(value, staff.time_zone if isinstance(staff, Staff) else "UTC")


def country(code: str) -> str:
    return country_name(code, "en")


_environment.filters["when"] = when
_environment.filters["country"] = country
# A channel's plain name ("WhatsApp", "Simulator") wherever a channel id would show.
_environment.filters["channel"] = channel_label
_environment.globals.update(
    navigation=NAVIGATION,
    label=programme.label,
    stage_labels=programme.STAGE_LABELS,
    kinds=programme.KINDS,
    severities=programme.SEVERITIES,
    outcomes=programme.OUTCOMES,
    item_statuses=programme.ITEM_STATUSES,
)


def page(
    request: Request,
    template: str,
    staff: Staff | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A full console page; `notice` comes from the action that redirected here."""
    notice = request.session.pop("notice", None)
    values = {"staff": staff, "csrf": csrf_token(request), "notice": notice, **context}
    values.setdefault("section", "")
    values.setdefault("errors", [])
    return templates.TemplateResponse(request, template, values, status_code=status_code)


def done(request: Request, url: str, notice: str) -> RedirectResponse:
    """After a successful post: redirect (so reloading does not repeat it) with a notice."""
    request.session["notice"] = notice
    return RedirectResponse(url, status_code=303)
