"""Where each person is in the conversation: the one reader and writer of conversation state.

The engine (after a step), the programme (a notice that makes the next answer about an action
item), the idle-survey tick and the demo data all store a contact's state through here.

A survey in progress is kept only sealed with the survey key (the sealer attached to the
session, `bot.sealing.attach`). The flows stay pure and never see a sealed state: it is opened
here when read and sealed again when written. The running survey is stored as the constant
`survey / sealed` with one fixed-size sealed value holding its real step and data, compacted
first (the questions are fetched again by code), so every stored version has the same shape
and size whatever was answered. A survey parked behind something else (a language change, an
action item a leader is told about mid-survey) is sealed in place, one level down.
"""

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.db import is_postgres
from bot.models import Business, ConversationState
from bot.sealing import Sealer, Unsealable, sealer_of
from flows.conversation import compact, is_private
from flows.core import Facts, State
from flows.survey import NAME as SURVEY_FLOW
from flows.survey import resting

SEALED_STEP = "sealed"
PURPOSE = "conversation"
_HELD = "conversation.rows"


def is_sealed(flow: str, step: str) -> bool:
    """Whether a stored (flow, step) is a sealed private state."""
    return flow == SURVEY_FLOW and step == SEALED_STEP


def holds_sealed(state: State) -> bool:
    """Whether a stored state is sealed, or has a sealed survey parked one level down."""
    if is_sealed(state.flow, state.step):
        return True
    parked = state.data.get("return_to")
    return isinstance(parked, Mapping) and is_sealed(parked.get("flow", ""), parked.get("step", ""))


def seal_state(sealer: Sealer, state: State) -> State:
    """The stored form of a private state: its running survey sealed, wherever it is."""
    kept = compact(state)
    if kept.flow == SURVEY_FLOW:
        return _sealed(sealer, kept)
    parked = kept.data["return_to"]
    if is_sealed(parked["flow"], parked["step"]):
        return kept  # parked as it was stored: sealed already
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


def load_saved(
    session: Session, contact_id: int, *, fresh: bool = False
) -> tuple[State, datetime] | None:
    """The contact's state ready for a step, and when it was saved (naive UTC); None before
    their first message. `fresh` reads the row again from the database, over what this
    transaction read before.

    A sealed state is opened with the session's sealer. One sealed under a lost key cannot be
    continued: the person is back where a survey leaves them, and the answers are gone.
    """
    stored = _stored(session, contact_id, fresh=fresh)
    if stored is None:
        return None
    state = State(stored.flow, stored.step, stored.data)
    if holds_sealed(state):
        try:
            state = open_state(sealer_of(session), state)
        except Unsealable:
            leads = session.scalar(select(Business.name).where(Business.leader_id == contact_id))
            state = resting(Facts(business_name=leads))
    return state, stored.updated_at


def load_state(session: Session, contact_id: int) -> State | None:
    """The contact's state ready for a step; None before their first message."""
    saved = load_saved(session, contact_id)
    return saved[0] if saved else None


def save_state(session: Session, contact_id: int, state: State, now: datetime) -> None:
    """Store the contact's state after a step (the row is created on the first save), sealed
    with the session's sealer when private."""
    kept = seal_state(sealer_of(session), state) if is_private(state) else state
    _write(session, contact_id, kept, now)


def change_stored(
    session: Session, contact_id: int, change: Callable[[State | None], State], now: datetime
) -> None:
    """Store `change` of the contact's state as it is stored, without opening what is sealed:
    for a notice that parks wherever the person is (a sealed survey stays sealed)."""
    stored = _stored(session, contact_id)
    current = State(stored.flow, stored.step, stored.data) if stored else None
    _write(session, contact_id, change(current), now)


def current_question(session: Session, contact_id: int) -> str:
    """The name of the question the contact's state asks now (new at every write of it; empty
    before their first message). Buttons sent with a question carry it (`notify`)."""
    stored = _stored(session, contact_id)
    return stored.question if stored is not None else ""


@dataclass(frozen=True)
class _Stored:
    """A contact's row as stored (or as this transaction last wrote it)."""

    flow: str
    step: str
    data: dict[str, Any]
    question: str
    updated_at: datetime


def _held(session: Session) -> dict[int, _Stored | None]:
    """The rows read or written in this transaction, by contact, so the next read needs no
    query. None: the contact had no row when it was read."""
    held: dict[int, _Stored | None] = session.info.setdefault(_HELD, {})
    return held


def note_stored(session: Session, contact_id: int, row: Sequence[Any]) -> None:
    """Hold the contact's row as read by another statement of this transaction (the
    engine's facts read it along, `STORED_COLUMNS` in that order, each None without a row),
    so loading the state needs no query of its own."""
    _held(session)[contact_id] = _Stored(*row) if row[0] is not None else None


def _stored(session: Session, contact_id: int, *, fresh: bool = False) -> _Stored | None:
    """The contact's row as this transaction knows it, read once (again when `fresh`)."""
    held = _held(session)
    if fresh or contact_id not in held:
        row = session.connection().execute(_READ, {"contact_id": contact_id}).one_or_none()
        held[contact_id] = _Stored(*row) if row is not None else None
    return held[contact_id]


def _write(session: Session, contact_id: int, kept: State, now: datetime) -> None:
    """The row made or replaced in one statement, plain Core: the ORM's unit of work costs
    more than the write itself on every inbound message."""
    stored = _Stored(
        flow=kept.flow,
        step=kept.step,
        data=dict(kept.data),
        question=secrets.token_hex(4),  # random, so it says nothing of how far anyone got
        updated_at=now,
    )
    upsert = _upsert(is_postgres(session.get_bind()))
    session.connection().execute(upsert, {"contact_id": contact_id, **vars(stored)})
    _held(session)[contact_id] = stored


_states = ConversationState.__table__
# What a read of the row returns, in `_Stored`'s order.
STORED_COLUMNS = (
    _states.c.flow,
    _states.c.step,
    _states.c.data,
    _states.c.question,
    _states.c.updated_at,
)
_READ = select(*STORED_COLUMNS).where(_states.c.contact_id == bindparam("contact_id"))


@cache
def _upsert(postgres: bool) -> Insert:
    """INSERT ... ON CONFLICT (contact_id) DO UPDATE, built once per dialect."""
    dialect = postgresql if postgres else sqlite
    names = ("flow", "step", "data", "question", "updated_at")
    insert = dialect.insert(_states).values(
        contact_id=bindparam("contact_id"), **{name: bindparam(name) for name in names}
    )
    return insert.on_conflict_do_update(
        index_elements=[_states.c.contact_id],
        set_={name: getattr(insert.excluded, name) for name in names},
    )
