"""The pre-assessment date, the compliance assessment's outcome and the seal, from the console."""

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from admin.auth import runtime_of
from admin.changes import Done, staff_action
from admin.deps import Form, Id, Worker
from admin.forms import Fields
from admin.pages.business import business_page, refusal
from admin.pages.findings import assessment_page, url_of
from admin.programme import OUTCOMES
from bot.domain.assessments import (
    MAX_MONTHS,
    MAX_NOTES,
    MAX_REASON,
    award_seal,
    record_assessment_outcome,
    record_pre_assessment,
)
from bot.models import Assessment

router = APIRouter()


def _section(business_id: int) -> str:
    return f"/admin/businesses/{business_id}#assessment"


@router.post("/businesses/{business_id}/pre-assessment", response_model=None)
def pre_assessment(request: Request, business_id: Id, staff: Worker, form: Form) -> Response:
    fields = Fields(form)
    held_on = fields.day("held_on", "Pre-assessment date")
    months = fields.whole("months", "Months until the assessment", 1, MAX_MONTHS)
    typed = fields.typed("held_on", "months")
    if fields.errors or held_on is None or months is None:
        return business_page(request, staff, business_id, 400, errors=fields.errors, typed=typed)

    def schedule(session: Session, now: datetime) -> Done:
        assessment = record_pre_assessment(session, business_id, held_on, now, months)
        due = assessment.scheduled_for
        detail = {
            "held_on": held_on.isoformat(),
            "months": months,
            "assessment_on": due.date().isoformat(),
        }
        notice = f"Pre-assessment recorded; the assessment is due {due:%Y-%m-%d}."
        target, url = f"business {business_id}", _section(business_id)
        return Done("pre_assessment.record", target, url, notice, detail)

    return staff_action(request, staff, schedule, refusal(request, staff, business_id, typed))


@router.post("/assessments/{assessment_id}/outcome", response_model=None)
def outcome(request: Request, assessment_id: Id, staff: Worker, form: Form) -> Response:
    """Record (or, with a reason, correct) the outcome; from the assessment's own page it goes
    back there, from the business page back to it."""
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        assessment = session.get(Assessment, assessment_id)
        if assessment is None:
            raise HTTPException(404)
        business_id = assessment.business_id
    fields = Fields(form)
    result = fields.choice("outcome", "Outcome", OUTCOMES)
    notes = fields.text("notes", "Notes", MAX_NOTES, required=False)
    reason = fields.text("reason", "Reason", MAX_REASON, required=False)
    typed = fields.typed("outcome", "notes", "reason", limit=MAX_NOTES)
    on_page = fields.raw("back") == "assessment"

    def refused(error: str) -> Response:
        if on_page:
            return assessment_page(request, staff, assessment_id, 400, errors=[error], typed=typed)
        return refusal(request, staff, business_id, typed)(error)

    if fields.errors:
        return refused(" ".join(fields.errors))

    def record_outcome(session: Session, now: datetime) -> Done:
        record_assessment_outcome(session, assessment_id, result, notes, now, reason)
        notice = f"Assessment outcome recorded: {OUTCOMES[result].lower()}."
        detail = {"assessment": assessment_id, "outcome": result}
        if reason:
            detail["reason"] = reason
        target = f"business {business_id}"
        url = url_of(assessment_id) + "#plan" if on_page else _section(business_id)
        return Done("assessment.outcome", target, url, notice, detail)

    return staff_action(request, staff, record_outcome, refused)


@router.post("/businesses/{business_id}/seal", response_model=None)
def seal(request: Request, business_id: Id, staff: Worker) -> Response:

    def award(session: Session, now: datetime) -> Done:
        months = runtime_of(request).settings.seal_valid_months
        name = award_seal(session, business_id, now, months).name
        target, url = f"business {business_id}", _section(business_id)
        return Done("seal.award", target, url, f"Seal awarded to {name}.")

    return staff_action(request, staff, award, refusal(request, staff, business_id))
