"""CSV exports for spreadsheets; each download is itself written to the audit log."""

from collections import Counter

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from admin.audit import record
from admin.auth import runtime_of
from admin.csv_export import csv_download
from admin.deps import Viewer
from bot.domain.actions import OPEN, overdue_items
from bot.domain.assessments import next_assessments
from bot.domain.stage import stage_column
from bot.domain.standards import standards
from bot.domain.supply import every_node_view
from bot.domain.surveys import (
    CSV_HEADER,
    SurveyError,
    every_survey_results,
    results_rows,
    survey_results,
)
from bot.models import ActionItem, Assessment, Business, Contact, Finding, StaffUser

router = APIRouter()


@router.get("/exports/businesses.csv")
def businesses_csv(request: Request, staff: Viewer) -> Response:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    header = (
        "id", "name", "place", "country", "stage", "leader", "language", "channel",
        "opted_out", "registered_at", "mapping_confirmed_at", "pre_assessment_at",
        "assessment_on", "seal_awarded_at", "open_items", "overdue_items",
    )  # fmt: skip
    with runtime.store.transaction() as session:
        open_items = Counter(
            session.scalars(select(ActionItem.business_id).where(ActionItem.status.in_(OPEN)))
        )
        overdue = Counter(item.business_id for item in overdue_items(session, now))
        pending = next_assessments(session)
        rows = []
        for business, stage, leader in session.execute(
            select(Business, stage_column(), Contact)
            .outerjoin(Contact, Contact.id == Business.leader_id)
            .order_by(Business.id)
        ):
            assessment = pending.get(business.id)
            rows.append(
                (
                    business.id,
                    business.name,
                    business.place,
                    business.country,
                    stage,
                    leader.address if leader else "",
                    leader.language if leader else "",
                    leader.channel if leader else "",
                    "yes" if leader and leader.opted_out else "no",
                    business.registered_at,
                    business.mapping_confirmed_at,
                    business.pre_assessment_at,
                    assessment.date() if assessment else None,
                    business.seal_awarded_at,
                    open_items[business.id],
                    overdue[business.id],
                )
            )
        record(session, staff, "export.businesses", "businesses.csv", now, rows=len(rows))
    return csv_download("businesses.csv", header, rows)


@router.get("/exports/supply-chain.csv")
def supply_chain_csv(request: Request, staff: Viewer) -> Response:
    runtime = runtime_of(request)
    header = (
        "business_id", "business", "node_id", "parent_id", "layer", "name", "place", "process",
        "workers", "home_workers", "payment_method",
    )  # fmt: skip
    with runtime.store.transaction() as session:
        chains = every_node_view(session)
        rows = [
            (
                business_id,
                name,
                node.id,
                node.parent_id,
                node.layer,
                node.name,
                node.place,
                node.process,
                node.workers,
                node.home_workers,
                node.payment_method,
            )
            for business_id, name in session.execute(
                select(Business.id, Business.name).order_by(Business.id)
            )
            for node in chains.get(business_id, ())
        ]
        now = runtime.clock.now()
        record(session, staff, "export.supply_chain", "supply-chain.csv", now, rows=len(rows))
    return csv_download("supply-chain.csv", header, rows)


@router.get("/exports/survey-results.csv")
def survey_results_csv(
    request: Request, staff: Viewer, survey: int | None = Query(None, ge=1, le=2**31 - 1)
) -> Response:
    """Per survey and question, counts per answer; a group under the minimum is withheld."""
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        if survey is None:
            every = every_survey_results(session)
        else:
            try:
                every = [survey_results(session, survey)]
            except SurveyError as error:
                raise HTTPException(404) from error
        names = dict(
            session.execute(
                select(Business.id, Business.name).where(
                    Business.id.in_({results.business_id for results in every})
                )
            ).all()
        )
        rows = []
        for results in every:
            table = results_rows(results)
            name = names.get(results.business_id, "")
            rows.extend((results.code, name, *row) for row in table[1:])
        now = runtime.clock.now()
        target = f"survey {survey}" if survey else "all surveys"
        record(session, staff, "export.survey_results", target, now, rows=len(rows))
    return csv_download("survey-results.csv", ("survey", "business", *CSV_HEADER), rows)


@router.get("/exports/findings.csv")
def findings_csv(request: Request, staff: Viewer) -> Response:
    """Every finding of every assessment and pre-assessment review, one row each."""
    runtime = runtime_of(request)
    header = (
        "business_id", "business", "country", "assessment_id", "kind", "held_on", "outcome",
        "standards_version", "profile_version", "code", "category", "status", "severity",
        "severity_reason", "note", "updated_at",
    )  # fmt: skip
    category_of = {indicator.code: indicator.category for indicator in standards().indicators}
    with runtime.store.transaction() as session:
        # Plain columns, not whole records: an assessment's country profile stays unread.
        rows = [
            (*row[:9], row[9], category_of.get(row[9], ""), *row[10:])
            for row in session.execute(
                select(
                    Business.id,
                    Business.name,
                    Business.country,
                    Assessment.id,
                    Assessment.kind,
                    Assessment.held_on,
                    func.coalesce(Assessment.outcome, ""),
                    func.coalesce(Assessment.standards_version, ""),
                    func.coalesce(Assessment.profile_version, ""),
                    Finding.code,
                    Finding.status,
                    func.coalesce(Finding.severity, ""),
                    Finding.severity_reason,
                    Finding.note,
                    Finding.updated_at,
                )
                .join(Assessment, Assessment.id == Finding.assessment_id)
                .join(Business, Business.id == Assessment.business_id)
                .order_by(Business.id, Assessment.id, Finding.code)
            )
        ]
        now = runtime.clock.now()
        record(session, staff, "export.findings", "findings.csv", now, rows=len(rows))
    return csv_download("findings.csv", header, rows)


@router.get("/exports/items.csv")
def items_csv(request: Request, staff: Viewer) -> Response:
    """Every remediation and corrective item, one row each, with whether it is overdue now."""
    runtime = runtime_of(request)
    now = runtime.clock.now()
    header = (
        "item_id", "business_id", "business", "country", "kind", "severity", "description",
        "due_on", "status", "overdue", "created_at", "created_by", "done_at", "verified_at",
        "finding_id",
    )  # fmt: skip
    with runtime.store.transaction() as session:
        late = {item.id for item in overdue_items(session, now)}
        rows = [
            (
                item.id,
                business.id,
                business.name,
                business.country,
                item.kind,
                item.severity,
                item.description,
                item.due_on,
                item.status,
                "yes" if item.id in late else "no",
                item.created_at,
                email or "",
                item.done_at,
                item.verified_at,
                item.finding_id or "",
            )
            for item, business, email in session.execute(
                select(ActionItem, Business, StaffUser.email)
                .join(Business, Business.id == ActionItem.business_id)
                .outerjoin(StaffUser, StaffUser.id == ActionItem.created_by)
                .order_by(Business.id, ActionItem.id)
            )
        ]
        record(session, staff, "export.items", "items.csv", now, rows=len(rows))
    return csv_download("items.csv", header, rows)


@router.get("/exports/assessments.csv")
def assessments_csv(request: Request, staff: Viewer) -> Response:
    """Every assessment and pre-assessment review with its outcome and its findings counted
    by status and, for the unmet ones, by severity."""
    runtime = runtime_of(request)
    header = (
        "assessment_id", "business_id", "business", "country", "kind", "scheduled_for",
        "held_on", "outcome", "outcome_at", "outcome_reason", "standards_version",
        "profile_version", "findings", "met", "not_met", "not_applicable", "zero_tolerance",
        "major", "minor",
    )  # fmt: skip
    with runtime.store.transaction() as session:
        counts: dict[int, Counter[str]] = {}
        for assessment_id, status, severity, number in session.execute(
            select(Finding.assessment_id, Finding.status, Finding.severity, func.count()).group_by(
                Finding.assessment_id, Finding.status, Finding.severity
            )
        ):
            counted = counts.setdefault(assessment_id, Counter())
            counted[status] += number
            if status == "not_met" and severity:
                counted[severity] += number
        rows = []
        for assessment, business in session.execute(
            select(Assessment, Business)
            .join(Business, Business.id == Assessment.business_id)
            .order_by(Business.id, Assessment.scheduled_for, Assessment.id)
        ):
            counted = counts.get(assessment.id, Counter())
            rows.append(
                (
                    assessment.id,
                    business.id,
                    business.name,
                    business.country,
                    assessment.kind,
                    assessment.scheduled_for,
                    assessment.held_on,
                    assessment.outcome or "",
                    assessment.outcome_at,
                    assessment.outcome_reason,
                    assessment.standards_version or "",
                    assessment.profile_version or "",
                    counted["met"] + counted["not_met"] + counted["not_applicable"],
                    counted["met"],
                    counted["not_met"],
                    counted["not_applicable"],
                    counted["zero_tolerance"],
                    counted["major"],
                    counted["minor"],
                )
            )
        now = runtime.clock.now()
        record(session, staff, "export.assessments", "assessments.csv", now, rows=len(rows))
    return csv_download("assessments.csv", header, rows)
