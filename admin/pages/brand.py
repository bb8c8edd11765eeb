"""Brand partners' pages: the businesses whose leaders let the brand see them, each with its
stage, seal, supply-chain totals per layer (no group names) and worker-survey aggregates under
the same suppression as everywhere (bot/domain/surveys.py, fewer than 5 respondents withheld).

Only a brand account reaches these pages (anyone else gets 404), a business the brand has no
consent for is a missing page, and every view is written to the audit log.
"""

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from admin.audit import record
from admin.auth import runtime_of
from admin.deps import Brand, Id
from admin.pages.business import REPORT_NAMES, layers
from admin.pages.reports import document_response
from admin.web import page
from bot.domain.brands import may_see, visible_businesses
from bot.domain.reports import latest_issued
from bot.domain.seals import current_seal, seal_url, status_at
from bot.domain.stage import stage_of
from bot.domain.supply import supply_tree
from bot.domain.surveys import MIN_GROUP, business_results
from bot.models import Business, Report

router = APIRouter()


@router.get("/brand")
def vendors(request: Request, staff: Brand) -> HTMLResponse:
    """The brand's consented vendors, with stage and seal status; audited as brand.list."""
    runtime = runtime_of(request)
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        rows = []
        for business in visible_businesses(session, staff.id):
            seal = current_seal(session, business.id)
            rows.append(
                (business, stage_of(session, business), status_at(seal, now) if seal else None)
            )
        record(
            session, staff, "brand.list", staff.email, now, businesses=[b.id for b, _, _ in rows]
        )
    return page(request, "brand_vendors.html", staff, section="brand", vendors=rows)


@router.get("/brand/businesses/{business_id}")
def vendor(request: Request, business_id: Id, staff: Brand) -> HTMLResponse:
    """One consented vendor; 404 for a business the brand may not see. Audited as
    brand.view."""
    runtime = runtime_of(request)
    now: datetime = runtime.clock.now()
    with runtime.store.transaction() as session:
        business = session.get(Business, business_id)
        if business is None or not may_see(session, staff.id, business_id):
            raise HTTPException(404)
        seal = current_seal(session, business_id)
        values = {
            "business": business,
            "stage": stage_of(session, business),
            "seal": seal,
            "seal_status": status_at(seal, now) if seal else None,
            "seal_url": seal_url(runtime.settings.public_base_url, seal.code) if seal else "",
            "layers": layers(supply_tree(session, business_id)),
            "results": business_results(session, business_id),
            "reports": latest_issued(session, business_id),
        }
        record(session, staff, "brand.view", f"business {business_id}", now)
    return page(
        request,
        "brand_vendor.html",
        staff,
        section="brand",
        min_group=MIN_GROUP,
        report_names=REPORT_NAMES,
        **values,
    )


@router.get("/brand/businesses/{business_id}/reports/{report}", response_model=None)
def vendor_report(request: Request, business_id: Id, report: str, staff: Brand) -> Response:
    """An issued report of a consented vendor, as its PDF (`/reports/12.pdf`); 404 for any
    other report or business. Audited as brand.report."""
    number, dot, extension = report.partition(".")
    if not (number.isascii() and number.isdigit() and len(number) <= 9 and extension == "pdf"):
        raise HTTPException(404)
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        found = session.get(Report, int(number))
        if (
            found is None
            or found.business_id != business_id
            or not may_see(session, staff.id, business_id)
        ):
            raise HTTPException(404)
        name = f"{found.kind.replace('_', '-')}-{business_id}-v{found.version}"
        pdf = found.pdf
        record(session, staff, "brand.report", f"business {business_id}", runtime.clock.now(),
               report=found.id)  # fmt: skip
    return document_response(None, pdf, name)
