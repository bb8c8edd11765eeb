"""The audit log, read only: there is deliberately no route that edits or deletes an entry.

Filters (all GET parameters, each checked): `person` (a staff account's id), `business` (a
business's id: entries on it and on its surveys), `action` (a kind of entry) and `page`.
A filter that names nothing known is dropped with a note, and the log still shows.
"""

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from admin.audit_sentences import SENTENCES, lines
from admin.auth import runtime_of
from admin.deps import Viewer
from admin.paging import page_number, pages
from admin.web import page
from bot.models import AuditEntry, Business, StaffUser, Survey

router = APIRouter()
PER_PAGE = 100
MAX_ID = 2**31 - 1


def _id(raw: str) -> int | None:
    text = raw.strip()
    if text.isascii() and text.isdigit() and 0 < int(text[:12]) <= MAX_ID:
        return int(text)
    return None


def _filtered(
    session: Session, query: Select, person: int | None, business: int | None, action: str
) -> Select:
    if person is not None:
        query = query.where(AuditEntry.staff_id == person)
    if business is not None:
        surveys = session.scalars(select(Survey.id).where(Survey.business_id == business)).all()
        targets = [f"business {business}", *(f"survey {survey}" for survey in surveys)]
        query = query.where(AuditEntry.target.in_(targets))
    if action:
        query = query.where(
            or_(AuditEntry.action == action, AuditEntry.action.startswith(action + "."))
        )
    return query


@router.get("/audit")
def audit_log(
    request: Request,
    staff: Viewer,
    person: str = "",
    business: str = "",
    action: str = "",
    page_asked: str = Query("", alias="page"),
) -> HTMLResponse:
    """Newest first, PER_PAGE a page; times are UTC."""
    notes: list[str] = []
    person_id, business_id = _id(person[:20]), _id(business[:20])
    if person.strip() and person_id is None:
        notes.append("That person is not known; showing everyone.")
    if business.strip() and business_id is None:
        notes.append("That business is not known; showing every business.")
    action = action.strip()[:64]
    kinds = sorted(SENTENCES)
    groups = sorted({kind.split(".")[0] for kind in kinds})
    if action and action not in kinds and action not in groups:
        notes.append("That kind of action is not known; showing every action.")
        action = ""
    with runtime_of(request).store.transaction() as session:
        people = session.execute(
            select(StaffUser.id, StaffUser.email).order_by(StaffUser.email)
        ).all()
        if person_id is not None and person_id not in {row.id for row in people}:
            notes.append("That person is not known; showing everyone.")
            person_id = None
        businesses = session.execute(
            select(Business.id, Business.name).order_by(Business.name)
        ).all()
        if business_id is not None and business_id not in {row.id for row in businesses}:
            notes.append("That business is not known; showing every business.")
            business_id = None
        counted = _filtered(
            session, select(func.count(AuditEntry.id)), person_id, business_id, action
        )
        total = session.scalar(counted) or 0
        filters = {
            "person": str(person_id or ""),
            "business": str(business_id or ""),
            "action": action,
        }
        paged = pages(total, PER_PAGE, page_number(page_asked), "/admin/audit", filters)
        listed = _filtered(
            session,
            select(AuditEntry, StaffUser.email).outerjoin(
                StaffUser, StaffUser.id == AuditEntry.staff_id
            ),
            person_id,
            business_id,
            action,
        )
        rows = session.execute(
            listed.order_by(AuditEntry.id.desc())
            .offset((paged.current - 1) * PER_PAGE)
            .limit(PER_PAGE)
        ).all()
        shown = lines(session, rows)
        business_names = dict(businesses)
    return page(
        request,
        "audit.html",
        staff,
        section="audit",
        lines=shown,
        total=total,
        pages=paged,
        filters=filters,
        notes=list(dict.fromkeys(notes)),
        people=people,
        businesses=businesses,
        business_names=business_names,
        kinds=kinds,
        groups=groups,
    )
