"""Messages the programme starts (new items, reminders, results), written to the outbox.

They go to the contact's last channel in their language, in the caller's transaction, and never
to someone who opted out.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.models import Contact, OutboundMessage
from flows.core import Reply
from messages.render import render


def notify(
    session: Session,
    contact: Contact,
    replies: Iterable[Reply],
    now: datetime,
    reminder_id: int | None = None,
) -> int:
    """Queue the replies for the contact; returns how many were queued (none if opted out)."""
    if contact.opted_out:
        return 0
    queued = 0
    for reply in replies:
        rendered = render(contact.language, reply, buttons=contact.channel == "telegram")
        session.add(
            OutboundMessage(
                contact_id=contact.id,
                channel=contact.channel,
                address=contact.address,
                message_key=reply.key,
                body=rendered.body,
                buttons=[list(button) for button in rendered.buttons],
                reminder_id=reminder_id,
                next_attempt_at=now,
                created_at=now,
            )
        )
        queued += 1
    return queued
