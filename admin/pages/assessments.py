"""The pre-assessment date, the compliance assessment's outcome and the seal, from the console."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from admin.audit import record
from admin.auth import runtime_of
from admin.deps import Form, Id, Worker
from admin.forms import Fields
from admin.pages.business import business_page
from admin.programme import OUTCOMES
from admin.web import done
from bot.domain.assessments import (
    MAX_MONTHS,
    MAX_NOTES,
    AssessmentError,
    award_seal,
    record_assessment_outcome,
    record_pre_assessment,
)
from bot.models import Assessment

router = APIRouter()


@router.post("/businesses/{business_id}/pre-assessment", response_model=None)
def pre_assessment(
    request: Request, business_id: Id, staff: Worker, form: Form
) -> HTMLResponse | RedirectResponse:
    runtime = runtime_of(request)
    fields = Fields(form)
    held_on = fields.day("held_on", "Pre-assessment date")
    months = fields.whole("months", "Months until the assessment", 1, MAX_MONTHS)
    typed = fields.typed("held_on", "months")
    if fields.errors or held_on is None or months is None:
        return business_page(request, staff, business_id, 400, errors=fields.errors, typed=typed)
    now = runtime.clock.now()
    try:
        with runtime.store.transaction() as session:
            assessment = record_pre_assessment(session, business_id, held_on, now, months)
            record(
                session,
                staff,
                "pre_assessment.record",
                f"business {business_id}",
                now,
                held_on=held_on.isoformat(),
                months=months,
                assessment_on=assessment.scheduled_for.date().isoformat(),
            )
    except AssessmentError as error:
        return business_page(request, staff, business_id, 400, errors=[str(error)], typed=typed)
    return done(
        request,
        f"/admin/businesses/{business_id}#assessment",
        f"Pre-assessment recorded; the assessment is due {assessment.scheduled_for:%Y-%m-%d}.",
    )


@router.post("/assessments/{assessment_id}/outcome", response_model=None)
def outcome(
    request: Request, assessment_id: Id, staff: Worker, form: Form
) -> HTMLResponse | RedirectResponse:
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        assessment = session.get(Assessment, assessment_id)
        if assessment is None:
            raise HTTPException(404)
        business_id = assessment.business_id
    fields = Fields(form)
    result = fields.choice("outcome", "Outcome", OUTCOMES)
    notes = fields.text("notes", "Notes", MAX_NOTES, required=False)
    typed = fields.typed("outcome", "notes", limit=MAX_NOTES)
    if fields.errors:
        return business_page(request, staff, business_id, 400, errors=fields.errors, typed=typed)
    now = runtime.clock.now()
    try:
        with runtime.store.transaction() as session:
            record_assessment_outcome(session, assessment_id, result, notes, now)
            record(
                session,
                staff,
                "assessment.outcome",
                f"business {business_id}",
                now,
                assessment=assessment_id,
                outcome=result,
            )
    except AssessmentError as error:
        return business_page(request, staff, business_id, 400, errors=[str(error)], typed=typed)
    return done(
        request,
        f"/admin/businesses/{business_id}#assessment",
        f"Assessment outcome recorded: {OUTCOMES[result].lower()}.",
    )


@router.post("/businesses/{business_id}/seal", response_model=None)
def seal(request: Request, business_id: Id, staff: Worker) -> HTMLResponse | RedirectResponse:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    try:
        with runtime.store.transaction() as session:
            business = award_seal(session, business_id, now)
            record(session, staff, "seal.award", f"business {business_id}", now)
            name = business.name
    except AssessmentError as error:
        return business_page(request, staff, business_id, 400, errors=[str(error)])
    return done(request, f"/admin/businesses/{business_id}#assessment", f"Seal awarded to {name}.")
