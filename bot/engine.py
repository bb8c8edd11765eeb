"""One inbound message, one transaction: dedupe, contact, session, flow step, state, outbox."""

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import ReturningInsert

import bot.channels.registry  # noqa: F401  (declares every registered channel's capabilities)
from bot.capabilities import capabilities_of, is_practice
from bot.channels.provider import Inbound
from bot.clock import Clock
from bot.db import Store, is_postgres
from bot.domain import apply_effect
from bot.domain.actions import open_item_views
from bot.domain.assessments import next_assessment_at
from bot.domain.brands import consents_of
from bot.domain.conversation import current_question, load_state, save_state
from bot.domain.facts import facts_of
from bot.domain.media import record_attachments
from bot.domain.notify import answer_address, queue_replies
from bot.domain.quiet import answering
from bot.domain.redaction import queue_redaction
from bot.domain.seals import allow_verification, verification, verification_reply
from bot.domain.supply import node_views
from bot.domain.surveys import (
    already_answered,
    open_definition,
    survey_is_open,
    survey_questions,
)
from bot.domain.tickets import RESPONSE_HOURS
from bot.domain.training import checklist_map, lesson_views
from bot.models import Contact, InboundMessage
from bot.phones import region_of
from bot.sealing import Sealer, attach
from flows.conversation import expand, is_private, question_passed, respond
from flows.core import Message, Reply
from flows.verify import VerifyRequest, verify_request
from flows.views import ItemView, LessonView, NodeView
from messages.render import Rendered

MAX_STORED_TEXT = 4096
_ATTEMPTS = 3
# Private inbound rows take a random negative id, never a number from the sequence, so neither
# their ids nor gaps between other rows' ids count one person's messages.
_PRIVATE_IDS = 2**31 - 1
# Seal verifications one address may ask for per window (VERIFY_LIMIT, VERIFY_WINDOW_MINUTES).
VERIFY_LIMIT = 20
VERIFY_WINDOW = timedelta(hours=1)


@dataclass
class Handled:
    duplicate: bool
    replies: list[Rendered] = field(default_factory=list)


class StoreLookup:
    """What a flow step may ask of the store, on behalf of one contact (or of nobody)."""

    def __init__(
        self, session: Session, contact: Contact | None = None, sealer: Sealer | None = None
    ) -> None:
        self._session = session
        self._contact = contact
        self._sealer = sealer

    def survey_is_open(self, code: str) -> bool:
        return survey_is_open(self._session, code)

    def survey_definition(self, code: str) -> Mapping[str, Any] | None:
        return open_definition(self._session, code)

    def survey_questions(self, code: str) -> Sequence[Mapping[str, Any]] | None:
        return survey_questions(self._session, code)

    def already_answered(self, code: str) -> bool:
        """Practice on the simulator never counts, so it is never refused either."""
        contact, sealer = self._contact, self._sealer
        if contact is None or sealer is None or is_practice(contact.channel):
            return False
        return already_answered(self._session, sealer, code, contact.address)

    def supply_nodes(self, business_id: int) -> tuple[NodeView, ...]:
        return node_views(self._session, business_id)

    def lessons(self, business_id: int) -> Mapping[str, LessonView]:
        return lesson_views(self._session, business_id)

    def checklist(self, business_id: int) -> Mapping[str, str]:
        return checklist_map(self._session, business_id)

    def open_actions(self, business_id: int) -> tuple[ItemView, ...]:
        return open_item_views(self._session, business_id)

    def next_assessment(self, business_id: int) -> datetime | None:
        return next_assessment_at(self._session, business_id)

    def brand_consents(self, business_id: int) -> tuple[tuple[int, str], ...]:
        return consents_of(self._session, business_id)


class Engine:
    """Handles inbound messages; `sealer` holds the survey key that seals surveys in progress."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        sealer: Sealer,
        *,
        verify_limit: int = VERIFY_LIMIT,
        verify_window: timedelta = VERIFY_WINDOW,
        ticket_response_hours: int = 24,
    ) -> None:
        self.store = store
        self.clock = clock
        self.sealer = sealer
        self.ticket_response_hours = ticket_response_hours
        self.verify_limit = verify_limit
        self.verify_window = verify_window

    def handle(self, inbound: Inbound) -> Handled:
        """Process once; a concurrent duplicate or a first-contact race is retried, then deduped.

        Raises LookupError for a message from a channel no registered module runs (a bug).
        """
        capabilities_of(inbound.channel)
        for attempt in range(_ATTEMPTS):
            try:
                with self.store.transaction() as session:
                    return self._handle(session, inbound)
            except _Duplicate:
                return Handled(duplicate=True)  # rolled back: a duplicate changes nothing
            except IntegrityError:
                if attempt == _ATTEMPTS - 1:
                    raise
            except OperationalError as error:
                if attempt == _ATTEMPTS - 1 or "deadlock" not in str(error).lower():
                    raise
        raise AssertionError("unreachable")

    def _handle(self, session: Session, inbound: Inbound) -> Handled:
        now = self.clock.now()
        inbound = replace(inbound, text=storable(inbound.text))
        asked = verify_request(inbound.text) if inbound.keyword is None else None
        if asked is not None and not inbound.media:
            if self._seen(session, inbound):
                return Handled(duplicate=True)
            return self._verify(session, inbound, asked, now)
        # Locked first, so a concurrent delivery of the same message has finished by now.
        contact = self._contact(session, inbound, now)
        country = region_of(contact.address)
        facts, seen = facts_of(session, contact, country, inbound.channel, self._receipts(inbound))
        if seen:
            raise _Duplicate
        # A call answers in its own response: the person's messages stay on their channel (the
        # upsert kept it), and only this call's replies are rendered for the call. Set as the
        # loaded value, so nothing is written for it (the upsert wrote the channel to keep).
        kept_channel = contact.channel
        set_committed_value(contact, "channel", inbound.channel)
        attach(session, self.sealer)
        answering(session, contact.id)
        session.info[RESPONSE_HOURS] = self.ticket_response_hours
        lookup = StoreLookup(session, contact, self.sealer)
        state = expand(load_state(session, contact.id), lookup)
        passed = (
            state is not None
            and inbound.question is not None
            and inbound.question != current_question(session, contact.id)
        )
        if passed:
            outcome = question_passed(state, facts)
        else:
            message = Message(
                inbound.text, inbound.media, inbound.keyword, inbound.carrier_answered
            )
            outcome = respond(state, message, facts, lookup)
        # Decided before any row is written, so no version of one ever holds a survey answer.
        private = is_private(state) or is_private(outcome.state) or outcome.private
        hidden = private and not is_practice(inbound.channel)
        record_id = self._record(session, inbound, contact, now, private, hidden)
        for effect in outcome.effects:
            apply_effect(session, contact, effect, now)
        if not passed:  # an old button changes nothing, not even which question is current
            save_state(session, contact.id, outcome.state, now)
        replies = queue_replies(
            session, contact, outcome.replies, now, inbound_id=record_id, private=hidden
        )
        if capabilities_of(inbound.channel).answers_in_response and kept_channel:
            set_committed_value(contact, "channel", kept_channel)
        return Handled(False, replies)

    def _verify(
        self, session: Session, inbound: Inbound, asked: VerifyRequest, now: datetime
    ) -> Handled:
        """VERIFY <code>: answered at once in the language of the word used, from any number,
        starting no conversation. No contact is made for an unknown number and a known one's
        conversation is left where it was; someone who opted out hears nothing. Beyond
        VERIFY_LIMIT per window an address hears nothing either, so codes cannot be
        enumerated by text."""
        known = session.scalar(select(Contact).where(Contact.address == inbound.address))
        record = InboundMessage(
            channel=inbound.channel,
            provider_id=inbound.provider_id,
            contact_id=known.id if known else None,
            body=inbound.text,
            media=[],
            received_at=now,
        )
        session.add(record)
        session.flush()
        client = f"chat:{inbound.channel}:{inbound.address}"
        allowed = allow_verification(session, client, now, self.verify_limit, self.verify_window)
        if (known is not None and known.opted_out) or not allowed:
            return Handled(False)
        if not asked.code:
            reply = Reply("seal.verify_usage")
        else:
            reply = verification_reply(verification(session, asked.code, now), asked.language)
        replies = answer_address(
            session, inbound.channel, inbound.address, asked.language, (reply,), now, record.id
        )
        return Handled(False, replies)

    def _seen(self, session: Session, inbound: Inbound) -> bool:
        """Handled before, whether its provider id was kept as given or as a keyed hash."""
        return (
            session.scalar(
                select(InboundMessage.id).where(
                    InboundMessage.channel == inbound.channel,
                    InboundMessage.provider_id.in_(self._receipts(inbound)),
                )
            )
            is not None
        )

    def _receipts(self, inbound: Inbound) -> list[str]:
        """What an inbound row holding the message would have as its provider id: the id as
        given, or a keyed hash of it (a survey answer's)."""
        return [inbound.provider_id, *self.sealer.tags(_receipt(inbound))]

    def _record(
        self,
        session: Session,
        inbound: Inbound,
        contact: Contact,
        now: datetime,
        private: bool,
        hidden: bool,
    ) -> int:
        """The inbound row (its id returned), and a record of each file it brought, to fetch.
        A respondent's survey message (`hidden`) keeps nothing that ties it to the person or
        says what or exactly when (no files); its body is emptied at the provider too where
        that is possible. Staff practising a survey on a practice channel (the simulator) keep
        what they typed, so they can read it back; their answers never count and no file is
        fetched."""
        if hidden:
            row = {
                "id": -1 - secrets.randbelow(_PRIVATE_IDS),
                "channel": inbound.channel,
                "provider_id": self.sealer.tag(_receipt(inbound)),
                "contact_id": None,
                "body": "",
                "media": [],
                "received_at": now.replace(hour=0, minute=0, second=0, microsecond=0),
            }
            queue_redaction(session, inbound.channel, inbound.provider_id, now)
        else:
            called = capabilities_of(inbound.channel).answers_in_response
            row = {
                "channel": inbound.channel,
                "provider_id": inbound.provider_id,
                "contact_id": contact.id,
                "body": "" if called else inbound.text,  # keys pressed in a call are never kept
                "media": [] if private else list(inbound.media),
                "received_at": now,
            }
        record_id: int = session.connection().execute(_INSERT_INBOUND, row).scalar_one()
        if row["media"] and not is_practice(inbound.channel):
            # Fetched from the provider in the background (bot/media); never a survey's.
            record_attachments(session, record_id, contact.id, inbound.channel, row["media"], now)
        return record_id

    def _contact(self, session: Session, inbound: Inbound, now: datetime) -> Contact:
        """The contact row, made on first contact, written to (so locked until the commit: one
        person's messages are handled one at a time) with the channel they wrote on and the
        time: one INSERT ... ON CONFLICT DO UPDATE ... RETURNING, whichever it was."""
        upsert = _contact_upsert(is_postgres(session.get_bind()))
        parameters = {
            "address": inbound.address,
            "channel": inbound.channel,
            "now": now,
            "keep_channel": capabilities_of(inbound.channel).answers_in_response,
        }
        row = session.connection().execute(upsert, parameters).one()
        # The row as the session would have loaded it, without the ORM's insert machinery.
        contact = Contact(**row._asdict())
        make_transient_to_detached(contact)
        session.add(contact)
        return contact


_INSERT_INBOUND = insert(InboundMessage.__table__).returning(InboundMessage.__table__.c.id)


@cache
def _contact_upsert(postgres: bool) -> ReturningInsert[Any]:
    """The contact upsert of `Engine._contact`, built once per dialect."""
    dialect = postgresql if postgres else sqlite
    contacts = Contact.__table__
    upsert = dialect.insert(contacts).values(
        address=bindparam("address"),
        channel=bindparam("channel"),
        role="unknown",
        opted_out=False,
        created_at=bindparam("now"),
        last_inbound_at=bindparam("now"),
    )
    return upsert.on_conflict_do_update(
        index_elements=[contacts.c.address],
        set_={
            # A call keeps the person's channel: their messages stay where they write.
            "channel": case(
                (bindparam("keep_channel"), contacts.c.channel), else_=upsert.excluded.channel
            ),
            "last_inbound_at": upsert.excluded.created_at,
        },
    ).returning(*contacts.c)


class _Duplicate(Exception):
    """The message was handled before: its transaction is rolled back, nothing written."""


def _receipt(inbound: Inbound) -> str:
    return f"inbound|{inbound.channel}|{inbound.provider_id}"


def storable(text: str) -> str:
    """Text both databases accept: no NUL bytes, no lone surrogates, bounded length."""
    text = text[:MAX_STORED_TEXT].replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")
