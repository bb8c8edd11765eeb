"""Survey helpers shared by the survey tests: pooled and written responses through the real code."""

import itertools
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.domain.conversation import open_state
from bot.domain.surveys import POOL_PURPOSE, pool_response, write_pooled
from bot.models import Contact, ConversationState, PendingResponse, Survey, SurveyResponse
from flows.core import State

IDLE = timedelta(hours=24)
_numbers = itertools.count(1)


def add_responses(store, sealer, code: str, *answer_sets: Mapping, now: datetime) -> None:
    """Each answer set pooled as a different person, then the pool written if it can be."""
    with store.transaction() as session:
        for answers in answer_sets:
            assert pool_response(session, sealer, code, answers, f"+1999{next(_numbers):07d}")
        survey_id = session.scalar(select(Survey.id).where(Survey.code == code))
    write(store, sealer, survey_id, now)


def write(store, sealer, survey_id: int, now: datetime) -> int:
    """Run the pooled writer for one survey; returns how many responses it wrote."""
    with store.transaction() as session:
        return write_pooled(session, sealer, survey_id, now, IDLE).written


def written(store) -> list[dict]:
    with store.transaction() as session:
        return [row.answers for row in session.scalars(select(SurveyResponse))]


def pooled(store, sealer) -> list[dict]:
    """The pending responses, opened with the key (as only the pooled writer does)."""
    with store.transaction() as session:
        return [
            sealer.unseal_json(row.sealed, f"{POOL_PURPOSE}|{row.survey_id}")
            for row in session.scalars(select(PendingResponse))
        ]


def state_of(store, address: str) -> ConversationState:
    with store.transaction() as session:
        contact = session.scalar(select(Contact).where(Contact.address == address))
        return session.get(ConversationState, contact.id)


def opened_state(store, sealer, address: str) -> State:
    """A contact's conversation state as the engine sees it, opened with the survey key."""
    stored = state_of(store, address)
    return open_state(sealer, State(stored.flow, stored.step, stored.data))
