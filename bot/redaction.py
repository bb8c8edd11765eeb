"""Emptying message bodies that a provider keeps: survey answers received and survey replies
sent. Twilio allows it once a message is final; Telegram offers nothing of the kind.

Rows in `provider_redactions` name the provider's message id and no contact. The job claims due
rows (moving them a lease ahead, so another worker leaves them alone), asks each provider, then
deletes the rows that are done (or that the provider no longer knows) and puts the others off,
longer each time, until `MAX_ATTEMPTS`.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.channels.privacy import can_redact
from bot.channels.provider import Accepted, Failed, Result
from bot.models import OutboundMessage, PendingRedaction

if TYPE_CHECKING:
    from bot.runtime import Runtime

BATCH = 50
MAX_ATTEMPTS = 10
LEASE = timedelta(minutes=5)
# A sent message becomes final (delivered, failed) some time after it leaves.
AFTER_SENDING = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=12)


def retry_delay(attempts: int) -> timedelta:
    """5 min, 10 min, 20 min ... up to 12 h: ten attempts span about two days."""
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16), LONGEST_RETRY)


def forget_private(session: Session, ids: list[int], now: datetime) -> None:
    """Delete the private (survey) outbox rows among `ids` that reached a final state, queueing
    their bodies for redaction at the provider where it allows that."""
    if not ids:
        return
    rows = session.execute(
        select(OutboundMessage.id, OutboundMessage.channel, OutboundMessage.provider_id).where(
            OutboundMessage.id.in_(ids),
            OutboundMessage.private.is_(True),
            OutboundMessage.status.not_in(("queued", "claimed", "sending")),
        )
    ).all()
    if not rows:
        return
    session.add_all(
        PendingRedaction(
            channel=row.channel, provider_id=row.provider_id, due_at=now + AFTER_SENDING
        )
        for row in rows
        if row.provider_id and can_redact(row.channel)
    )
    session.execute(
        delete(OutboundMessage)
        .where(OutboundMessage.id.in_([row.id for row in rows]))
        .execution_options(synchronize_session=False)
    )


def redact_due(runtime: "Runtime") -> int:
    """The scheduler's job: ask the providers to empty the due bodies; returns how many were."""
    providers = {
        lane.channel: lane.provider
        for lane in runtime.sender.lanes()
        if hasattr(lane.provider, "redact")
    }
    if not providers:
        return 0
    now = runtime.clock.now()
    with runtime.store.transaction() as session:
        claimed = session.scalars(
            select(PendingRedaction)
            .where(
                PendingRedaction.due_at <= now,
                PendingRedaction.channel.in_(list(providers)),
            )
            .order_by(PendingRedaction.due_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for row in claimed:
            row.due_at = now + LEASE
        work = [(row.id, row.channel, row.provider_id) for row in claimed]
    results: list[tuple[int, Result]] = []
    for row_id, channel, provider_id in work:
        if runtime.stopping.is_set():
            break
        results.append((row_id, providers[channel].redact(provider_id)))  # type: ignore[attr-defined]
    with runtime.store.transaction() as session:
        for row_id, result in results:
            row = session.get(PendingRedaction, row_id, with_for_update=True)
            if row is None:
                continue
            row.attempts += 1
            if isinstance(result, Accepted | Failed) or row.attempts >= MAX_ATTEMPTS:
                session.delete(row)
            else:
                row.due_at = now + retry_delay(row.attempts)
    return sum(isinstance(result, Accepted) for _, result in results)
