"""Durable reminders: rows with a due time, fired once by a tick that any process may run.

A subject (an action item, an assessment) owns a family of reminder kinds. Its module plans the
rows with `plan` and registers a sender per kind with `@sends`; `fire_due` claims due rows with
`FOR UPDATE SKIP LOCKED`, so two processes never fire the same one, and marks each row sent in
the transaction that writes its outbox message, so a restart neither loses nor repeats it.
When several reminders of one subject are due at once (the ticks stopped for a while, or a
date moved close), only the latest is sent: the earlier ones are cancelled, never sent as a
burst.
"""

from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.db import Store
from bot.models import Business, Contact, Reminder

BATCH = 100
# Sends the reminder's message to the (locked) leader; False means it no longer applies.
Sender = Callable[[Session, Reminder, Contact, datetime], bool]
_SENDERS: dict[str, Sender] = {}


def sends(*kinds: str) -> Callable[[Sender], Sender]:
    def register(sender: Sender) -> Sender:
        for kind in kinds:
            _SENDERS[kind] = sender
        return sender

    return register


def plan(
    session: Session,
    family: Collection[str],
    subject_id: int,
    business_id: int,
    wanted: Mapping[str, datetime],
    now: datetime,
) -> None:
    """Make a subject's pending reminders exactly `wanted` (kind -> due time) from now on.

    Pending rows that no longer match are cancelled, matching cancelled rows come back, and
    times already past are left out; rows already sent are never touched.
    """
    existing = session.scalars(
        select(Reminder).where(Reminder.subject_id == subject_id, Reminder.kind.in_(family))
    ).all()
    for row in existing:
        if row.sent_at is None and row.cancelled_at is None and wanted.get(row.kind) != row.due_at:
            row.cancelled_at = now
    by_key = {(row.kind, row.due_at): row for row in existing}
    for kind, due_at in wanted.items():
        if due_at <= now:
            continue
        row = by_key.get((kind, due_at))
        if row is None:
            session.add(
                Reminder(kind=kind, subject_id=subject_id, business_id=business_id, due_at=due_at)
            )
        elif row.sent_at is None:
            row.cancelled_at = None
    session.flush()


def cancel(session: Session, family: Collection[str], subject_id: int, now: datetime) -> None:
    """No more reminders about this subject (those already sent stay as they are)."""
    pending = session.scalars(
        select(Reminder).where(
            Reminder.subject_id == subject_id,
            Reminder.kind.in_(family),
            Reminder.sent_at.is_(None),
            Reminder.cancelled_at.is_(None),
        )
    )
    for row in pending:
        row.cancelled_at = now


def fire_due(store: Store, now: datetime) -> int:
    """Send every reminder due by `now`; returns how many messages went to the outbox."""
    fired = 0
    busy: list[int] = []
    while True:
        with store.transaction() as session:
            due = session.scalars(
                select(Reminder)
                .where(
                    Reminder.sent_at.is_(None),
                    Reminder.cancelled_at.is_(None),
                    Reminder.due_at <= now,
                    Reminder.id.not_in(busy),
                )
                .order_by(Reminder.due_at, Reminder.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            for reminder in due:
                outcome = _fire(session, reminder, now)
                if outcome is None:
                    busy.append(reminder.id)
                fired += bool(outcome)
        if len(due) < BATCH:
            return fired


def _superseded(session: Session, reminder: Reminder, now: datetime) -> bool:
    """True when a later reminder of the same subject and family is also due by `now`."""
    sender = _SENDERS.get(reminder.kind)
    family = [kind for kind, registered in _SENDERS.items() if registered is sender]
    later = session.scalar(
        select(Reminder.id)
        .where(
            Reminder.subject_id == reminder.subject_id,
            Reminder.kind.in_(family),
            Reminder.id != reminder.id,
            Reminder.sent_at.is_(None),
            Reminder.cancelled_at.is_(None),
            Reminder.due_at <= now,
            or_(
                Reminder.due_at > reminder.due_at,
                and_(Reminder.due_at == reminder.due_at, Reminder.id > reminder.id),
            ),
        )
        .limit(1)
    )
    return later is not None


def _fire(session: Session, reminder: Reminder, now: datetime) -> bool | None:
    """True when sent, False when it no longer applies, None when the leader is busy right now."""
    if _superseded(session, reminder, now):
        reminder.cancelled_at = now
        return False
    business = session.get(Business, reminder.business_id)
    leader_id = business.leader_id if business else None
    contact = None
    if leader_id is not None:
        # The engine holds this lock while it handles one of the leader's messages; skip and
        # come back next tick rather than wait while holding reminder locks.
        contact = session.scalar(
            select(Contact).where(Contact.id == leader_id).with_for_update(skip_locked=True)
        )
        if contact is None:
            return None
    sender = _SENDERS.get(reminder.kind)
    if contact is None or contact.opted_out or sender is None:
        reminder.cancelled_at = now
        return False
    if not sender(session, reminder, contact, now):
        reminder.cancelled_at = now
        return False
    reminder.sent_at = now
    return True
