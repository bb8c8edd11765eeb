"""The audit log, read only: there is deliberately no route that edits or deletes an entry."""

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from admin.auth import runtime_of
from admin.deps import Viewer
from admin.web import page
from bot.models import AuditEntry, StaffUser

router = APIRouter()
PER_PAGE = 100


@router.get("/audit")
def audit_log(
    request: Request, staff: Viewer, page_number: int = Query(1, alias="page", ge=1, le=100_000)
) -> HTMLResponse:
    with runtime_of(request).store.transaction() as session:
        total = session.scalar(select(func.count(AuditEntry.id))) or 0
        rows = session.execute(
            select(AuditEntry, StaffUser.email)
            .outerjoin(StaffUser, StaffUser.id == AuditEntry.staff_id)
            .order_by(AuditEntry.id.desc())
            .offset((page_number - 1) * PER_PAGE)
            .limit(PER_PAGE)
        ).all()
    return page(
        request,
        "audit.html",
        staff,
        section="audit",
        rows=rows,
        page_number=page_number,
        more=page_number * PER_PAGE < total,
        total=total,
    )
