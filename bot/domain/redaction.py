"""Emptying message bodies that a provider keeps: survey answers received and survey replies
sent. Twilio allows it once a message is final; Telegram offers nothing of the kind (a
channel's capabilities say whether it `redacts`).

Rows in `provider_redactions` name the provider's message id and no contact. The scheduler's
tick claims due rows (moving them a lease ahead, so another worker leaves them alone), asks
each provider, then deletes the rows that are done (or that the provider no longer knows) and
puts the others off, longer each time, until `MAX_ATTEMPTS`.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.capabilities import can_redact
from bot.models import PendingRedaction

BATCH = 50
MAX_ATTEMPTS = 10
LEASE = timedelta(minutes=5)
# A sent message becomes final (delivered, failed) some time after it leaves.
AFTER_SENDING = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=12)


@dataclass(frozen=True)
class Redaction:
    """One claimed body to empty, detached from the session."""

    id: int
    channel: str
    provider_id: str


def retry_delay(attempts: int) -> timedelta:
    """5 min, 10 min, 20 min ... up to 12 h: ten attempts span about two days."""
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16), LONGEST_RETRY)


def queue_redaction(session: Session, channel: str, provider_id: str, due_at: datetime) -> None:
    """Ask for the body of the provider's message `provider_id` to be emptied from `due_at`,
    when the channel's provider allows that (nothing otherwise)."""
    if can_redact(channel):
        session.add(PendingRedaction(channel=channel, provider_id=provider_id, due_at=due_at))


def claim_due(
    session: Session, now: datetime, channels: Sequence[str], batch: int = BATCH
) -> list[Redaction]:
    """Up to `batch` due redactions on these channels, leased for LEASE so other workers skip
    them (SKIP LOCKED meanwhile)."""
    claimed = session.scalars(
        select(PendingRedaction)
        .where(PendingRedaction.due_at <= now, PendingRedaction.channel.in_(list(channels)))
        .order_by(PendingRedaction.due_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for row in claimed:
        row.due_at = now + LEASE
    return [Redaction(row.id, row.channel, row.provider_id) for row in claimed]


def settle(session: Session, outcomes: Iterable[tuple[int, bool]], now: datetime) -> None:
    """Record what the providers said, per claimed id: True when finished (emptied, or the
    provider has no such message), False to try again later, until MAX_ATTEMPTS."""
    for row_id, finished in outcomes:
        row = session.get(PendingRedaction, row_id, with_for_update=True)
        if row is None:
            continue
        row.attempts += 1
        if finished or row.attempts >= MAX_ATTEMPTS:
            session.delete(row)
        else:
            row.due_at = now + retry_delay(row.attempts)
