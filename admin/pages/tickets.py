"""The help inbox: leaders' tickets by status, assignee and age, each answered from its own
page through the outbox (the SMS parts shown before sending), assigned and closed; admins mark
who is the expert for which categories of the standards."""

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin.auth import Staff, runtime_of
from admin.changes import Done, staff_action
from admin.deps import Admin, Form, Id, Viewer, Worker
from admin.forms import Fields
from admin.pages.staff import staff_page
from admin.web import page
from bot.capabilities import capabilities_of
from bot.domain.errors import DomainError
from bot.domain.media import files_by_reference
from bot.domain.standards import standards
from bot.domain.tickets import (
    MAX_REPLY,
    STATUSES,
    assign,
    clean_reply,
    close,
    inbox,
    messages_of,
    reply,
    set_experts,
    ticket,
)
from bot.models import ActionItem, Business, Contact, StaffUser
from messages import text
from messages.sms import segments

router = APIRouter()
STATUS_LABELS = {"open": "Open", "waiting": "Waiting on the leader", "closed": "Closed"}
TOPIC_LABELS = {"item": "Action item", "assessment": "Assessment", "surveys": "Surveys",
                "other": "Other"}  # fmt: skip


def _staff_choices(request: Request) -> list[tuple[int, str]]:
    with runtime_of(request).store.transaction() as session:
        rows = session.execute(
            select(StaffUser.id, StaffUser.email)
            .where(StaffUser.role != "viewer", StaffUser.role != "brand")
            .order_by(StaffUser.email)
        ).all()
    return [(row.id, row.email) for row in rows]


@router.get("/inbox")
def inbox_page(
    request: Request, staff: Viewer, status: str = "", assignee: str = ""
) -> HTMLResponse:
    """Tickets, open ones first and oldest first; `status` and `assignee` (an id, or `me`)
    filter them; anything else shows all."""
    runtime = runtime_of(request)
    now = runtime.clock.now()
    hours = runtime.settings.ticket_response_hours
    assignee_id = staff.id if assignee == "me" else None
    if assignee.isascii() and assignee.isdigit() and len(assignee) <= 9:
        assignee_id = int(assignee)
    with runtime.store.transaction() as session:
        rows = inbox(session, now, hours, status=status or None, assignee_id=assignee_id)
    return page(
        request,
        "inbox.html",
        staff,
        section="inbox",
        rows=rows,
        now=now,
        hours=hours,
        status=status if status in STATUSES else "",
        assignee=assignee,
        statuses=STATUS_LABELS,
        topics=TOPIC_LABELS,
        people=_staff_choices(request),
    )


def ticket_page(
    request: Request, staff: Staff, ticket_id: int, status_code: int = 200, **context: object
) -> HTMLResponse:
    runtime = runtime_of(request)
    with runtime.store.transaction() as session:
        try:
            found = ticket(session, ticket_id)
        except DomainError:
            raise HTTPException(404) from None
        leader = session.get(Contact, found.leader_id)
        business = session.get(Business, found.business_id)
        item = session.get(ActionItem, found.item_id) if found.item_id else None
        conversation = messages_of(session, ticket_id)
        refs = [str(ref) for message in conversation for ref in message.media]
        files = files_by_reference(session, found.leader_id, refs)
    context.setdefault("typed", {})
    context.setdefault("preview", None)
    categories = {category.code: category.name for category in standards().categories}
    return page(
        request,
        "ticket.html",
        staff,
        status_code=status_code,
        section="inbox",
        ticket=found,
        leader=leader,
        business=business,
        item=item,
        conversation=conversation,
        files=files,
        statuses=STATUS_LABELS,
        topics=TOPIC_LABELS,
        categories=categories,
        people=_staff_choices(request),
        max_reply=MAX_REPLY,
        sms=leader is not None and capabilities_of(leader.channel).sms_segments,
        **context,
    )


@router.get("/tickets/{ticket_id}")
def ticket_view(request: Request, ticket_id: Id, staff: Viewer) -> HTMLResponse:
    return ticket_page(request, staff, ticket_id)


@router.post("/tickets/{ticket_id}/reply", response_model=None)
def answer(request: Request, ticket_id: Id, staff: Worker, form: Form) -> Response:
    """`action=preview` shows the message as the leader gets it and its SMS parts;
    `action=send` queues it."""
    fields = Fields(form)
    body = fields.text("body", "Answer", MAX_REPLY)
    typed = fields.typed("body", limit=MAX_REPLY)
    if fields.errors:
        return ticket_page(request, staff, ticket_id, 400, errors=fields.errors, typed=typed)
    if fields.raw("action") != "send":
        try:
            cleaned = clean_reply(body)
        except DomainError as error:
            return ticket_page(request, staff, ticket_id, 400, errors=[str(error)], typed=typed)
        with runtime_of(request).store.transaction() as session:
            found = ticket(session, ticket_id) if ticket_id else None
            leader = session.get(Contact, found.leader_id) if found else None
            language = leader.language if leader else None
        shown = text(language, "ticket.reply", {"text": cleaned})
        return ticket_page(request, staff, ticket_id, typed=typed, preview=(shown, segments(shown)))

    def send(session: Session, now: datetime) -> Done:
        found = reply(session, ticket_id, staff.id, body, now)
        detail = {"ticket": ticket_id, "characters": len(body)}
        url = f"/admin/tickets/{ticket_id}#conversation"
        return Done("ticket.reply", f"business {found.business_id}", url, "Answer sent.", detail)

    def refused(error: str) -> HTMLResponse:
        return ticket_page(request, staff, ticket_id, 400, errors=[error], typed=typed)

    return staff_action(request, staff, send, refused)


@router.post("/tickets/{ticket_id}/assign", response_model=None)
def reassign(request: Request, ticket_id: Id, staff: Worker, form: Form) -> Response:
    raw = Fields(form).raw("assignee").strip()
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        return ticket_page(request, staff, ticket_id, 400, errors=["Choose someone from the list."])
    assignee = int(raw) if raw else None

    def give(session: Session, now: datetime) -> Done:
        found = assign(session, ticket_id, assignee, now)
        detail = {"ticket": ticket_id, "assignee": assignee}
        url = f"/admin/tickets/{ticket_id}"
        return Done("ticket.assign", f"business {found.business_id}", url, "Ticket assigned.",
                    detail)  # fmt: skip

    def refused(error: str) -> HTMLResponse:
        return ticket_page(request, staff, ticket_id, 400, errors=[error])

    return staff_action(request, staff, give, refused)


@router.post("/tickets/{ticket_id}/close", response_model=None)
def close_ticket(request: Request, ticket_id: Id, staff: Worker) -> Response:
    def shut(session: Session, now: datetime) -> Done:
        found = close(session, ticket_id, now)
        notice = "Ticket closed; the leader has been told."
        return Done("ticket.close", f"business {found.business_id}", "/admin/inbox", notice,
                    {"ticket": ticket_id})  # fmt: skip

    def refused(error: str) -> HTMLResponse:
        return ticket_page(request, staff, ticket_id, 400, errors=[error])

    return staff_action(request, staff, shut, refused)


@router.post("/staff/{staff_id}/expert", response_model=None)
def experts(request: Request, staff_id: Id, staff: Admin, form: Form) -> Response:
    codes = [category.code for category in standards().categories]
    fields = Fields(form)
    picked = fields.picked("categories", "Categories", codes)
    if fields.errors:
        return staff_page(request, staff, 400, errors=fields.errors)

    def mark(session: Session, now: datetime) -> Done:
        changed = set_experts(session, staff_id, picked)
        notice = f"{changed.email} answers tickets on: {', '.join(picked) or 'no category'}."
        return Done("staff.expert", f"staff {staff_id}", "/admin/staff", notice,
                    {"categories": picked})  # fmt: skip

    def refused(error: str) -> HTMLResponse:
        return staff_page(request, staff, 400, errors=[error])

    return staff_action(request, staff, mark, refused)
