"""The audit log: one inserted row per staff action, in the same transaction as the action."""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from admin.auth import Staff
from bot.models import AuditEntry

_TARGET = 128


def record(
    session: Session,
    staff: Staff | int | None,
    action: str,
    target: str,
    now: datetime,
    **detail: Any,
) -> None:
    staff_id = staff.id if isinstance(staff, Staff) else staff
    session.add(
        AuditEntry(staff_id=staff_id, action=action, target=target[:_TARGET], detail=detail, at=now)
    )
