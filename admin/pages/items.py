"""Remediation and corrective-action items from the console: create, edit, mark verified."""

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from admin.audit import record
from admin.auth import runtime_of
from admin.deps import Form, Id, Worker
from admin.forms import Fields
from admin.pages.business import business_page
from admin.programme import KINDS, SEVERITIES
from admin.web import done
from bot.domain.actions import (
    MAX_DESCRIPTION,
    ActionError,
    create_action_item,
    update_action_item,
    verify_action_item,
)
from bot.models import ActionItem

router = APIRouter()
ITEM_FIELDS = ("kind", "severity", "description", "due_on")


def _business_of_item(request: Request, item_id: int) -> int:
    with runtime_of(request).store.transaction() as session:
        item = session.get(ActionItem, item_id)
        if item is None:
            raise HTTPException(404)
        return item.business_id


@router.post("/businesses/{business_id}/items", response_model=None)
def create_item(
    request: Request, business_id: Id, staff: Worker, form: Form
) -> HTMLResponse | RedirectResponse:
    runtime = runtime_of(request)
    fields = Fields(form)
    kind = fields.choice("kind", "Kind", KINDS)
    severity = fields.choice("severity", "Severity", SEVERITIES)
    description = fields.text("description", "Description", MAX_DESCRIPTION)
    due_on = fields.day("due_on", "Due date")
    typed = fields.typed(*ITEM_FIELDS)
    if fields.errors or due_on is None:
        return business_page(request, staff, business_id, 400, errors=fields.errors, typed=typed)
    now = runtime.clock.now()
    try:
        with runtime.store.transaction() as session:
            item = create_action_item(
                session, business_id, kind, severity, description, due_on, now, staff_id=staff.id
            )
            record(
                session,
                staff,
                "item.create",
                f"business {business_id}",
                now,
                item=item.id,
                kind=kind,
                severity=severity,
                due_on=due_on.isoformat(),
            )
    except ActionError as error:
        return business_page(request, staff, business_id, 400, errors=[str(error)], typed=typed)
    return done(
        request, f"/admin/businesses/{business_id}#items", "Item added; the leader has been told."
    )


@router.post("/items/{item_id}", response_model=None)
def edit_item(
    request: Request, item_id: Id, staff: Worker, form: Form
) -> HTMLResponse | RedirectResponse:
    runtime = runtime_of(request)
    business_id = _business_of_item(request, item_id)
    fields = Fields(form)
    severity = fields.choice("severity", "Severity", SEVERITIES)
    description = fields.text("description", "Description", MAX_DESCRIPTION)
    due_on = fields.day("due_on", "Due date")
    if fields.errors or due_on is None:
        return business_page(request, staff, business_id, 400, errors=fields.errors)
    now = runtime.clock.now()
    try:
        with runtime.store.transaction() as session:
            update_action_item(
                session, item_id, now, description=description, due_on=due_on, severity=severity
            )
            record(
                session,
                staff,
                "item.edit",
                f"business {business_id}",
                now,
                item=item_id,
                severity=severity,
                due_on=due_on.isoformat(),
            )
    except ActionError as error:
        return business_page(request, staff, business_id, 400, errors=[str(error)])
    return done(request, f"/admin/businesses/{business_id}#items", "Item saved.")


@router.post("/items/{item_id}/verify", response_model=None)
def verify_item(request: Request, item_id: Id, staff: Worker) -> HTMLResponse | RedirectResponse:
    runtime = runtime_of(request)
    business_id = _business_of_item(request, item_id)
    now = runtime.clock.now()
    try:
        with runtime.store.transaction() as session:
            verify_action_item(session, item_id, now)
            record(session, staff, "item.verify", f"business {business_id}", now, item=item_id)
    except ActionError as error:
        return business_page(request, staff, business_id, 400, errors=[str(error)])
    return done(request, f"/admin/businesses/{business_id}#items", "Item marked verified.")
