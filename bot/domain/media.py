"""Files people send as evidence (photos, documents, voice notes): their records, from the
message that brought them to stored, refused, failed or deleted.

The engine records one `Attachment` per file of a message that is not part of a survey
(`record_attachments`). The runtime's fetching tick claims due ones (`claim_due`, leased so
another worker leaves them alone), fetches, checks and stores each, then says how it went
(`settle`): stored; refused (too large or a type not kept: the sender is told, politely, in
their language); or not fetched, tried again later with a longer wait each time, until
`MAX_ATTEMPTS` make it failed. The bytes live in the runtime's media store, never here: what
this module returns for deletion are the content hashes no record uses any more.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import NotFound
from bot.domain.notify import notify
from bot.models import Attachment, Business, Contact
from flows.core import Reply

BATCH = 20
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
STATES = ("pending", "stored", "refused", "failed", "deleted")
KINDS = ("image", "audio", "video", "document")
_REFUSALS = {"size": "media.refused_size", "type": "media.refused_type"}


@dataclass(frozen=True)
class Due:
    """One claimed file to fetch, detached from the session."""

    id: int
    channel: str
    reference: str


@dataclass(frozen=True)
class Stored:
    """Fetched, checked and in the media store: `size` in bytes of the original kept."""

    kind: str
    content_type: str
    size: int
    sha256: str
    thumbnail_sha256: str | None = None


@dataclass(frozen=True)
class Refused:
    """Not kept, for good: `why` is "size" or "type"; `detail` says what was found (for staff);
    `limit_mb` is the size limit told to the sender."""

    why: str
    detail: str
    limit_mb: int


@dataclass(frozen=True)
class NotFetched:
    """The provider or the store did not give or take it: `passing` ones are tried again."""

    code: str
    detail: str
    passing: bool


Outcome = Stored | Refused | NotFetched


@dataclass(frozen=True)
class FileView:
    """An attachment as the console shows it."""

    id: int
    state: str
    kind: str
    content_type: str
    size: int | None
    reason: str
    has_thumbnail: bool
    reference: str


def retry_delay(attempts: int) -> timedelta:
    """1 min, 2 min, 4 min ... up to 6 h after the `attempts`-th failed try."""
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16), LONGEST_RETRY)


def record_attachments(
    session: Session,
    inbound_id: int,
    contact_id: int,
    channel: str,
    references: Sequence[str],
    now: datetime,
) -> list[Attachment]:
    """One pending record per file a message referred to, due to be fetched at once."""
    records = [
        Attachment(
            inbound_id=inbound_id,
            contact_id=contact_id,
            channel=channel,
            reference=str(reference)[:1100],
            state="pending",
            reason="",
            kind="",
            content_type="",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for reference in references
    ]
    session.add_all(records)
    session.flush()
    return records


def claim_due(
    session: Session, now: datetime, channels: Sequence[str], batch: int = BATCH
) -> list[Due]:
    """Up to `batch` pending files on these channels whose time has come, leased for LEASE so
    other workers skip them (SKIP LOCKED meanwhile)."""
    claimed = session.scalars(
        select(Attachment)
        .where(
            Attachment.state == "pending",
            Attachment.next_attempt_at <= now,
            Attachment.channel.in_(list(channels)),
        )
        .order_by(Attachment.next_attempt_at, Attachment.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for row in claimed:
        row.next_attempt_at = now + LEASE
    return [Due(row.id, row.channel, row.reference) for row in claimed]


def settle(session: Session, attachment_id: int, outcome: Outcome, now: datetime) -> str | None:
    """Record how fetching one claimed file went; returns its state (None when it is gone).

    A refusal queues the polite reply to the sender (through the outbox, in their language).
    """
    row = session.get(Attachment, attachment_id, with_for_update=True)
    if row is None or row.state != "pending":
        return row.state if row is not None else None
    row.attempts += 1
    if isinstance(outcome, Stored):
        row.state, row.reason, row.stored_at = "stored", "", now
        row.kind, row.content_type, row.size = outcome.kind, outcome.content_type, outcome.size
        row.sha256, row.thumbnail_sha256 = outcome.sha256, outcome.thumbnail_sha256
    elif isinstance(outcome, Refused):
        row.state, row.reason = "refused", outcome.detail[:300]
        contact = session.get(Contact, row.contact_id)
        if contact is not None:
            reply = Reply(_REFUSALS.get(outcome.why, "media.refused_type"))
            if outcome.why == "size":
                reply = Reply(_REFUSALS["size"], {"limit": outcome.limit_mb})
            notify(session, contact, (reply,), now)
    else:
        row.reason = f"{outcome.code}: {outcome.detail}"[:300]
        if not outcome.passing or row.attempts >= MAX_ATTEMPTS:
            row.state = "failed"
        else:
            row.next_attempt_at = now + retry_delay(row.attempts)
    session.flush()
    return row.state


def files_of_messages(session: Session, inbound_ids: Iterable[int]) -> dict[int, list[FileView]]:
    """Inbound message id -> its files, in the order they came."""
    ids = list(set(inbound_ids))
    found: dict[int, list[FileView]] = {}
    if not ids:
        return found
    rows = session.scalars(
        select(Attachment).where(Attachment.inbound_id.in_(ids)).order_by(Attachment.id)
    )
    for row in rows:
        found.setdefault(row.inbound_id, []).append(_view(row))
    return found


def files_by_reference(
    session: Session, contact_id: int | None, references: Iterable[str]
) -> dict[str, FileView]:
    """What became of each file a contact sent, by its reference (as an action item's
    evidence keeps it); the latest record wins when one file came twice."""
    wanted = list({str(reference)[:1100] for reference in references})
    if contact_id is None or not wanted:
        return {}
    rows = session.scalars(
        select(Attachment)
        .where(Attachment.contact_id == contact_id, Attachment.reference.in_(wanted))
        .order_by(Attachment.id)
    )
    return {row.reference: _view(row) for row in rows}


def stored_file(session: Session, attachment_id: int) -> Attachment:
    """A stored attachment, to serve. Raises NotFound for any other."""
    row = session.get(Attachment, attachment_id)
    if row is None or row.state != "stored" or row.sha256 is None:
        raise NotFound(f"There is no stored file {attachment_id}.")
    return row


def owner_business(session: Session, attachment_id: int) -> int | None:
    """The business whose leader sent the file, if any."""
    return session.scalar(
        select(Business.id)
        .join(Attachment, Attachment.contact_id == Business.leader_id)
        .where(Attachment.id == attachment_id)
    )


def delete_attachment(session: Session, attachment_id: int, now: datetime) -> list[str]:
    """Forget a file (an admin's decision): its record stays, marked deleted, and the content
    hashes no live record uses any more are returned, for the store to delete.
    Raises NotFound for an unknown id."""
    row = session.get(Attachment, attachment_id, with_for_update=True)
    if row is None:
        raise NotFound(f"There is no file {attachment_id}.")
    return _forget(session, [row], now)


def expire(
    session: Session, now: datetime, retention_days: int, batch: int = 200
) -> tuple[int, list[str]]:
    """Forget up to `batch` stored files that came more than `retention_days` ago (none when
    it is 0); returns how many were forgotten and the content hashes no live record uses any
    more."""
    if retention_days <= 0:
        return 0, []
    rows = session.scalars(
        select(Attachment)
        .where(
            Attachment.state == "stored",
            Attachment.created_at < now - timedelta(days=retention_days),
        )
        .order_by(Attachment.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    return len(rows), _forget(session, list(rows), now)


def _forget(session: Session, rows: list[Attachment], now: datetime) -> list[str]:
    hashes = set()
    for row in rows:
        hashes.update(digest for digest in (row.sha256, row.thumbnail_sha256) if digest)
        row.state, row.deleted_at = "deleted", now
        row.sha256 = row.thumbnail_sha256 = None
    session.flush()
    if not hashes:
        return []
    still_used = set(
        session.scalars(
            select(Attachment.sha256).where(
                Attachment.state == "stored", Attachment.sha256.in_(hashes)
            )
        )
    ) | set(
        session.scalars(
            select(Attachment.thumbnail_sha256).where(
                Attachment.state == "stored", Attachment.thumbnail_sha256.in_(hashes)
            )
        )
    )
    return sorted(hashes - still_used)


def _view(row: Attachment) -> FileView:
    return FileView(
        id=row.id,
        state=row.state,
        kind=row.kind,
        content_type=row.content_type,
        size=row.size,
        reason=row.reason,
        has_thumbnail=row.thumbnail_sha256 is not None,
        reference=row.reference,
    )
