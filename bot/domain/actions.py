"""Remediation and corrective-action items: created by staff, answered by the leader over chat.

Creating an item tells the leader and plans its reminders (a few days before the due date, on
it, and the day after when still open, at REMINDER_HOUR in the business's time zone); changing
the text or date tells the leader again and plans them again, other changes tell nothing. A
reminder that would fall on the day the leader is told is left out, as that notice says it (an
item due today sends one message, not a notice and a reminder). A finished or withdrawn item has
none left. Staff see overdue items and verify finished ones at the next visit.
"""

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.business import business_of
from bot.domain.conversation import change_stored
from bot.domain.effects import handles
from bot.domain.errors import Invalid, NotFound
from bot.domain.notify import notify
from bot.domain.reminders import cancel, plan, sends
from bot.domain.tickets import help_asked
from bot.domain.zones import local_moment, to_local
from bot.models import (
    ActionItem,
    ActionUpdate,
    Business,
    Contact,
    Reminder,
    StaffUser,
)
from flows.actions import ReportOnAction, focus, notice
from flows.core import Reply
from flows.views import ItemView

KINDS = ("remediation", "corrective")
SEVERITIES = ("zero_tolerance", "major", "minor")
OPEN = ("open", "help")
WITHDRAWN = "withdrawn"
MAX_REASON = 300
MAX_DESCRIPTION = 120  # a reminder has to fit 3 SMS parts even in Hindi (UCS-2)
MAX_DAYS_AHEAD = 730
REMINDER_HOUR = 9  # local time of the business, on the reminder's day
DAYS_BEFORE = 3
# Reminder kind -> the message it sends.
REMINDERS = {
    "action_before": "actions.before",
    "action_due": "actions.due",
    "action_overdue": "actions.overdue",
}


class ActionError(Invalid):
    """An action-item request that cannot be done as asked."""


class ActionNotFound(NotFound, ActionError):
    """The business or action item named does not exist."""


def create_action_item(
    session: Session,
    business_id: int,
    kind: str,
    severity: str,
    description: str,
    due_on: date,
    now: datetime,
    staff_id: int | None = None,
    finding_id: int | None = None,
) -> ActionItem:
    """A new item for the business (remedying `finding_id` when given); the leader is told at
    once and reminders are planned."""
    if session.get(Business, business_id) is None:
        raise ActionNotFound(f"There is no business {business_id}.")
    if kind not in KINDS:
        raise ActionError(f"The kind must be one of: {', '.join(KINDS)}.")
    if staff_id is not None and session.get(StaffUser, staff_id) is None:
        raise ActionError(f"There is no staff member {staff_id}.")
    item = ActionItem(
        business_id=business_id,
        kind=kind,
        severity=_severity(severity),
        description=_description(description),
        due_on=_due_on(due_on, now),
        status="open",
        created_by=staff_id,
        created_at=now,
        finding_id=finding_id,
    )
    session.add(item)
    session.flush()
    _plan_reminders(session, item, now, told=True)
    _tell(session, item, "actions.new", now)
    return item


def update_action_item(
    session: Session,
    item_id: int,
    now: datetime,
    *,
    description: str | None = None,
    due_on: date | None = None,
    severity: str | None = None,
) -> ActionItem:
    """Change what, by when or how serious; a new date or text is sent to the leader, a new
    severity alone tells them nothing. Raises ActionNotFound, and ActionError for a verified
    or withdrawn item or a value out of shape."""
    item = _item(session, item_id)
    if item.status in ("verified", WITHDRAWN):
        raise ActionError(f"Action item {item_id} is already {item.status} and cannot change.")
    told = False
    if severity is not None:
        item.severity = _severity(severity)
    if description is not None:
        cleaned = _description(description)
        told = told or cleaned != item.description
        item.description = cleaned
    if due_on is not None:
        checked = _due_on(due_on, now)
        told = told or checked != item.due_on
        item.due_on = checked
    session.flush()
    _plan_reminders(session, item, now, told=told)
    if told and item.status in OPEN:
        _tell(session, item, "actions.changed", now)
    return item


def verify_action_item(session: Session, item_id: int, now: datetime) -> ActionItem:
    """Staff confirm the change was made; the leader hears so and reminders stop."""
    item = _item(session, item_id)
    if item.status == "verified":
        return item
    item.status, item.verified_at = "verified", now
    item.done_at = item.done_at or now
    cancel(session, REMINDERS, item.id, now)
    leader = _leader(session, item)
    if leader is not None:
        params = {"description": item.description}
        notify(session, leader, (Reply("actions.verified", params),), now)
    return item


def withdraw_action_item(
    session: Session, item_id: int, now: datetime, reason: str = ""
) -> ActionItem:
    """Staff take an item back: the leader is told once, its reminders stop, and it no longer
    counts as open (the reason is for the staff's record). Withdrawing it again changes nothing.
    Raises ActionNotFound, and ActionError for a verified item or a reason out of shape."""
    item = _item(session, item_id)
    if item.status == WITHDRAWN:
        return item
    if item.status == "verified":
        raise ActionError(f"Action item {item_id} is already verified and cannot be withdrawn.")
    cleaned = " ".join(reason.split())
    if len(cleaned) > MAX_REASON or not cleaned.isprintable():
        raise ActionError(f"The reason must be up to {MAX_REASON} printable characters.")
    item.status = WITHDRAWN
    cancel(session, REMINDERS, item.id, now)
    leader = _leader(session, item)
    if leader is not None:
        params = {"description": item.description}
        notify(session, leader, (Reply("actions.withdrawn", params),), now)
    session.flush()
    return item


def replan_reminders(session: Session, business_id: int, now: datetime) -> int:
    """Plan the reminders of the business's open items again (after its time zone changed);
    returns how many items were planned."""
    items = session.scalars(
        select(ActionItem).where(ActionItem.business_id == business_id, ActionItem.status.in_(OPEN))
    ).all()
    for item in items:
        _plan_reminders(session, item, now)
    return len(items)


def overdue_items(session: Session, now: datetime) -> list[ActionItem]:
    """Items still open after their due date, oldest first: for staff to follow up."""
    return list(
        session.scalars(
            select(ActionItem)
            .where(ActionItem.status.in_(OPEN), ActionItem.due_on < now.date())
            .order_by(ActionItem.due_on, ActionItem.id)
        )
    )


def open_item_views(session: Session, business_id: int) -> tuple[ItemView, ...]:
    items = session.scalars(
        select(ActionItem)
        .where(ActionItem.business_id == business_id, ActionItem.status.in_(OPEN))
        .order_by(ActionItem.due_on, ActionItem.id)
    )
    return tuple(_view(item) for item in items)


def _view(item: ActionItem) -> ItemView:
    return ItemView(item.id, item.kind, item.severity, item.description, item.due_on, item.status)


def _item(session: Session, item_id: int) -> ActionItem:
    item = session.get(ActionItem, item_id)
    if item is None:
        raise ActionNotFound(f"There is no action item {item_id}.")
    return item


def _severity(severity: str) -> str:
    if severity not in SEVERITIES:
        raise ActionError(f"The severity must be one of: {', '.join(SEVERITIES)}.")
    return severity


def _description(description: str) -> str:
    cleaned = " ".join(description.split())
    if not cleaned.isprintable() or not 3 <= len(cleaned) <= MAX_DESCRIPTION:
        raise ActionError(
            f"The description must be 3 to {MAX_DESCRIPTION} printable characters, "
            "so it fits a text message."
        )
    return cleaned


def _due_on(due_on: date, now: datetime) -> date:
    if isinstance(due_on, datetime) or not isinstance(due_on, date):
        raise ActionError("The due date must be a date.")
    if not now.date() <= due_on <= now.date() + timedelta(days=MAX_DAYS_AHEAD):
        raise ActionError(f"The due date must be between today and {MAX_DAYS_AHEAD} days from now.")
    return due_on


def _plan_reminders(session: Session, item: ActionItem, now: datetime, told: bool = False) -> None:
    """Plan the item's reminders at REMINDER_HOUR local time; when the leader is told about
    the item now (`told`), none on today's local date."""
    wanted = {}
    business = session.get(Business, item.business_id)
    zone_name = business.time_zone if business else "UTC"
    if item.status in OPEN:
        hour = time(REMINDER_HOUR)
        wanted = {
            "action_before": local_moment(
                item.due_on - timedelta(days=DAYS_BEFORE), hour, zone_name
            ),
            "action_due": local_moment(item.due_on, hour, zone_name),
            "action_overdue": local_moment(item.due_on + timedelta(days=1), hour, zone_name),
        }
    if told:
        tomorrow = to_local(now, zone_name).date() + timedelta(days=1)
        start = local_moment(tomorrow, time(0), zone_name)
        wanted = {kind: at for kind, at in wanted.items() if at >= start}
    plan(session, REMINDERS, item.id, item.business_id, wanted, now)


def _leader(session: Session, item: ActionItem) -> Contact | None:
    """The business's leader, locked like the engine locks a contact it answers."""
    business = session.get(Business, item.business_id)
    if business is None or business.leader_id is None:
        return None
    return session.scalar(select(Contact).where(Contact.id == business.leader_id).with_for_update())


def _tell(
    session: Session,
    item: ActionItem,
    key: str,
    now: datetime,
    reminder_id: int | None = None,
    leader: Contact | None = None,
) -> bool:
    """Send a notice about the item and make the leader's next answer about it."""
    leader = leader or _leader(session, item)
    if leader is None or leader.opted_out:
        return False
    view = _view(item)
    change_stored(session, leader.id, lambda current: focus(current, view), now)
    notify(session, leader, notice(key, view, leader.language), now, reminder_id)
    return True


@sends(*REMINDERS)
def _remind(session: Session, reminder: Reminder, leader: Contact, now: datetime) -> bool:
    item = session.get(ActionItem, reminder.subject_id)
    if item is None or item.status not in OPEN:
        return False
    return _tell(session, item, REMINDERS[reminder.kind], now, reminder.id, leader)


@handles(ReportOnAction)
def _report(session: Session, contact: Contact, effect: ReportOnAction, now: datetime) -> None:
    business = business_of(session, contact)
    item = session.get(ActionItem, effect.item_id)
    if business is None or item is None or item.business_id != business.id:
        return
    session.add(
        ActionUpdate(
            item_id=item.id,
            kind=effect.kind,
            text=effect.text,
            media=list(effect.media),
            created_at=now,
        )
    )
    if effect.kind == "done" and item.status in OPEN:
        item.status, item.done_at = "done", now
        cancel(session, REMINDERS, item.id, now)
    elif effect.kind == "help" and item.status == "open":
        item.status = "help"
    session.flush()
    if effect.kind == "help":
        help_asked(session, contact, item, now)
