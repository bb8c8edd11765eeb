"""Findings: each indicator of the standards marked at an assessment or a pre-assessment
review, and the items they turn into.

An assessor marks every indicator met, not met or not applicable, with a note and photos; a
not-met finding takes the indicator's default severity, and another severity needs a reason.
The first mark records the standards version and a copy of the country profile the review
uses, so a later change to either never alters it. Unmet findings become remediation
recommendations after the pre-assessment review, and corrective items after an assessment
(`bot.domain.standards.DUE_DAYS` sets their due dates), each in the leader's language.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.actions import create_action_item
from bot.domain.errors import Invalid, NotFound
from bot.domain.law import figures, profile
from bot.domain.standards import (
    DUE_DAYS,
    SEVERITIES,
    Indicator,
    implied_outcome,
    requirement_text,
    standards,
)
from bot.domain.text import staff_text
from bot.models import ActionItem, Assessment, Business, Contact, Finding
from messages import text

STATUSES = ("met", "not_met", "not_applicable")
MAX_NOTE = 2000
MAX_REASON = 500
MAX_PHOTOS = 10


class FindingError(Invalid):
    """A finding that cannot be recorded as asked."""


@dataclass(frozen=True)
class Scorecard:
    """Findings of one category: how many indicators were met, not met (by severity), not
    applicable and still unmarked."""

    category: str
    met: int
    not_met: dict[str, int]
    not_applicable: int
    unmarked: int


def assessment_of(session: Session, assessment_id: int) -> Assessment:
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(f"There is no assessment {assessment_id}.")
    return assessment


def mark(
    session: Session,
    assessment_id: int,
    code: str,
    status: str,
    now: datetime,
    *,
    severity: str | None = None,
    reason: str = "",
    note: str = "",
    staff_id: int | None = None,
) -> Finding:
    """Record (or change) the finding on one indicator; returns it.

    `severity` applies to a not-met finding and defaults to the indicator's; another severity
    needs a `reason`. Raises NotFound for an unknown assessment or indicator, FindingError for
    a status, severity, note or reason out of shape, or once the outcome is recorded.
    """
    assessment = assessment_of(session, assessment_id)
    indicator = standards().indicator(code)
    if assessment.outcome is not None:
        raise FindingError("The outcome is recorded; correct it before changing findings.")
    if status not in STATUSES:
        raise FindingError(f"The finding must be one of: {', '.join(STATUSES)}.")
    note, reason = _text(note, "note", MAX_NOTE), _text(reason, "reason", MAX_REASON)
    chosen = None
    if status == "not_met":
        chosen = severity or indicator.severity
        if chosen not in SEVERITIES:
            raise FindingError(f"The severity must be one of: {', '.join(SEVERITIES)}.")
        if chosen != indicator.severity and not reason:
            raise FindingError(
                f"Say why {code} is {chosen.replace('_', ' ')} rather than "
                f"{indicator.severity.replace('_', ' ')}."
            )
    _keep_versions(session, assessment)
    finding = session.scalar(
        select(Finding).where(Finding.assessment_id == assessment_id, Finding.code == code)
    )
    if finding is None:
        finding = Finding(assessment_id=assessment_id, code=code)
        session.add(finding)
    finding.status, finding.severity = status, chosen
    finding.severity_reason = reason if chosen and chosen != indicator.severity else ""
    finding.note, finding.media = note, list(finding.media or [])  # photos: add_photo
    finding.updated_by, finding.updated_at = staff_id, now
    session.flush()
    return finding


def add_photo(
    session: Session,
    assessment_id: int,
    code: str,
    photo: Mapping[str, str],
    now: datetime,
    staff_id: int | None = None,
) -> Finding:
    """Keep a photo the assessor took with a marked finding: `photo` is {"sha256", "thumbnail",
    "content_type"} of a checked image already in the media store (EXIF removed). Raises
    NotFound, FindingError when the indicator is not marked yet, the outcome is recorded or
    the finding holds MAX_PHOTOS already."""
    assessment = assessment_of(session, assessment_id)
    standards().indicator(code)
    if assessment.outcome is not None:
        raise FindingError("The outcome is recorded; correct it before changing findings.")
    finding = findings_of(session, assessment_id).get(code)
    if finding is None:
        raise FindingError(f"Mark {code} first, then add its photos.")
    if len(finding.media or []) >= MAX_PHOTOS:
        raise FindingError(f"A finding holds up to {MAX_PHOTOS} photos.")
    kept = {key: str(photo[key]) for key in ("sha256", "thumbnail", "content_type")}
    finding.media = [*(finding.media or []), kept]
    finding.updated_by, finding.updated_at = staff_id, now
    session.flush()
    return finding


def _text(value: str, name: str, limit: int) -> str:
    return staff_text(value, name, limit, error=FindingError)


def _keep_versions(session: Session, assessment: Assessment) -> None:
    """The first finding fixes the standards version and the country profile used."""
    if assessment.standards_version is not None:
        return
    business = session.get(Business, assessment.business_id)
    used = profile(session, business.country) if business else None
    assessment.standards_version = standards().version
    assessment.profile_version = used.version if used else None
    assessment.profile_data = dict(used.data) if used else None


def findings_of(session: Session, assessment_id: int) -> dict[str, Finding]:
    """The assessment's findings by indicator code."""
    rows = session.scalars(select(Finding).where(Finding.assessment_id == assessment_id))
    return {finding.code: finding for finding in rows}


def unmarked(session: Session, assessment_id: int) -> list[str]:
    """The codes of indicators not marked yet, in the standards' order."""
    marked = findings_of(session, assessment_id)
    return [code for code in standards().codes if code not in marked]


def implied(session: Session, assessment_id: int) -> str:
    """The outcome the findings imply (`bot.domain.standards.implied_outcome`)."""
    found = findings_of(session, assessment_id).values()
    return implied_outcome(f.severity for f in found if f.status == "not_met" and f.severity)


def requirement(session: Session, assessment: Assessment, indicator: Indicator) -> str:
    """The indicator's requirement with the local figures the assessment uses: its copy once a
    finding is marked, the profile in force before."""
    data = assessment.profile_data
    if data is None:
        business = session.get(Business, assessment.business_id)
        current = profile(session, business.country) if business else None
        data = dict(current.data) if current else None
    return requirement_text(indicator, figures(data))


def scorecard(session: Session, assessment_id: int) -> list[Scorecard]:
    """Findings counted per category, in the standards' order."""
    found = findings_of(session, assessment_id)
    cards = []
    for category in standards().categories:
        codes = [indicator.code for indicator in standards().in_category(category.code)]
        marks = [found[code] for code in codes if code in found]
        not_met = {severity: 0 for severity in SEVERITIES}
        for finding in marks:
            if finding.status == "not_met" and finding.severity:
                not_met[finding.severity] += 1
        cards.append(
            Scorecard(
                category=category.code,
                met=sum(finding.status == "met" for finding in marks),
                not_met=not_met,
                not_applicable=sum(finding.status == "not_applicable" for finding in marks),
                unmarked=len(codes) - len(marks),
            )
        )
    return cards


def programme_findings(session: Session) -> dict[str, dict[str, int]]:
    """Unmet findings of every business's latest assessment that has findings, counted by
    category and severity: {category: {severity: count}}."""
    latest = (
        select(Assessment.business_id, func.max(Assessment.id).label("id"))
        .join(Finding, Finding.assessment_id == Assessment.id)
        .where(Assessment.kind == "assessment")
        .group_by(Assessment.business_id)
        .subquery()
    )
    rows = session.execute(
        select(Finding.code, Finding.severity)
        .join(latest, latest.c.id == Finding.assessment_id)
        .where(Finding.status == "not_met")
    ).all()
    category_of = {indicator.code: indicator.category for indicator in standards().indicators}
    counts = {
        category.code: {severity: 0 for severity in SEVERITIES}
        for category in standards().categories
    }
    for code, severity in rows:
        if code in category_of and severity in SEVERITIES:
            counts[category_of[code]][severity] += 1
    return counts


def latest_with_findings(session: Session, business_id: int) -> Assessment | None:
    """The business's latest formal assessment that has any finding."""
    return session.scalar(
        select(Assessment)
        .join(Finding, Finding.assessment_id == Assessment.id)
        .where(Assessment.business_id == business_id, Assessment.kind == "assessment")
        .order_by(Assessment.id.desc())
        .limit(1)
    )


def items_from_findings(
    session: Session, assessment_id: int, now: datetime, staff_id: int | None = None
) -> list[ActionItem]:
    """Turn the unmet findings into items; returns the new ones (none twice for a finding).

    After a pre-assessment review they are remediation recommendations; after an assessment
    with a partial or failed outcome, corrective items; after a passed one, only its minor
    findings become corrective items (they do not block the seal). Each is due by severity,
    worded in the leader's language, and reminded as every item is. Raises NotFound for an
    unknown assessment, FindingError before an assessment's outcome is recorded.
    """
    assessment = assessment_of(session, assessment_id)
    review = assessment.kind == "pre_assessment"
    if not review and assessment.outcome is None:
        raise FindingError("Record the outcome before making the corrective action plan.")
    business = session.get(Business, assessment.business_id)
    leader = session.get(Contact, business.leader_id) if business and business.leader_id else None
    language = leader.language if leader else None
    done = set(
        session.scalars(select(ActionItem.finding_id).where(ActionItem.finding_id.is_not(None)))
    )
    created = []
    order = {code: n for n, code in enumerate(standards().codes)}
    unmet = sorted(
        (f for f in findings_of(session, assessment_id).values() if f.status == "not_met"),
        key=lambda finding: order.get(finding.code, len(order)),
    )
    for finding in unmet:
        if finding.id in done or not finding.severity:
            continue
        if not review and assessment.outcome == "pass" and finding.severity != "minor":
            continue
        created.append(
            create_action_item(
                session,
                assessment.business_id,
                "remediation" if review else "corrective",
                finding.severity,
                text(language, f"indicator.{finding.code}.remediation"),
                due_by(finding.severity, now.date()),
                now,
                staff_id,
                finding_id=finding.id,
            )
        )
    return created


def due_by(severity: str, today: date) -> date:
    """The default due date of an item of this severity (`DUE_DAYS`)."""
    return today + timedelta(days=DUE_DAYS[severity])
