"""Talking to the programme team: a leader's question becomes a ticket that staff answer from
the console (`bot.domain.tickets`).

A ticket opens when a leader asks for help on an item, picks "Talk to the programme team" in
the main menu, or writes something the current step cannot read while one of their items
waits for help. While a ticket is open, such free text goes into it instead of "invalid
choice"; MENU and the other keywords still work, and a survey reads every message itself.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flows.answers import free_text
from flows.core import Effect, Facts, Lookup, Message, Outcome, Reply, State, enter

NAME = "ticket"
MAX_TEXT = 1000
MAX_MEDIA = 10
TOPICS = ("item", "assessment", "surveys", "other")


@dataclass(frozen=True)
class WriteToTicket(Effect):
    """Add what the leader wrote to their open ticket; with none open, open one (`topic`,
    or the item waiting for help when there is one)."""

    text: str
    media: tuple[str, ...] = ()
    topic: str = "other"


class Tickets:
    name = NAME
    takes_media = True

    def start(self, facts: Facts, data: Mapping[str, Any]) -> Outcome:
        state = State(NAME, "ask", {})
        return Outcome(self.prompt(state, facts), state)

    def prompt(self, state: State, facts: Facts) -> tuple[Reply, ...]:
        return (Reply("ticket.ask"),)

    def step(self, state: State, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
        text = free_text(message.text, MAX_TEXT) or ""
        if not message.media and sum(char.isalpha() for char in text) < 2:
            return Outcome((Reply("ticket.ask_again"),), state)
        written = WriteToTicket(text, tuple(message.media[:MAX_MEDIA]), "other")
        return enter("menu", effects=(written,))


def unread(outcome: Outcome) -> bool:
    """Whether a step could not read the message (it answered "invalid choice")."""
    return bool(outcome.replies) and outcome.replies[0].key == "invalid.choice"


def into_ticket(state: State, message: Message, facts: Facts) -> Outcome | None:
    """Free text a step could not read, taken into the leader's ticket: when one is open, or
    when one of their items waits for help (which opens one). None otherwise."""
    if facts.role != "leader" or not (facts.ticket_open or facts.item_needs_help):
        return None
    text = free_text(message.text, MAX_TEXT) or ""
    if not message.media and sum(char.isalpha() for char in text) < 2:
        return None  # a stray digit or sign is a wrong answer, not a question
    written = WriteToTicket(text, tuple(message.media[:MAX_MEDIA]), "item")
    return Outcome((Reply("ticket.added"),), state, (written,))
