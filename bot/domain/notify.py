"""The one writer of outbox rows: every message the bot sends is queued here, in the caller's
transaction, rendered for the contact's channel and in their language.

- `queue_replies`: the direct answers to what someone wrote (the engine), sent even to a person
  who just opted out, as the confirmation of STOP is one of them;
- `notify`: messages the programme starts (new items, reminders, results), never to someone
  who opted out, and outside their quiet hours (bot.domain.quiet): one that falls at night
  waits for their morning;
- `queue_text`: one text to many contacts at once (a broadcast), with INSERT ... SELECT, and
  `hold_for_the_night` to make the rows of those whose night it is wait for their morning;
- `forget_private`: a survey's replies (`private` rows) are deleted as soon as they reach a
  final state, their bodies queued for redaction at the provider where it allows that
  (bot.domain.redaction), so nothing shows how far someone got.
"""

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Insert, Select, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.capabilities import capabilities_of
from bot.db import is_postgres
from bot.domain.conversation import current_question
from bot.domain.lesson_texts import refresh_texts
from bot.domain.quiet import held_until, quiet_hours_of, send_from
from bot.domain.redaction import AFTER_SENDING, queue_redaction
from bot.domain.survey_audio import audio_token
from bot.models import Business, Contact, OutboundMessage
from flows.core import Reply
from flows.survey import RECORDING
from messages.render import Rendered, for_question, render

# A call-back: an outbox row with no text, which the call lane turns into a phone call.
CALLBACK_KEY = "call.callback"
CALLBACK_GAP = timedelta(hours=1)
# The PostgreSQL notification channel senders LISTEN on; its payload is an outbox channel name.
WAKE_CHANNEL = "outbox_queued"
# Where a transaction keeps the names of the channels it queued rows on (see wake_senders).
QUEUED_CHANNELS = "notify.queued_channels"


def queue_replies(
    session: Session,
    contact: Contact,
    replies: Iterable[Reply],
    now: datetime,
    *,
    inbound_id: int | None = None,
    reminder_id: int | None = None,
    private: bool = False,
    document_url: str | None = None,
    not_before: datetime | None = None,
) -> list[Rendered]:
    """Queue the replies for the contact, whatever their opt-out; returns them as rendered.
    `private` ones (a survey's) are deleted once they reach a final state (`forget_private`).

    On a channel that answers in the webhook's own response, the direct answers to a message
    (with `inbound_id`) are recorded as sent: they leave in that answer, not through a sender;
    private ones (a survey's, said in a call) leave no row at all.
    `document_url` attaches a document (a report's PDF, by the address the provider fetches it
    from) to the last reply, on channels that carry documents. `not_before` (naive UTC) is when
    the sender may hand them over, `now` when not given.
    Buttons carry the name of the question the contact's state asks as they are queued
    (`current_question`), so queue after storing the state they answer.
    Raises LookupError for a contact on a channel no registered module runs.
    """
    capabilities = capabilities_of(contact.channel)
    answered = capabilities.answers_in_response and inbound_id is not None
    refresh_texts(session)
    queued = []
    rows: list[dict[str, Any]] = []
    replies = list(replies)
    for number, reply in enumerate(replies, 1):
        rendered = render(contact.language, reply, buttons=capabilities.buttons)
        if rendered.buttons:
            question = current_question(session, contact.id)
            rendered = Rendered(
                rendered.body, for_question(rendered.buttons, question), rendered.key
            )
        if answered and RECORDING in reply.params:
            code, _, key = str(reply.params[RECORDING]).partition("/")
            token = audio_token(session, code, key, contact.language)
            rendered = replace(rendered, audio=token)
        queued.append(rendered)
        if answered and private:
            continue  # said in the call's own answer: no row shows how far anyone got
        rows.append(
            {
                "contact_id": contact.id,
                "inbound_id": inbound_id,
                "channel": contact.channel,
                "address": contact.address,
                "message_key": reply.key,
                "body": rendered.body,
                "buttons": [list(button) for button in rendered.buttons],
                "reminder_id": reminder_id,
                "next_attempt_at": not_before or now,
                "created_at": now,
                "private": private,
                "document_url": document_url if number == len(replies) else None,
                "status": "sent" if answered else "queued",
                "sent_at": now if answered else None,
            }
        )
    if not rows:
        return queued
    # Plain Core, all rows in one statement: the ORM's unit of work would cost more than the
    # insert on every inbound message. On PostgreSQL the same statement says NOTIFY when the
    # senders are to be woken (see wake_senders), saving a round trip.
    due = not answered and (not_before is None or not_before <= now)
    notifying = due and _notify_needed(session, contact.channel)
    session.connection().execute(_INSERT_NOTIFYING if notifying else _INSERT_OUTBOX, rows)
    if due:
        wake_senders(session, contact.channel, notified=notifying)
    return queued


_outbox = OutboundMessage.__table__
_INSERT_OUTBOX = insert(_outbox)
_INSERT_NOTIFYING = insert(_outbox).returning(func.pg_notify(WAKE_CHANNEL, _outbox.c.channel))


def queue_callback(session: Session, contact: Contact, now: datetime) -> bool:
    """Queue a call-back to the contact on the paced channel their channel names for it
    (`calls_back_on`); False, and nothing queued, when it names none or one was queued in the
    last CALLBACK_GAP (someone ringing again and again is called back once)."""
    channel = capabilities_of(contact.channel).calls_back_on
    if not channel:
        return False
    recent = session.scalar(
        select(OutboundMessage.id).where(
            OutboundMessage.channel == channel,
            OutboundMessage.address == contact.address,
            OutboundMessage.created_at > now - CALLBACK_GAP,
        )
    )
    if recent is not None:
        return False
    session.add(
        OutboundMessage(
            contact_id=contact.id,
            channel=channel,
            address=contact.address,
            message_key=CALLBACK_KEY,
            body="",
            buttons=[],
            next_attempt_at=now,
            created_at=now,
        )
    )
    wake_senders(session, channel)
    return True


def answer_address(
    session: Session,
    channel: str,
    address: str,
    language: str | None,
    replies: Iterable[Reply],
    now: datetime,
    inbound_id: int,
) -> list[Rendered]:
    """Queue direct answers to a message from an address that may have no contact (a seal
    verification from anyone): no contact row is needed or made, and the answers carry no
    buttons. Returns them as rendered. Raises LookupError for a channel nobody runs."""
    capabilities = capabilities_of(channel)
    answered = capabilities.answers_in_response
    refresh_texts(session)
    queued = []
    for reply in replies:
        rendered = render(language, reply, buttons=False)
        session.add(
            OutboundMessage(
                contact_id=None,
                inbound_id=inbound_id,
                channel=channel,
                address=address,
                message_key=reply.key,
                body=rendered.body,
                buttons=[],
                next_attempt_at=now,
                created_at=now,
                **({"status": "sent", "sent_at": now} if answered else {}),
            )
        )
        queued.append(rendered)
    if queued and not answered:
        wake_senders(session, channel)
    return queued


def notify(
    session: Session,
    contact: Contact,
    replies: Iterable[Reply],
    now: datetime,
    reminder_id: int | None = None,
    document_url: str | None = None,
) -> int:
    """Queue the replies for the contact (the last carrying `document_url`, when given), to
    leave outside their quiet hours; returns how many were queued (none if opted out)."""
    if contact.opted_out:
        return 0
    queued = queue_replies(
        session,
        contact,
        replies,
        now,
        reminder_id=reminder_id,
        document_url=document_url,
        not_before=held_until(session, contact, now),
    )
    return len(queued)


def queue_text(
    recipients: Callable[..., Select[Any]],
    body: ColumnElement[str],
    message_key: str,
    now: datetime,
    broadcast_id: int,
) -> Insert:
    """INSERT ... SELECT of one outbox row per contact that `recipients(*columns)` selects (a
    query over Contact), with `body` (an SQL expression, say a text per language)."""
    values = {
        "contact_id": Contact.id,
        "channel": Contact.channel,
        "address": Contact.address,
        "message_key": literal(message_key),
        "body": body,
        "buttons": literal([], OutboundMessage.buttons.type),
        "status": literal("queued"),
        "attempts": literal(0),
        "next_attempt_at": literal(now, OutboundMessage.next_attempt_at.type),
        "template_variables": literal({}, OutboundMessage.template_variables.type),
        "broadcast_id": literal(broadcast_id),
        "created_at": literal(now, OutboundMessage.created_at.type),
    }
    inserting = insert(OutboundMessage).from_select(list(values), recipients(*values.values()))
    return inserting.execution_options(preserve_rowcount=True)


def hold_for_the_night(session: Session, broadcast_id: int, now: datetime) -> int:
    """Make the rows of a broadcast queued at `now` wait for the morning of each recipient
    whose quiet hours `now` falls in (recipients are leaders: their business's zone). Returns
    how many rows now wait."""
    quiet = quiet_hours_of(session)
    if quiet is None:
        return 0
    queued_now = (
        OutboundMessage.broadcast_id == broadcast_id,
        OutboundMessage.status == "queued",
        OutboundMessage.next_attempt_at == now,
    )
    zones = session.scalars(
        select(Business.time_zone)
        .join(OutboundMessage, OutboundMessage.contact_id == Business.leader_id)
        .where(*queued_now)
        .distinct()
    ).all()
    held = 0
    for zone_name in zones:
        morning = send_from(quiet, zone_name, now)
        if morning == now:
            continue
        leaders = select(Business.leader_id).where(Business.time_zone == zone_name)
        moved = session.execute(
            update(OutboundMessage)
            .where(*queued_now, OutboundMessage.contact_id.in_(leaders))
            .values(next_attempt_at=morning)
            .execution_options(synchronize_session=False, preserve_rowcount=True)
        )
        held += moved.rowcount
    return held


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
    for row in rows:
        if row.provider_id:
            queue_redaction(session, row.channel, row.provider_id, now + AFTER_SENDING)
    session.execute(
        delete(OutboundMessage)
        .where(OutboundMessage.id.in_([row.id for row in rows]))
        .execution_options(synchronize_session=False)
    )


def wake_senders(session: Session, channel: str, *, notified: bool = False) -> None:
    """Say that the transaction queued rows due now on `channel`, so a sender starts on them as
    soon as it commits rather than at its next poll: on PostgreSQL with
    `pg_notify(WAKE_CHANNEL, channel)`, which the database delivers to every listening process
    only if and when the transaction commits (and once, however often it is said); in this
    process through the channel names kept in `session.info[QUEUED_CHANNELS]`, which the
    runtime reads after the commit (bot.wakeup). Once per channel per transaction; `notified`
    when the caller's own statement said the NOTIFY already."""
    queued: set[str] = session.info.setdefault(QUEUED_CHANNELS, set())
    if channel in queued:
        return
    queued.add(channel)
    if is_postgres(session.get_bind()) and not notified:
        session.execute(select(func.pg_notify(WAKE_CHANNEL, channel)))


def _notify_needed(session: Session, channel: str) -> bool:
    """Whether a NOTIFY for `channel` is still to be said in this transaction (PostgreSQL)."""
    queued: set[str] = session.info.get(QUEUED_CHANNELS, set())
    return channel not in queued and is_postgres(session.get_bind())
