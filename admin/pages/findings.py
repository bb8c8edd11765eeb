"""Recording an assessment on site, on a phone-sized screen: the indicators by category, each
marked met, not met or not applicable with its own small form, so every mark is saved as the
assessor goes and a lost connection loses at most the one being typed."""

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from admin.audit import record
from admin.auth import Staff, runtime_of
from admin.changes import Done, staff_action
from admin.charts import Chart, stacked_bars
from admin.deps import Form, Id, Viewer, Worker
from admin.forms import Fields
from admin.pages.media import file_response, read_object
from admin.programme import SEVERITIES
from admin.web import page
from bot.domain.assessments import hold
from bot.domain.findings import (
    MAX_NOTE,
    MAX_REASON,
    Scorecard,
    add_photo,
    findings_of,
    implied,
    items_from_findings,
    mark,
    requirement,
    scorecard,
    unmarked,
)
from bot.domain.standards import standards
from bot.media.checks import Unfit, examine
from bot.models import ActionItem, Assessment, Business, Finding
from messages import text

router = APIRouter()
STATUS_LABELS = {"met": "Met", "not_met": "Not met", "not_applicable": "Not applicable"}
_CODE = re.compile(r"[A-Z]{2,10}-[0-9]{2}")


def scorecard_chart(title: str, cards: Iterable[Scorecard]) -> Chart:
    """Per category: indicators met, then unmet ones by severity."""
    names = {category.code: category.name for category in standards().categories}
    return stacked_bars(
        title,
        [
            (
                names.get(card.category, card.category),
                [
                    ("met", card.met, "bar alt"),
                    ("zero tolerance", card.not_met["zero_tolerance"], "bar bad"),
                    ("major", card.not_met["major"], "bar warn"),
                    ("minor", card.not_met["minor"], "bar minor"),
                ],
            )
            for card in cards
        ],
    )


def url_of(assessment_id: int, code: str = "") -> str:
    """The assessment's page; with an indicator's code, opened at it."""
    return f"/admin/assessments/{assessment_id}" + (f"?at={code}#{code}" if code else "")


def _business_of(request: Request, assessment_id: int) -> int:
    with runtime_of(request).store.transaction() as session:
        assessment = session.get(Assessment, assessment_id)
        if assessment is None:
            raise HTTPException(404)
        return assessment.business_id


def assessment_page(
    request: Request, staff: Staff, assessment_id: int, status_code: int = 200, **context: object
) -> HTMLResponse:
    """The whole instrument for one assessment or pre-assessment review; a refused form shows
    it again with the message."""
    runtime = runtime_of(request)
    shipped = standards()
    with runtime.store.transaction() as session:
        assessment = session.get(Assessment, assessment_id)
        if assessment is None:
            raise HTTPException(404)
        business = session.get(Business, assessment.business_id)
        found = findings_of(session, assessment_id)
        cards = scorecard(session, assessment_id)
        items = session.scalars(
            select(ActionItem)
            .where(ActionItem.finding_id.in_([finding.id for finding in found.values()]))
            .order_by(ActionItem.id)
        ).all()
        categories = [
            (
                category,
                [
                    (indicator, requirement(session, assessment, indicator))
                    for indicator in shipped.in_category(category.code)
                ],
            )
            for category in shipped.categories
        ]
        values = {
            "assessment": assessment,
            "business": business,
            "findings": found,
            "categories": categories,
            "cards": {card.category: card for card in cards},
            "missing": len(unmarked(session, assessment_id)),
            "implied": implied(session, assessment_id),
            "items_by_finding": {item.finding_id: item for item in items},
        }
    chart = scorecard_chart("Findings by category", cards)
    context.setdefault("typed", {})
    context.setdefault("at", "")
    # One category open at a time on a small screen: the one just saved in, else the first
    # with indicators left to mark.
    at_category = shipped.indicator(str(context["at"])).category if context["at"] else None
    left = [card.category for card in cards if card.unmarked]
    context["open_category"] = at_category or (left[0] if left else None)
    return page(
        request,
        "assessment.html",
        staff,
        status_code=status_code,
        section="businesses",
        standards=shipped,
        title_of=lambda code: text("en", f"indicator.{code}"),
        statuses=STATUS_LABELS,
        severity_labels=SEVERITIES,
        max_note=MAX_NOTE,
        max_reason=MAX_REASON,
        chart=chart,
        today=runtime.clock.now().date(),
        **values,
        **context,
    )


def _refusal(
    request: Request,
    staff: Staff,
    assessment_id: int,
    typed: Mapping[str, object] | None = None,
    at: str = "",
) -> Callable[[str], HTMLResponse]:
    """The page again with what the domain refused, next to the indicator `at` when given."""

    def refused(error: str) -> HTMLResponse:
        return assessment_page(
            request, staff, assessment_id, 400, errors=[error], typed=typed or {}, at=at
        )

    return refused


@router.get("/assessments/{assessment_id}")
def assessment(request: Request, assessment_id: Id, staff: Viewer, at: str = "") -> HTMLResponse:
    """`at`: the indicator whose category is shown open (anything else is ignored)."""
    return assessment_page(request, staff, assessment_id, at=at if at in standards().codes else "")


@router.post("/assessments/{assessment_id}/held", response_model=None)
def held(request: Request, assessment_id: Id, staff: Worker, form: Form) -> Response:
    business_id = _business_of(request, assessment_id)
    fields = Fields(form)
    day = fields.day("held_on", "Held on")
    if fields.errors or day is None:
        return assessment_page(request, staff, assessment_id, 400, errors=fields.errors)

    def record(session: Session, now: datetime) -> Done:
        hold(session, assessment_id, day, now)
        detail = {"assessment": assessment_id, "held_on": day.isoformat()}
        notice = f"Held on {day.isoformat()}."
        target = f"business {business_id}"
        return Done("assessment.held", target, url_of(assessment_id), notice, detail)

    return staff_action(request, staff, record, _refusal(request, staff, assessment_id))


@router.post("/assessments/{assessment_id}/findings/{code}", response_model=None)
def finding(request: Request, assessment_id: Id, code: str, staff: Worker, form: Form) -> Response:
    if not _CODE.fullmatch(code) or code not in standards().codes:
        raise HTTPException(404)
    business_id = _business_of(request, assessment_id)
    fields = Fields(form)
    status = fields.choice("status", "Finding", STATUS_LABELS)
    severity = fields.raw("severity").strip() or None
    if severity is not None and severity not in SEVERITIES:
        fields.errors.append("Choose severity from the list.")
    reason = fields.text("reason", "Reason", MAX_REASON, required=False)
    note = fields.text("note", "Note", MAX_NOTE, required=False)
    typed = fields.typed("status", "severity", "reason", "note")
    if fields.errors:
        return assessment_page(
            request, staff, assessment_id, 400, errors=fields.errors, typed=typed, at=code
        )

    def record(session: Session, now: datetime) -> Done:
        saved = mark(
            session,
            assessment_id,
            code,
            status,
            now,
            severity=severity,
            reason=reason,
            note=note,
            staff_id=staff.id,
        )
        detail = {"assessment": assessment_id, "code": code, "status": status}
        if saved.severity:
            detail["severity"] = saved.severity
        if saved.severity_reason:
            detail["reason"] = saved.severity_reason
        notice = f"{code} saved: {STATUS_LABELS[status].lower()}."
        target = f"business {business_id}"
        return Done("finding.mark", target, url_of(assessment_id, code), notice, detail)

    return staff_action(
        request, staff, record, _refusal(request, staff, assessment_id, typed, code)
    )


@router.post("/assessments/{assessment_id}/plan", response_model=None)
def plan(request: Request, assessment_id: Id, staff: Worker) -> Response:
    business_id = _business_of(request, assessment_id)

    def make(session: Session, now: datetime) -> Done:
        made = items_from_findings(session, assessment_id, now, staff.id)
        notice = (
            f"{len(made)} item(s) made from the findings; the leader has been told."
            if made
            else "Every unmet finding already has its item."
        )
        detail = {"assessment": assessment_id, "items": [item.id for item in made]}
        target = f"business {business_id}"
        return Done("assessment.plan", target, url_of(assessment_id) + "#plan", notice, detail)

    return staff_action(request, staff, make, _refusal(request, staff, assessment_id))


PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


@router.post("/assessments/{assessment_id}/findings/{code}/photos", response_model=None)
async def add_finding_photo(
    request: Request, assessment_id: Id, code: str, staff: Worker, form: Form
) -> Response:
    """A photo taken on site for a marked finding: checked as evidence files are (an image
    that opens, every EXIF field but orientation removed, a thumbnail), kept in the media store
    by its content hash, and listed with the finding."""
    if not _CODE.fullmatch(code) or code not in standards().codes:
        raise HTTPException(404)
    runtime = runtime_of(request)
    upload = form.get("photo")
    if not isinstance(upload, UploadFile):
        return await run_in_threadpool(
            assessment_page, request, staff, assessment_id, 400,
            errors=["Choose a photo to add."], at=code,
        )  # fmt: skip
    limit = runtime.settings.media_max_bytes
    data = await upload.read(limit + 1)
    checked = examine(data, upload.content_type or "", PHOTO_TYPES, limit)
    if isinstance(checked, Unfit) or checked.thumbnail is None:
        why = (
            "it is too large"
            if isinstance(checked, Unfit) and checked.why == "size"
            else ("it is not a photo (JPEG, PNG or WebP)")
        )
        return await run_in_threadpool(
            assessment_page, request, staff, assessment_id, 400,
            errors=[f"That file was not added: {why}."], at=code,
        )  # fmt: skip
    store = runtime.media.store
    photo = {
        "sha256": await run_in_threadpool(store.put, checked.original),
        "thumbnail": await run_in_threadpool(store.put, checked.thumbnail),
        "content_type": checked.content_type,
    }

    def keep(session: Session, now: datetime) -> Done:
        add_photo(session, assessment_id, code, photo, now, staff.id)
        business = session.get(Assessment, assessment_id).business_id
        detail = {"assessment": assessment_id, "code": code, "sha256": photo["sha256"]}
        return Done("finding.photo", f"business {business}", url_of(assessment_id, code),
                    f"Photo added to {code}.", detail)  # fmt: skip

    return await run_in_threadpool(
        staff_action, request, staff, keep, _refusal(request, staff, assessment_id, at=code)
    )


def _photo_of(request: Request, finding_id: int, index: int) -> tuple[Finding, dict[str, str]]:
    with runtime_of(request).store.transaction() as session:
        finding = session.get(Finding, finding_id)
        if finding is None or not 0 <= index < len(finding.media or []):
            raise HTTPException(404)
        photo = finding.media[index]
        if not isinstance(photo, dict) or "thumbnail" not in photo:
            raise HTTPException(404)
        session.expunge(finding)
        return finding, photo


@router.get("/findings/{finding_id}/photos/{index}/thumbnail")
def finding_thumbnail(request: Request, finding_id: Id, index: int, staff: Viewer) -> Response:
    _, photo = _photo_of(request, finding_id, index)
    data = read_object(request, photo["thumbnail"])
    return file_response(data, "image/jpeg", f"finding-{finding_id}-{index}-thumbnail")


@router.get("/findings/{finding_id}/photos/{index}")
def finding_photo(request: Request, finding_id: Id, index: int, staff: Worker) -> Response:
    """The whole photo; every view is written to the audit log first."""
    runtime = runtime_of(request)
    finding, photo = _photo_of(request, finding_id, index)
    with runtime.store.transaction() as session:
        record(session, staff, "finding.photo_view", f"finding {finding_id}",
               runtime.clock.now(), index=index, code=finding.code)  # fmt: skip
    data = read_object(request, photo["sha256"])
    return file_response(data, photo["content_type"], f"finding-{finding_id}-{index}")
