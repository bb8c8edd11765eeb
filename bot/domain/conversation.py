"""Where each person is in the conversation: the one reader and writer of conversation state.

The engine (after a step), the programme (a notice that makes the next answer about an action
item), the idle-survey tick and the demo data all store a contact's state through here.
"""

from datetime import datetime

from sqlalchemy.orm import Session

from bot.models import ConversationState
from flows.core import State


def load_saved(
    session: Session, contact_id: int, *, fresh: bool = False
) -> tuple[State, datetime] | None:
    """The contact's stored state and when it was saved; None before their first message.

    `fresh` reads the row again from the database, over what the session already holds.
    """
    stored = session.get(ConversationState, contact_id, populate_existing=fresh)
    if stored is None:
        return None
    return State(stored.flow, stored.step, stored.data), stored.updated_at


def load_state(session: Session, contact_id: int) -> State | None:
    """The contact's stored state; None before their first message."""
    saved = load_saved(session, contact_id)
    return saved[0] if saved else None


def save_state(session: Session, contact_id: int, state: State, now: datetime) -> None:
    """Store the contact's state (the row is created on the first save)."""
    stored = session.get(ConversationState, contact_id)
    if stored is None:
        stored = ConversationState(contact_id=contact_id, flow=state.flow, step=state.step)
        session.add(stored)
    stored.flow, stored.step, stored.data = state.flow, state.step, dict(state.data)
    stored.updated_at = now
