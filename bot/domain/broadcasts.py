"""Staff broadcasts: one message, written per language, to a segment of business leaders.

A broadcast is a row until it is due; then a tick expands it into outbox rows, one per
recipient, a chunk of contacts (in id order) per transaction. Each chunk's rows and the
broadcast's cursor (`expanded_to`) commit together, so an interrupted expansion resumes right
after the last chunk, and the unique (broadcast_id, contact_id) index makes a second row for a
recipient impossible whatever happens. Rows are written with INSERT ... SELECT, so neither time
nor memory grows with what is held in Python. Sending, pacing, WhatsApp's 24-hour window and
people who opt out after their row was queued are the sender's work (bot.outbox).
"""

from collections import Counter
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from babel import Locale
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy import Select, case, exists, func, literal, select, update
from sqlalchemy.orm import Session

from bot.capabilities import written_channels
from bot.domain.actions import OPEN
from bot.domain.errors import Invalid, NotFound
from bot.domain.notify import hold_for_the_night, queue_text
from bot.domain.stage import STAGES, stage_of
from bot.models import ActionItem, Broadcast, Business, Contact, OutboundMessage, StaffUser
from messages import DEFAULT_LANGUAGE, LANGUAGES
from messages.sms import segments

MESSAGE_KEY = "broadcast"
MAX_TEXT = 1000
MAX_AHEAD = timedelta(days=366)
MAX_ID = 2**31 - 1
MAX_CHOICES = 300
CHUNK = 5000
WAITING = ("queued", "claimed", "sending")


class BroadcastError(Invalid):
    """A request staff can correct; the message says how."""


class BroadcastNotFound(NotFound, BroadcastError):
    """The broadcast named does not exist."""


@cache
def _countries() -> frozenset[str]:
    return frozenset(code for code in Locale.parse("en").territories if len(code) == 2)


def _listed(values: tuple[Any, ...], allowed: Container[Any], what: str) -> None:
    if len(values) > MAX_CHOICES:
        raise ValueError(f"at most {MAX_CHOICES} {what}")
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise ValueError(f"unknown {what}: {', '.join(map(str, unknown[:5]))}")


class Segment(BaseModel):
    """Who receives a broadcast: business leaders matching every filter given (none: all)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    countries: tuple[str, ...] = ()  # ISO 3166 alpha-2, the business's country
    stages: tuple[str, ...] = ()  # programme stages (bot.domain.stage.STAGES)
    languages: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()  # the channel the leader last wrote on
    overdue: bool = False  # only leaders with an action item open past its date
    business_ids: tuple[int, ...] = ()  # only the leaders of these businesses

    @field_validator("countries", mode="before")
    @classmethod
    def _upper(cls, values: Any) -> Any:
        if isinstance(values, list | tuple):
            return tuple(v.strip().upper() if isinstance(v, str) else v for v in values)
        return values

    @field_validator("countries")
    @classmethod
    def _known_countries(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        _listed(values, _countries(), "countries")
        return values

    @field_validator("stages")
    @classmethod
    def _known_stages(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        _listed(values, STAGES, "stages")
        return values

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        _listed(values, LANGUAGES, "languages")
        return values

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        _listed(values, written_channels(), "channels")
        return values

    @field_validator("business_ids")
    @classmethod
    def _possible_ids(cls, values: tuple[int, ...]) -> tuple[int, ...]:
        _listed(values, range(1, MAX_ID + 1), "business ids")
        return values


@dataclass(frozen=True)
class Preview:
    recipients: int
    recipients_per_language: dict[str, int]
    # SMS parts of the text each language's recipients get (their own, or the English one).
    segments_per_language: dict[str, int]


@dataclass(frozen=True)
class Progress:
    broadcast_id: int
    status: str  # scheduled | queueing | queued | cancelled
    recipients: int
    counts: dict[str, int]  # outbox rows by status: queued, sent, delivered, failed ...

    @property
    def waiting(self) -> int:
        return sum(self.counts.get(status, 0) for status in WAITING)


def segment_of(segment: Segment | Mapping[str, Any]) -> Segment:
    if isinstance(segment, Segment):
        return segment
    try:
        return Segment.model_validate(segment)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "segment"
        raise BroadcastError(f"Segment {where}: {first['msg']}.") from None


def clean_texts(texts: Mapping[str, Any]) -> dict[str, str]:
    """The message per language; English is required, as every other language falls back to it."""
    if not isinstance(texts, Mapping):
        raise BroadcastError("Give the message as text per language.")
    clean = {}
    for language, value in texts.items():
        if language not in LANGUAGES:
            raise BroadcastError(f"'{str(language)[:20]}' is not a supported language.")
        if not isinstance(value, str):
            raise BroadcastError(f"The {language} message must be text.")
        lines = [" ".join(line.split()) for line in value.replace("\r\n", "\n").split("\n")]
        text = "\n".join(lines).strip()
        if not text:
            continue
        if len(text) > MAX_TEXT or not all(char.isprintable() for char in "".join(lines)):
            raise BroadcastError(f"The {language} message is 1 to {MAX_TEXT} printable characters.")
        clean[language] = text
    if DEFAULT_LANGUAGE not in clean:
        raise BroadcastError("Write the message in English; other languages fall back to it.")
    return clean


def text_for(texts: Mapping[str, str], language: str | None) -> str:
    return texts.get(language or DEFAULT_LANGUAGE) or texts[DEFAULT_LANGUAGE]


def _language() -> Any:
    return func.coalesce(Contact.language, DEFAULT_LANGUAGE)


def _leaders(segment: Segment, now: datetime, *columns: Any) -> Select[Any]:
    """Leaders matching the segment's filters that SQL can apply (all but the stage)."""
    query = (
        select(*columns)
        .select_from(Contact)
        .join(Business, Business.leader_id == Contact.id)
        .where(Contact.opted_out.is_(False))
    )
    if segment.countries:
        query = query.where(Business.country.in_(segment.countries))
    if segment.languages:
        query = query.where(_language().in_(segment.languages))
    if segment.channels:
        query = query.where(Contact.channel.in_(segment.channels))
    if segment.business_ids:
        query = query.where(Business.id.in_(segment.business_ids))
    if segment.overdue:
        late = exists().where(
            ActionItem.business_id == Business.id,
            ActionItem.status.in_(OPEN),
            ActionItem.due_on < now.date(),
        )
        query = query.where(late)
    return query


def _chunks(
    session: Session, segment: Segment, now: datetime, start: int, size: int = CHUNK
) -> Iterator[tuple[int, Any]]:
    """(last contact id, condition picking the chunk's recipients) per chunk of `size` leaders
    after contact id `start`. A stage filter is applied in Python, one chunk at a time, as the
    stage is derived from each business's records."""
    while True:
        window = _leaders(segment, now, Contact.id).where(Contact.id > start)
        upper = session.scalar(
            select(func.max(window.order_by(Contact.id).limit(size).subquery().c.id))
        )
        if upper is None:
            return
        in_window = Contact.id.between(start + 1, upper)
        if segment.stages:
            businesses = session.scalars(_leaders(segment, now, Business).where(in_window))
            kept = [b.leader_id for b in businesses if stage_of(session, b) in segment.stages]
            yield upper, Contact.id.in_(kept)
        else:
            yield upper, in_window
        start = upper


def preview(
    session: Session, texts: Mapping[str, Any], segment: Segment | Mapping[str, Any], now: datetime
) -> Preview:
    """How many leaders would receive it, in which language, and what each text costs in SMS."""
    texts, segment = clean_texts(texts), segment_of(segment)
    per_language: Counter[str] = Counter()
    for _, condition in _chunks(session, segment, now, 0):
        language = _language().label("language")
        counted = session.execute(
            _leaders(segment, now, language, func.count()).where(condition).group_by(language)
        )
        per_language.update(dict(counted.all()))
    return Preview(
        recipients=sum(per_language.values()),
        recipients_per_language={lang: per_language.get(lang, 0) for lang in LANGUAGES},
        segments_per_language={lang: segments(text_for(texts, lang)) for lang in LANGUAGES},
    )


def create_broadcast(
    session: Session,
    texts: Mapping[str, Any],
    segment: Segment | Mapping[str, Any],
    send_at: datetime | None,
    now: datetime,
    staff_id: int | None = None,
) -> Broadcast:
    """Schedule a broadcast; it is sent from send_at (now when None or past), to whoever matches
    the segment then."""
    texts, segment = clean_texts(texts), segment_of(segment)
    send_at = max(send_at or now, now)
    if send_at - now > MAX_AHEAD:
        raise BroadcastError("A broadcast can be scheduled up to a year ahead.")
    if staff_id is not None and (
        not 0 < staff_id <= MAX_ID or session.get(StaffUser, staff_id) is None
    ):
        raise BroadcastError(f"No staff member has the id {staff_id}.")
    broadcast = Broadcast(
        created_by=staff_id,
        texts=texts,
        segment=segment.model_dump(mode="json"),
        send_at=send_at,
        status="scheduled",
        recipients=0,
        expanded_to=0,
        created_at=now,
    )
    session.add(broadcast)
    session.flush()
    return broadcast


def cancel_broadcast(session: Session, broadcast_id: int, now: datetime) -> Broadcast:
    """Stop a broadcast: nothing more is queued and queued messages are not sent."""
    broadcast = _get(session, broadcast_id, lock=True)
    broadcast.status = "cancelled"
    session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.broadcast_id == broadcast.id,
            OutboundMessage.status.in_(("queued", "claimed")),
        )
        .values(
            status="cancelled",
            error_code="broadcast_cancelled",
            status_updated_at=now,
            claimed_by=None,
        )
        .execution_options(synchronize_session=False)
    )
    return broadcast


def broadcast_progress(session: Session, broadcast_id: int) -> Progress:
    broadcast = _get(session, broadcast_id)
    counted = session.execute(
        select(OutboundMessage.status, func.count())
        .where(OutboundMessage.broadcast_id == broadcast.id)
        .group_by(OutboundMessage.status)
    )
    return Progress(broadcast.id, broadcast.status, broadcast.recipients, dict(counted.all()))


def _get(session: Session, broadcast_id: int, lock: bool = False) -> Broadcast:
    broadcast = (
        session.get(Broadcast, broadcast_id, with_for_update=lock)
        if 0 < broadcast_id <= MAX_ID
        else None
    )
    if broadcast is None:
        raise BroadcastNotFound(f"No broadcast has the id {broadcast_id}.")
    return broadcast


def expand_chunk(session: Session, broadcast: Broadcast, now: datetime, size: int = CHUNK) -> int:
    """Queue the next chunk of recipients and move the cursor past it; with none left, the
    broadcast is queued. Returns the number of rows written."""
    segment = segment_of(broadcast.segment)
    chunk = next(_chunks(session, segment, now, broadcast.expanded_to, size), None)
    if chunk is None:
        broadcast.status, broadcast.queued_at = "queued", now
        return 0
    upper, condition = chunk
    texts = broadcast.texts
    others = {lang: text for lang, text in texts.items() if lang != DEFAULT_LANGUAGE}
    english = literal(texts[DEFAULT_LANGUAGE])
    body = case(others, value=_language(), else_=english) if others else english

    def recipients(*columns: Any) -> Select[Any]:
        return _leaders(segment, now, *columns).where(condition)

    queued = queue_text(recipients, body, MESSAGE_KEY, now, broadcast.id)
    written = session.execute(queued).rowcount
    hold_for_the_night(session, broadcast.id, now)
    broadcast.expanded_to = upper
    broadcast.recipients += written
    broadcast.status = "queueing"
    return written


def expand_next_chunk(session: Session, now: datetime, size: int = CHUNK) -> int | None:
    """Queue the next chunk of the broadcast due soonest; None when no broadcast is due.

    Several processes may run this at once: the broadcast's row lock (SKIP LOCKED) gives each
    chunk to exactly one of them. Returns the number of rows written.
    """
    broadcast = session.scalar(
        select(Broadcast)
        .where(Broadcast.status.in_(("scheduled", "queueing")), Broadcast.send_at <= now)
        .order_by(Broadcast.send_at, Broadcast.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if broadcast is None:
        return None
    return expand_chunk(session, broadcast, now, size)
