"""The programme at a glance: stages, overdue items, upcoming assessments, message traffic."""

from collections import Counter
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.auth import runtime_of
from admin.charts import columns, horizontal_bars, stacked_bars
from admin.deps import Viewer
from admin.programme import SEVERITIES, STAGE_LABELS, label
from admin.web import page
from bot.domain.actions import overdue_items
from bot.domain.assessments import upcoming_assessments
from bot.domain.findings import programme_findings
from bot.domain.seals import ending_seals
from bot.domain.stage import STAGES, stage_column
from bot.domain.standards import standards
from bot.domain.survey_findings import programme_red_flags
from bot.domain.surveys import MIN_GROUP
from bot.domain.tickets import inbox
from bot.models import Assessment, Business, InboundMessage, OutboundMessage

router = APIRouter()
DAYS = 14
FAILED = ("failed", "undelivered")
FAILURES_SHOWN = 20
LISTED = 20
UPCOMING_DAYS = 60
SEVERITY_BARS = (("zero_tolerance", "bar bad"), ("major", "bar warn"), ("minor", "bar minor"))


def stage_counts(session: Session) -> Counter[str]:
    stage = stage_column()
    return Counter(dict(session.execute(select(stage, func.count()).group_by(stage)).all()))


def per_day(session: Session, column: object, since: datetime) -> Counter[str]:
    """Rows per calendar day (UTC) since `since`, keyed 'YYYY-MM-DD' on both databases."""
    day = func.date(column)
    rows = session.execute(select(day, func.count()).where(column >= since).group_by(day)).all()
    return Counter({str(value)[:10]: count for value, count in rows})


def traffic(session: Session, today: date) -> tuple[list[str], list[int], list[int]]:
    days = [today - timedelta(days=offset) for offset in range(DAYS - 1, -1, -1)]
    since = datetime.combine(days[0], datetime.min.time())
    inbound = per_day(session, InboundMessage.received_at, since)
    outbound = per_day(session, OutboundMessage.created_at, since)
    keys = [day.isoformat() for day in days]
    return keys, [inbound[key] for key in keys], [outbound[key] for key in keys]


@router.get("/")
def overview(request: Request, staff: Viewer) -> HTMLResponse:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    week_ago = now - timedelta(days=7)
    with runtime.store.transaction() as session:
        stages = stage_counts(session)
        overdue = overdue_items(session, now)
        upcoming = upcoming_assessments(session, now, within_days=UPCOMING_DAYS)
        names = dict(session.execute(select(Business.id, Business.name)).all())
        lead = runtime.settings.seal_reassessment_days_before
        ending = [
            (seal, session.get(Assessment, seal.reassessment_id) if seal.reassessment_id else None)
            for seal in ending_seals(session, now, lead)[:LISTED]
        ]
        days, inbound, outbound = traffic(session, now.date())
        found = programme_findings(session)
        flags = programme_red_flags(session)
        tickets = inbox(session, now, runtime.settings.ticket_response_hours)
        open_tickets = [row for row in tickets if row.ticket.status != "closed"]
        failures = session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.status.in_(FAILED))
            .order_by(OutboundMessage.id.desc())
            .limit(FAILURES_SHOWN)
        ).all()
        failed_this_week = session.scalar(
            select(func.count(OutboundMessage.id)).where(
                OutboundMessage.status.in_(FAILED),
                func.coalesce(OutboundMessage.status_updated_at, OutboundMessage.created_at)
                >= week_ago,
            )
        )
    findings_chart = stacked_bars(
        "Unmet findings by category and severity, latest assessment of each business",
        [
            (
                category.name,
                [
                    (SEVERITIES[severity].lower(), found[category.code][severity], css)
                    for severity, css in SEVERITY_BARS
                ],
            )
            for category in standards().categories
        ],
    )
    stage_chart = horizontal_bars(
        "Businesses by stage",
        [(label(stage, STAGE_LABELS), stages[stage]) for stage in STAGES],
        links=[f"/admin/businesses?stage={stage}" for stage in STAGES],
    )
    traffic_chart = columns(
        f"Messages in and out per day, last {DAYS} days",
        [day[5:] for day in days],
        [("in", inbound, "bar"), ("out", outbound, "bar alt")],
    )
    return page(
        request,
        "overview.html",
        staff,
        section="overview",
        businesses=sum(stages.values()),
        stage_chart=stage_chart,
        findings_chart=findings_chart,
        open_tickets=len(open_tickets),
        overdue_tickets=sum(row.overdue for row in open_tickets),
        findings_total=sum(sum(counts.values()) for counts in found.values()),
        red_flags=flags,
        min_group=MIN_GROUP,
        traffic_chart=traffic_chart,
        messages_in=sum(inbound),
        messages_out=sum(outbound),
        failures=failures,
        overdue=overdue[:LISTED],
        overdue_count=len(overdue),
        upcoming=upcoming[:LISTED],
        upcoming_count=len(upcoming),
        upcoming_days=UPCOMING_DAYS,
        ending=ending,
        ending_days=lead,
        names=names,
        today=now.date(),
        failed_this_week=failed_this_week or 0,
        days=DAYS,
    )
