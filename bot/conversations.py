"""Where a contact is in a conversation, as stored: a survey in progress is kept only sealed.

The flows stay pure and never see a sealed state: the engine (and the idle-survey job) open it
before a step and seal it again after. The running survey is stored as the constant
`survey / sealed` with one fixed-size sealed value holding its real step and data, compacted
first (the questions are fetched again by code), so every stored version has the same shape
and size whatever was answered. A survey parked behind something else (a language change, an
action item a leader is told about mid-survey) is sealed in place, one level down.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Business, ConversationState
from bot.sealing import Sealer, Unsealable
from flows.conversation import compact, is_private
from flows.core import Facts, State
from flows.survey import NAME as SURVEY_FLOW
from flows.survey import resting

SEALED_STEP = "sealed"
PURPOSE = "conversation"


def is_sealed(flow: str, step: str) -> bool:
    """Whether a stored (flow, step) is a sealed private state."""
    return flow == SURVEY_FLOW and step == SEALED_STEP


def seal_state(sealer: Sealer, state: State) -> State:
    """The stored form of a private state: its running survey sealed, wherever it is."""
    kept = compact(state)
    if kept.flow == SURVEY_FLOW:
        return _sealed(sealer, kept)
    parked = kept.data["return_to"]
    stub = _sealed(sealer, State(parked["flow"], parked["step"], parked["data"]))
    back = {"flow": stub.flow, "step": stub.step, "data": dict(stub.data)}
    return State(kept.flow, kept.step, {**kept.data, "return_to": back})


def _sealed(sealer: Sealer, survey: State) -> State:
    token = sealer.seal_json({"step": survey.step, "data": survey.data}, PURPOSE)
    return State(SURVEY_FLOW, SEALED_STEP, {"sealed": token})


def open_state(sealer: Sealer, state: State) -> State:
    """The real state behind a stored one (unchanged if nothing is sealed); Unsealable when no
    known key opens it."""
    if is_sealed(state.flow, state.step):
        opened = sealer.unseal_json(str(state.data.get("sealed", "")), PURPOSE)
        return State(SURVEY_FLOW, opened["step"], opened["data"])
    parked = state.data.get("return_to")
    if isinstance(parked, Mapping) and is_sealed(parked.get("flow", ""), parked.get("step", "")):
        inner = open_state(sealer, State(parked["flow"], parked["step"], parked["data"]))
        back = {"flow": inner.flow, "step": inner.step, "data": dict(inner.data)}
        return State(state.flow, state.step, {**state.data, "return_to": back})
    return state


def load_state(
    session: Session, sealer: Sealer, contact_id: int, stored: ConversationState | None
) -> State | None:
    """The contact's state ready for a step. A state sealed under a lost key cannot be
    continued: the person is back where a survey leaves them, and the answers are gone."""
    if stored is None:
        return None
    try:
        return open_state(sealer, State(stored.flow, stored.step, stored.data))
    except Unsealable:
        leads = session.scalar(select(Business.name).where(Business.leader_id == contact_id))
        return resting(Facts(business_name=leads))


def save_state(
    session: Session,
    sealer: Sealer,
    contact_id: int,
    stored: ConversationState | None,
    state: State,
    now: datetime,
) -> ConversationState:
    """Write the state after a step, sealed when private."""
    kept = seal_state(sealer, state) if is_private(state) else state
    if stored is None:
        stored = ConversationState(contact_id=contact_id, flow=kept.flow, step=kept.step)
        session.add(stored)
    data: dict[str, Any] = dict(kept.data)
    stored.flow, stored.step, stored.data = kept.flow, kept.step, data
    stored.updated_at = now
    return stored
