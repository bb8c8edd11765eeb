"""Remediation and corrective-action items from the console: create, edit, mark verified,
withdraw."""

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from admin.auth import runtime_of
from admin.changes import Done, staff_action
from admin.deps import Form, Id, Worker
from admin.forms import Fields
from admin.pages.business import business_page, refusal
from admin.programme import KINDS, SEVERITIES
from bot.domain.actions import (
    MAX_DESCRIPTION,
    MAX_REASON,
    create_action_item,
    update_action_item,
    verify_action_item,
    withdraw_action_item,
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


def _items(business_id: int) -> str:
    return f"/admin/businesses/{business_id}#items"


@router.post("/businesses/{business_id}/items", response_model=None)
def create_item(request: Request, business_id: Id, staff: Worker, form: Form) -> Response:
    fields = Fields(form)
    kind = fields.choice("kind", "Kind", KINDS)
    severity = fields.choice("severity", "Severity", SEVERITIES)
    description = fields.text("description", "Description", MAX_DESCRIPTION)
    due_on = fields.day("due_on", "Due date")
    typed = fields.typed(*ITEM_FIELDS)
    if fields.errors or due_on is None:
        return business_page(request, staff, business_id, 400, errors=fields.errors, typed=typed)

    def create(session: Session, now: datetime) -> Done:
        item = create_action_item(
            session, business_id, kind, severity, description, due_on, now, staff_id=staff.id
        )
        detail = {"item": item.id, "kind": kind, "severity": severity, "due_on": due_on.isoformat()}
        notice = "Item added; the leader has been told."
        return Done("item.create", f"business {business_id}", _items(business_id), notice, detail)

    return staff_action(request, staff, create, refusal(request, staff, business_id, typed))


@router.post("/items/{item_id}", response_model=None)
def edit_item(request: Request, item_id: Id, staff: Worker, form: Form) -> Response:
    business_id = _business_of_item(request, item_id)
    fields = Fields(form)
    severity = fields.choice("severity", "Severity", SEVERITIES)
    description = fields.text("description", "Description", MAX_DESCRIPTION)
    due_on = fields.day("due_on", "Due date")
    typed = {**fields.typed("severity", "description", "due_on"), "edit_item": item_id}
    if fields.errors or due_on is None:
        return business_page(request, staff, business_id, 400, errors=fields.errors, typed=typed)

    def edit(session: Session, now: datetime) -> Done:
        update_action_item(
            session, item_id, now, description=description, due_on=due_on, severity=severity
        )
        detail = {"item": item_id, "severity": severity, "due_on": due_on.isoformat()}
        return Done(
            "item.edit", f"business {business_id}", _items(business_id), "Item saved.", detail
        )

    return staff_action(request, staff, edit, refusal(request, staff, business_id, typed))


@router.post("/items/{item_id}/verify", response_model=None)
def verify_item(request: Request, item_id: Id, staff: Worker) -> Response:
    business_id = _business_of_item(request, item_id)

    def verify(session: Session, now: datetime) -> Done:
        verify_action_item(session, item_id, now)
        target, url = f"business {business_id}", _items(business_id)
        return Done("item.verify", target, url, "Item marked verified.", {"item": item_id})

    return staff_action(request, staff, verify, refusal(request, staff, business_id))


@router.post("/items/{item_id}/withdraw", response_model=None)
def withdraw_item(request: Request, item_id: Id, staff: Worker, form: Form) -> Response:
    """Take the item back (reason optional, up to MAX_REASON characters): the leader is told
    once and its reminders stop; audited with the reason."""
    business_id = _business_of_item(request, item_id)
    fields = Fields(form)
    reason = fields.text("reason", "Reason", MAX_REASON, required=False)
    typed = {**fields.typed("reason"), "withdraw_item": item_id}
    if fields.errors:
        return business_page(request, staff, business_id, 400, errors=fields.errors, typed=typed)

    def withdraw(session: Session, now: datetime) -> Done:
        withdraw_action_item(session, item_id, now, reason)
        target, url = f"business {business_id}", _items(business_id)
        notice = "Item withdrawn; the leader has been told and its reminders stopped."
        return Done("item.withdraw", target, url, notice, {"item": item_id, "reason": reason})

    return staff_action(request, staff, withdraw, refusal(request, staff, business_id, typed))
