"""One inbound message, one transaction: dedupe, contact, session, flow step, state, outbox."""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

import bot.channels.registry  # noqa: F401  (declares every registered channel's capabilities)
from bot.capabilities import capabilities_of
from bot.channels.provider import Inbound
from bot.clock import Clock
from bot.db import Store
from bot.domain import apply_effect
from bot.domain.actions import open_item_views
from bot.domain.assessments import next_assessment_at
from bot.domain.business import survey_is_open
from bot.domain.conversation import load_state, save_state
from bot.domain.notify import queue_replies
from bot.domain.stage import stage_of
from bot.domain.supply import node_views
from bot.domain.surveys import open_definition
from bot.domain.training import checklist_map, lesson_views
from bot.models import Business, Contact, InboundMessage
from bot.phones import region_of
from flows.conversation import is_private, respond
from flows.core import Facts, Message
from flows.views import ItemView, LessonView, NodeView
from messages.render import Rendered

MAX_STORED_TEXT = 4096
REDACTED = "[survey answer]"
_ATTEMPTS = 3


@dataclass
class Handled:
    duplicate: bool
    replies: list[Rendered] = field(default_factory=list)


class StoreLookup:
    def __init__(self, session: Session) -> None:
        self._session = session

    def survey_is_open(self, code: str) -> bool:
        return survey_is_open(self._session, code)

    def survey_definition(self, code: str) -> Mapping[str, Any] | None:
        return open_definition(self._session, code)

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


class Engine:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def handle(self, inbound: Inbound) -> Handled:
        """Process once; a concurrent duplicate or a first-contact race is retried, then deduped.

        Raises LookupError for a message from a channel no registered module runs (a bug).
        """
        capabilities_of(inbound.channel)
        for attempt in range(_ATTEMPTS):
            try:
                with self.store.transaction() as session:
                    return self._handle(session, inbound)
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
        seen = session.scalar(
            select(InboundMessage.id).where(
                InboundMessage.channel == inbound.channel,
                InboundMessage.provider_id == inbound.provider_id,
            )
        )
        if seen is not None:
            return Handled(duplicate=True)
        contact = self._contact(session, inbound, now)
        state = load_state(session, contact.id)
        message = Message(inbound.text, inbound.media)
        outcome = respond(state, message, facts_of(session, contact), StoreLookup(session))
        # Decided before the row is written, so no version of it ever holds a survey answer.
        private = is_private(state) or is_private(outcome.state)
        record = InboundMessage(
            channel=inbound.channel,
            provider_id=inbound.provider_id,
            contact_id=contact.id,
            body=REDACTED if private else inbound.text,
            media=[] if private else list(inbound.media),
            received_at=now,
        )
        session.add(record)
        session.flush()
        for effect in outcome.effects:
            apply_effect(session, contact, effect, now)
        save_state(session, contact.id, outcome.state, now)
        contact.channel = inbound.channel
        contact.last_inbound_at = now
        replies = queue_replies(session, contact, outcome.replies, now, inbound_id=record.id)
        return Handled(False, replies)

    def _contact(self, session: Session, inbound: Inbound, now: datetime) -> Contact:
        """The contact row, locked so one person's messages are handled one at a time."""
        query = select(Contact).where(Contact.address == inbound.address).with_for_update()
        contact = session.scalar(query)
        if contact is None:
            contact = Contact(address=inbound.address, channel=inbound.channel, created_at=now)
            session.add(contact)
            session.flush()
        return contact


def storable(text: str) -> str:
    """Text both databases accept: no NUL bytes, no lone surrogates, bounded length."""
    text = text[:MAX_STORED_TEXT].replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")


def facts_of(session: Session, contact: Contact) -> Facts:
    business = session.scalar(select(Business).where(Business.leader_id == contact.id))
    return Facts(
        language=contact.language,
        role=contact.role,
        consented=contact.consented_at is not None,
        opted_out=contact.opted_out,
        business_name=business.name if business else None,
        stage=stage_of(session, business) if business else None,
        business_id=business.id if business else None,
        default_country=region_of(contact.address),
    )
