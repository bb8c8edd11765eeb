"""One business: details, stage and timeline, supply chain, self-assessment, items, assessment,
seal and the leader's conversation. Every change goes through the journey's domain functions."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from admin.auth import Staff, runtime_of
from admin.changes import Done, staff_action
from admin.deps import Form, Id, Viewer, Worker
from admin.forms import Fields
from admin.pages.findings import scorecard_chart
from admin.threads import interleaved
from admin.tree_view import branches, depth, shown_layers
from admin.web import page
from bot.domain.actions import MAX_DESCRIPTION
from bot.domain.actions import MAX_REASON as MAX_WITHDRAW_REASON
from bot.domain.actions import replan_reminders as replan_items
from bot.domain.assessments import replan_reminders as replan_assessment
from bot.domain.assessments import review_of
from bot.domain.business import set_time_zone
from bot.domain.findings import latest_with_findings, scorecard
from bot.domain.media import FileView, files_by_reference, files_of_messages
from bot.domain.reports import SLUGS, issued, not_yet, openings
from bot.domain.seals import MAX_REASON, seal_url, seals_of, shown_code, status_at
from bot.domain.stage import stage_of
from bot.domain.supply import TreeNode, supply_tree
from bot.domain.survey_findings import business_red_flags, coverage
from bot.domain.training import checklist_answers, lesson_statuses
from bot.domain.zones import MAX_ZONE_NAME, country_zones
from bot.models import (
    ActionItem,
    ActionUpdate,
    Assessment,
    Business,
    Contact,
    InboundMessage,
    OutboundMessage,
    Survey,
    SurveyResponse,
)

router = APIRouter()
REPORT_KINDS = (
    ("pre-assessment", "Pre-assessment report"),
    ("assessment", "Assessment report"),
    ("corrective-plan", "Corrective action plan"),
)
REPORT_NAMES = {SLUGS[slug]: name for slug, name in REPORT_KINDS}
LOG_LENGTH = 100


@dataclass(frozen=True)
class Layer:
    number: int
    groups: int
    workers: int
    home_workers: int

    @property
    def home_share(self) -> int:
        return round(100 * self.home_workers / self.workers) if self.workers else 0


def layers(tree: Sequence[TreeNode]) -> list[Layer]:
    """Totals per subcontracting layer, for the summary above the tree."""
    totals: dict[int, list[int]] = {}
    pending = list(tree)
    while pending:
        node = pending.pop()
        total = totals.setdefault(node.layer, [0, 0, 0])
        total[0] += 1
        total[1] += node.workers
        total[2] += node.home_workers
        pending.extend(node.children)
    return [Layer(number, *totals[number]) for number in sorted(totals)]


LogLine = tuple[str, datetime, str, str, list[FileView]]


def conversation(session: Session, leader: Contact | None) -> list[LogLine]:
    """The leader's recent messages both ways, oldest first: (direction, time, text, status,
    the files a message brought)."""
    if leader is None:
        return []
    inbound = session.execute(
        select(InboundMessage.id, InboundMessage.received_at, InboundMessage.body)
        .where(InboundMessage.contact_id == leader.id)
        .order_by(InboundMessage.id.desc())
        .limit(LOG_LENGTH)
    ).all()
    outbound = session.execute(
        select(
            OutboundMessage.id,
            OutboundMessage.created_at,
            OutboundMessage.body,
            OutboundMessage.inbound_id,
            OutboundMessage.status,
        )
        .where(OutboundMessage.contact_id == leader.id)
        .order_by(OutboundMessage.id.desc())
        .limit(LOG_LENGTH)
    ).all()
    rows = {("in", row.id): (row.received_at, row.body, "") for row in inbound}
    rows |= {("out", row.id): (row.created_at, row.body, row.status) for row in outbound}
    order = interleaved(
        [(row.id, row.received_at) for row in inbound],
        [(row.id, row.created_at, row.inbound_id) for row in outbound],
    )
    files = files_of_messages(session, [row.id for row in inbound])
    return [
        (direction, *rows[direction, row_id], files.get(row_id, []) if direction == "in" else [])
        for direction, row_id in order
    ][-LOG_LENGTH:]


ItemLine = tuple[ActionItem, ActionUpdate | None, list[FileView]]


def items_of(session: Session, business_id: int, leader: Contact | None) -> list[ItemLine]:
    """The business's items, open ones first by due date (verified and withdrawn ones last),
    each with the leader's latest word and every file sent as its evidence (what became of
    each)."""
    items = session.scalars(
        select(ActionItem)
        .where(ActionItem.business_id == business_id)
        .order_by(
            ActionItem.status.in_(("verified", "withdrawn")), ActionItem.due_on, ActionItem.id
        )
    ).all()
    latest: dict[int, ActionUpdate] = {}
    sent: dict[int, list[str]] = {}
    if items:
        updates = session.scalars(
            select(ActionUpdate)
            .where(ActionUpdate.item_id.in_([item.id for item in items]))
            .order_by(ActionUpdate.id)
        ).all()
        latest = {update.item_id: update for update in updates}
        for update in updates:
            sent.setdefault(update.item_id, []).extend(str(ref) for ref in update.media)
    leader_id = leader.id if leader is not None else None
    found = files_by_reference(session, leader_id, [ref for refs in sent.values() for ref in refs])
    return [
        (item, latest.get(item.id), [found[ref] for ref in sent.get(item.id, []) if ref in found])
        for item in items
    ]


def business_page(
    request: Request, staff: Staff, business_id: int, status_code: int = 200, **context: object
) -> HTMLResponse:
    """The whole page; forms that fail re-render it with their messages and typed values."""
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        business = session.get(Business, business_id)
        if business is None:
            raise HTTPException(404)
        leader = session.get(Contact, business.leader_id) if business.leader_id else None
        tree = supply_tree(session, business_id)
        totals = branches(tree)
        assessments = session.scalars(
            select(Assessment)
            .where(Assessment.business_id == business_id, Assessment.kind == "assessment")
            .order_by(Assessment.scheduled_for)
        ).all()
        scored = latest_with_findings(session, business_id)
        values = {
            "business": business,
            "leader": leader,
            "review": review_of(session, business_id),
            "reports": [
                (report, openings(session, report.id)) for report in issued(session, business_id)
            ],
            "report_waits": {
                slug: not_yet(session, business_id, SLUGS[slug], runtime.clock.now())
                for slug, _ in REPORT_KINDS
            },
            "scorecard_chart": scorecard_chart(
                "Scorecard by category", scorecard(session, scored.id)
            )
            if scored
            else None,
            "stage": stage_of(session, business),
            "tree": tree,
            "layers": layers(tree),
            "tree_totals": totals,
            "tree_depth": depth(tree),
            "tree_open_to": shown_layers(
                request.query_params.get("layers", "")[:8], tree, len(totals)
            ),
            "assessments": assessments,
            "items": items_of(session, business_id, leader),
            "checklist": checklist_answers(session, business_id),
            "lessons": lesson_statuses(session, business_id),
            "surveys": session.execute(
                select(Survey, func.count(SurveyResponse.id))
                .outerjoin(SurveyResponse, SurveyResponse.survey_id == Survey.id)
                .where(Survey.business_id == business_id)
                .group_by(Survey.id)
                .order_by(Survey.opened_at.desc())
            ).all(),
            "red_flags": business_red_flags(session, business_id),
            "coverage": coverage(session, business_id),
            "log": conversation(session, leader),
            "seals": seals_of(session, business_id),
        }
        latest = values["seals"][0] if values["seals"] else None
        values["seal"] = latest
        values["seal_status"] = status_at(latest, runtime.clock.now()) if latest else None
        values["seal_url"] = (
            seal_url(runtime.settings.public_base_url, latest.code) if latest else ""
        )
        values["seal_code"] = shown_code(latest.code) if latest else ""
    context.setdefault("typed", {})
    return page(
        request,
        "business.html",
        staff,
        status_code=status_code,
        section="businesses",
        now=runtime.clock.now(),
        default_months=runtime.settings.assessment_months_after_pre_assessment,
        max_description=MAX_DESCRIPTION,
        report_kinds=REPORT_KINDS,
        report_names=REPORT_NAMES,
        report_names_by_slug=SLUGS,
        max_reason=MAX_REASON,
        max_withdraw_reason=MAX_WITHDRAW_REASON,
        business_zones=country_zones(values["business"].country),
        **values,
        **context,
    )


def refusal(
    request: Request, staff: Staff, business_id: int, typed: Mapping[str, object] | None = None
) -> Callable[[str], HTMLResponse]:
    """How a staff action on this business shows what the domain refused: the page again, with
    the message and what was typed."""

    def refused(error: str) -> HTMLResponse:
        return business_page(request, staff, business_id, 400, errors=[error], typed=typed or {})

    return refused


@router.post("/businesses/{business_id}/time-zone", response_model=None)
def time_zone(request: Request, business_id: Id, staff: Worker, form: Form) -> Response:
    """Give the business another of its country's zones (an IANA name from the list); its
    pending reminders move to the morning there and its quiet hours follow at once."""
    chosen = Fields(form).raw("time_zone").strip()[:MAX_ZONE_NAME]
    typed = {"time_zone": chosen}

    def choose(session: Session, now: datetime) -> Done:
        business = set_time_zone(session, business_id, chosen)
        replan_items(session, business_id, now)
        replan_assessment(session, business_id, now)
        url = f"/admin/businesses/{business_id}#time-zone"
        notice = f"Time zone set to {business.time_zone}."
        return Done("business.time_zone", f"business {business_id}", url, notice, typed)

    return staff_action(request, staff, choose, refusal(request, staff, business_id, typed))


@router.get("/businesses/{business_id}")
def business(request: Request, business_id: Id, staff: Viewer) -> HTMLResponse:
    return business_page(request, staff, business_id)
