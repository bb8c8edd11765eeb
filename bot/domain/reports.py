"""Reports people print and forward: the pre-assessment report, the assessment report and the
corrective action plan, gathered from the records and issued as numbered versions.

Issuing keeps a snapshot (the HTML and the PDF exactly as issued, the versions of the standards
and the country profile used, and the PDF's SHA-256), so what a stakeholder received can always
be shown again unchanged; a corrected report is the next version. The leader is told in their
language, with a link that opens that one document until it expires (`link_days`); channels
that carry documents (WhatsApp, Telegram) also attach the PDF from that link.
"""

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.documents import KINDS, languages_for, pdf_of, render_html
from bot.domain.assessments import review_of
from bot.domain.errors import Invalid, NotFound
from bot.domain.findings import findings_of, scorecard
from bot.domain.notify import notify
from bot.domain.standards import standards
from bot.domain.training import checklist_map, lesson_views
from bot.models import (
    ActionItem,
    Assessment,
    Business,
    Contact,
    Finding,
    Report,
    ReportLink,
    ReportOpening,
)
from flows.core import Reply
from flows.training import CHECKLIST, TOPICS
from messages import LANGUAGES, text
from messages.countries import country_name
from messages.dates import date_text

SLUGS = {"pre-assessment": "pre_assessment", "assessment": "assessment",
         "corrective-plan": "corrective_plan"}  # fmt: skip
MAX_LINK_DAYS = 365
CSS = {"zero_tolerance": "bad", "major": "warn", "minor": ""}
# A finding photo's thumbnail by its content hash, or None when it is gone.
Pictures = Callable[[str], bytes | None] | None


class ReportError(Invalid):
    """A report that cannot be made as asked (nothing to report on yet)."""


class LinkExpired(NotFound):
    """A report link that did exist but has expired."""


@dataclass(frozen=True)
class Draft:
    """A report as it would be issued now: its data, languages and the versions it used."""

    business_id: int
    kind: str
    languages: list[str]
    data: dict[str, Any]
    assessment_id: int | None
    standards_version: str | None
    profile_version: str | None

    def html(self, *, version: int | None = None, issued_on: date, draft: bool) -> str:
        data = {**self.data, "version": version, "issued_on": issued_on}
        return render_html(self.kind, data, self.languages, draft=draft)


def draft(
    session: Session, business_id: int, kind: str, now: datetime, pictures: Pictures = None
) -> Draft:
    """The report gathered from the records as they are now; `pictures` gives the bytes of a
    finding photo's thumbnail by its content hash (the media store), so the assessment report
    shows them. Raises NotFound for an unknown business, ReportError for an unknown kind or
    when there is nothing to report on yet (no pre-assessment visit, no assessment with
    findings)."""
    if kind not in KINDS:
        raise ReportError(f"The report must be one of: {', '.join(KINDS)}.")
    business = session.get(Business, business_id)
    if business is None:
        raise NotFound(f"There is no business {business_id}.")
    leader = session.get(Contact, business.leader_id) if business.leader_id else None
    languages = languages_for(leader.language if leader else None)
    common = {
        "business": {"name": business.name, "place": business.place},
        "country_names": {lang: country_name(business.country, lang) for lang in LANGUAGES},
    }
    gather = {"pre_assessment": _pre_assessment, "assessment": _assessment,
              "corrective_plan": _corrective_plan}[kind]  # fmt: skip
    assessment, data = gather(session, business)
    for finding in data.get("findings", ()):
        finding["photos"] = _pictures(finding.pop("thumbnails"), pictures)
    for finding in data.get("review", ()):
        finding["photos"] = _pictures(finding.pop("thumbnails"), pictures)
    versions = {
        "standards_version": assessment.standards_version if assessment else None,
        "profile_version": assessment.profile_version if assessment else None,
    }
    return Draft(
        business_id,
        kind,
        languages,
        {**common, **data, **versions},
        assessment.id if assessment else None,
        versions["standards_version"],
        versions["profile_version"],
    )


def not_yet(session: Session, business_id: int, kind: str, now: datetime) -> str | None:
    """Why the report cannot be drafted yet (nothing to report on), or None when it can."""
    try:
        draft(session, business_id, kind, now)
    except ReportError as error:
        return str(error)
    return None


def _pre_assessment(session: Session, business: Business) -> tuple[Assessment | None, dict]:
    if business.pre_assessment_at is None:
        raise ReportError("Record the pre-assessment visit before its report.")
    review = review_of(session, business.id)
    lessons = lesson_views(session, business.id)
    answers = checklist_map(session, business.id)
    unmet = _unmet(session, review.id) if review else []
    items = session.scalars(
        select(ActionItem)
        .where(ActionItem.business_id == business.id, ActionItem.kind == "remediation")
        .order_by(ActionItem.due_on, ActionItem.id)
    ).all()
    return review, {
        "visit_on": business.pre_assessment_at.date(),
        "lessons": [
            {"topic": topic, "state": _lesson_state(lessons.get(topic))} for topic in TOPICS
        ],
        "checklist": [
            {"question": question, "answer": answers[question]}
            for question in CHECKLIST
            if question in answers
        ],
        "review": unmet,
        "recommendations": [_item(session, item) for item in items],
    }


def _lesson_state(view: Any) -> str:
    if view is None:
        return "not_started"
    return "done" if view.completed else "started"


def _latest_assessment(session: Session, business_id: int) -> Assessment | None:
    return session.scalar(
        select(Assessment)
        .where(
            Assessment.business_id == business_id,
            Assessment.kind == "assessment",
            Assessment.standards_version.is_not(None),
        )
        .order_by(Assessment.id.desc())
        .limit(1)
    )


def _assessment(session: Session, business: Business) -> tuple[Assessment, dict]:
    assessment = _latest_assessment(session, business.id)
    if assessment is None:
        raise ReportError("Record the assessment's findings before its report.")
    cards = scorecard(session, assessment.id)
    return assessment, {
        "held_on": assessment.held_on,
        "outcome": assessment.outcome,
        "outcome_reason": assessment.outcome_reason,
        "scorecard": [
            {
                "category": card.category,
                "met": card.met,
                "not_applicable": card.not_applicable,
                **card.not_met,
            }  # fmt: skip
            for card in cards
        ],
        "findings": _unmet(session, assessment.id),
    }


def _corrective_plan(session: Session, business: Business) -> tuple[Assessment, dict]:
    assessment = session.scalar(
        select(Assessment)
        .where(
            Assessment.business_id == business.id,
            Assessment.kind == "assessment",
            Assessment.outcome.is_not(None),
        )
        .order_by(Assessment.id.desc())
        .limit(1)
    )
    if assessment is None:
        raise ReportError("Record the assessment's outcome before the corrective action plan.")
    items = session.scalars(
        select(ActionItem)
        .where(ActionItem.business_id == business.id, ActionItem.kind == "corrective")
        .order_by(ActionItem.due_on, ActionItem.id)
    ).all()
    return assessment, {
        "held_on": assessment.held_on,
        "outcome": assessment.outcome,
        "items": [_item(session, item) for item in items],
    }


def _unmet(session: Session, assessment_id: int) -> list[dict[str, Any]]:
    order = {code: n for n, code in enumerate(standards().codes)}
    unmet = [f for f in findings_of(session, assessment_id).values() if f.status == "not_met"]
    unmet.sort(key=lambda finding: order.get(finding.code, len(order)))
    return [
        {
            "code": f.code,
            "severity": f.severity,
            "note": f.note,
            "css": CSS.get(f.severity, ""),
            "thumbnails": [
                photo["thumbnail"] for photo in f.media or [] if isinstance(photo, dict)
            ],
        }
        for f in unmet
        if f.severity
    ]


def _pictures(thumbnails: list[str], pictures: Pictures) -> list[str]:
    """The thumbnails as data: addresses a document carries inside itself (JPEG)."""
    if pictures is None:
        return []
    found = (pictures(digest) for digest in thumbnails)
    return [f"data:image/jpeg;base64,{base64.b64encode(data).decode()}" for data in found if data]


def _item(session: Session, item: ActionItem) -> dict[str, Any]:
    finding = session.get(Finding, item.finding_id) if item.finding_id else None
    return {
        "description": item.description,
        "severity": item.severity,
        "due_on": item.due_on,
        "status": item.status,
        "verified_on": item.verified_at.date() if item.verified_at else None,
        "code": finding.code if finding else "",
        "css": CSS.get(item.severity, ""),
    }


def issue(
    session: Session,
    business_id: int,
    kind: str,
    now: datetime,
    *,
    staff_id: int | None,
    public_base_url: str,
    link_days: int,
    pictures: Pictures = None,
) -> Report:
    """Issue the report as the records stand: the next version, kept as issued, and the leader
    told in their language with a link (`public_base_url` + /r/<token>) that expires after
    `link_days`. Raises what `draft` raises, and ReportError for link days out of range."""
    if type(link_days) is not int or not 1 <= link_days <= MAX_LINK_DAYS:
        raise ReportError(f"A report link lasts 1 to {MAX_LINK_DAYS} days.")
    made = draft(session, business_id, kind, now, pictures)
    version = (
        session.scalar(
            select(func.max(Report.version)).where(
                Report.business_id == business_id, Report.kind == kind
            )
        )
        or 0
    ) + 1
    html = made.html(version=version, issued_on=now.date(), draft=False)
    pdf = pdf_of(html)
    report = Report(
        business_id=business_id,
        kind=kind,
        version=version,
        assessment_id=made.assessment_id,
        languages=made.languages,
        standards_version=made.standards_version,
        profile_version=made.profile_version,
        html=html,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        issued_by=staff_id,
        issued_at=now,
    )
    session.add(report)
    session.flush()
    business = session.get(Business, business_id)
    leader = session.get(Contact, business.leader_id) if business and business.leader_id else None
    if leader is not None and not leader.opted_out:
        token, expires = new_link(session, report, leader, now, link_days)
        url = f"{public_base_url.rstrip('/')}/r/{token}"
        notice = Reply(
            "report.issued_notice",
            {
                "report": text(leader.language, f"report.{kind}.title"),
                "link": url,
                "until": date_text(leader.language, expires.date()),
            },
        )
        notify(session, leader, (notice,), now, document_url=url)
    return report


def new_link(
    session: Session, report: Report, contact: Contact | None, now: datetime, days: int
) -> tuple[str, datetime]:
    """A fresh unguessable token opening `report` for `days`; only its hash is kept."""
    token = secrets.token_urlsafe(24)
    expires = now + timedelta(days=days)
    session.add(
        ReportLink(
            report_id=report.id,
            contact_id=contact.id if contact else None,
            token_sha256=_hash(token),
            created_at=now,
            expires_at=expires,
        )
    )
    session.flush()
    return token, expires


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def open_link(session: Session, token: str, now: datetime) -> Report:
    """The report a link opens, recording the opening. Raises NotFound for an unknown token
    (any text at all) and LinkExpired once it has expired."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        raise NotFound("There is no such report link.")
    link = session.scalar(select(ReportLink).where(ReportLink.token_sha256 == _hash(token)))
    if link is None:
        raise NotFound("There is no such report link.")
    if now >= link.expires_at:
        raise LinkExpired("This report link has expired.")
    session.add(ReportOpening(link_id=link.id, opened_at=now))
    return session.get(Report, link.report_id)


def latest(session: Session, business_id: int, kind: str) -> Report | None:
    """The latest issued version of a business's report of this kind."""
    return session.scalar(
        select(Report)
        .where(Report.business_id == business_id, Report.kind == kind)
        .order_by(Report.version.desc())
        .limit(1)
    )


def latest_issued(session: Session, business_id: int) -> list[Report]:
    """The latest issued version of each of the business's reports, in the programme's order."""
    found = (latest(session, business_id, kind) for kind in KINDS)
    return [report for report in found if report is not None]


def issued(session: Session, business_id: int) -> list[Report]:
    """Every issued version of the business's reports, newest first (without loading PDFs)."""
    return list(
        session.scalars(
            select(Report)
            .where(Report.business_id == business_id)
            .order_by(Report.issued_at.desc(), Report.id.desc())
        )
    )


def openings(session: Session, report_id: int) -> int:
    """How many times the report's links were opened."""
    return (
        session.scalar(
            select(func.count(ReportOpening.id))
            .join(ReportLink, ReportLink.id == ReportOpening.link_id)
            .where(ReportLink.report_id == report_id)
        )
        or 0
    )
