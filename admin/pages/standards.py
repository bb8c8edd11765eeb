"""The standards and the countries' legal figures, as staff read them; admins change a figure
(a new version of the country's profile, audited; past assessments keep the copy they used)."""

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from admin.auth import Staff, runtime_of
from admin.changes import Done, staff_action
from admin.deps import Admin, Form, Viewer
from admin.forms import Fields
from admin.programme import SEVERITIES
from admin.web import page
from bot.domain.law import (
    MAX_SOURCE,
    MAX_VALUE,
    UNITS,
    change_parameter,
    figure_text,
    figures,
    profile,
    shipped_countries,
    wage_text,
)
from bot.domain.standards import requirement_text, standards
from messages import text
from messages.countries import country_name

router = APIRouter()
PARAMETER_LABELS = {
    "min_working_age": "Minimum working age",
    "hazardous_work_age": "Age for hazardous work",
    "weekly_hours": "Normal weekly hours",
    "overtime_limit": "Overtime limit",
}


@router.get("/standards")
def standards_page(request: Request, staff: Viewer) -> HTMLResponse:
    """Every indicator by category, and the countries with a profile."""
    shipped = standards()
    return page(
        request,
        "standards.html",
        staff,
        section="standards",
        standards=shipped,
        requirement=lambda indicator: requirement_text(indicator, figures(None)),
        title_of=lambda code: text("en", f"indicator.{code}"),
        remediation_of=lambda code: text("en", f"indicator.{code}.remediation"),
        severity_labels=SEVERITIES,
        countries=[(code, country_name(code, "en")) for code in shipped_countries()],
    )


def country_page(
    request: Request, staff: Staff, country: str, status_code: int = 200, **context: object
) -> HTMLResponse:
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        found = profile(session, country)
    if found is None:
        raise HTTPException(404)
    context.setdefault("typed", {})
    return page(
        request,
        "country.html",
        staff,
        status_code=status_code,
        section="standards",
        profile=found,
        name=country_name(country, "en"),
        labels=PARAMETER_LABELS,
        figure_text=figure_text,
        wage_text=wage_text,
        max_source=MAX_SOURCE,
        units=UNITS,
        **context,
    )


@router.get("/countries/{country}")
def country(request: Request, country: str, staff: Viewer) -> HTMLResponse:
    """A country's figures by its ISO code, in either case (`IN`, `in`)."""
    code = country.upper()
    if code not in shipped_countries():
        raise HTTPException(404)
    return country_page(request, staff, code)


@router.post("/countries/{country}/parameters", response_model=None)
def change(request: Request, country: str, staff: Admin, form: Form) -> Response:
    country = country.upper()
    if country not in shipped_countries():
        raise HTTPException(404)
    fields = Fields(form)
    name = fields.choice("name", "Figure", PARAMETER_LABELS)
    raw = fields.raw("value").strip()
    value: float | None = None
    try:
        value = float(raw) if raw and len(raw) <= 12 else None
    except ValueError:
        value = None
    if value is None or not 0 <= value <= MAX_VALUE or value != value:
        fields.errors.append(f"Value must be a number from 0 to {MAX_VALUE}.")
    unit = fields.choice("unit", "Unit", {unit: unit for units in UNITS.values() for unit in units})
    source = fields.text("source", "Source", MAX_SOURCE)
    effective = fields.day("effective", "Effective date")
    verified = fields.raw("verified") == "yes"
    typed = fields.typed("name", "value", "unit", "source", "effective")
    if fields.errors or value is None or effective is None:
        return country_page(request, staff, country, 400, errors=fields.errors, typed=typed)

    def save(session: Session, now: datetime) -> Done:
        changed = change_parameter(
            session,
            country,
            name,
            value=value,
            unit=unit,
            source=source,
            effective=effective,
            verified=verified,
            staff_id=staff.id,
            now=now,
        )
        detail = {
            "version": changed.version,
            "figure": name,
            "value": value,
            "unit": unit,
            "source": source,
            "effective": effective.isoformat(),
            "verified": verified,
        }
        notice = f"{PARAMETER_LABELS[name]} saved as version {changed.version}."
        url = f"/admin/countries/{country}"
        return Done("country.change", f"country {country}", url, notice, detail)

    def refused(error: str) -> HTMLResponse:
        return country_page(request, staff, country, 400, errors=[error], typed=typed)

    return staff_action(request, staff, save, refused)
