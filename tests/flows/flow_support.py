"""Pure transcripts: a conversation run through flows.conversation.respond, line by line, in
memory. No database: the store's answers come from `FakeLookup`, and the domain changes a step
asks for are kept as values (and the few that change what a step knows, applied to the facts).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from flows.conversation import compact, expand, respond
from flows.core import (
    Effect,
    Facts,
    GiveConsent,
    Message,
    OptIn,
    OptOut,
    Outcome,
    RegisterBusiness,
    SetLanguage,
    State,
)
from flows.views import ItemView, LessonView, NodeView


@dataclass
class FakeLookup:
    """What a step may ask of the store, answered from plain values."""

    surveys: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # open ones
    closed: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    answered: frozenset[str] = frozenset()  # codes this person already answered
    nodes: tuple[NodeView, ...] = ()
    lesson_views: Mapping[str, LessonView] = field(default_factory=dict)
    checklist_answers: Mapping[str, str] = field(default_factory=dict)
    items: tuple[ItemView, ...] = ()
    assessment: datetime | None = None
    brands: tuple[tuple[int, str], ...] = ()  # (link id, brand) with consent given

    def survey_is_open(self, code: str) -> bool:
        return code in self.surveys

    def survey_definition(self, code: str) -> Mapping[str, Any] | None:
        return self.surveys.get(code)

    def survey_questions(self, code: str) -> Sequence[Mapping[str, Any]] | None:
        definition = self.surveys.get(code) or self.closed.get(code)
        return None if definition is None else definition["questions"]

    def already_answered(self, code: str) -> bool:
        return code in self.answered

    def supply_nodes(self, business_id: int) -> tuple[NodeView, ...]:
        return self.nodes

    def lessons(self, business_id: int) -> Mapping[str, LessonView]:
        return self.lesson_views

    def checklist(self, business_id: int) -> Mapping[str, str]:
        return self.checklist_answers

    def open_actions(self, business_id: int) -> tuple[ItemView, ...]:
        return self.items

    def next_assessment(self, business_id: int) -> datetime | None:
        return self.assessment

    def brand_consents(self, business_id: int) -> tuple[tuple[int, str], ...]:
        return self.brands


LEADER = Facts(
    language="en", role="leader", consented=True, business_name="Blue Thread", business_id=7
)
STRANGER = Facts(default_country="IN")


def node(node_id: int, name: str, parent: int | None = None, layer: int = 1) -> NodeView:
    return NodeView(node_id, parent, name, "Jaipur", "stitching", 10, 4, "cash", layer)


def item(item_id: int, description: str, due: date = date(2026, 2, 1)) -> ItemView:
    return ItemView(item_id, "remediation", "major", description, due, "open")


def known(facts: Facts, effect: Effect) -> Facts:
    """What the engine would know at the next message after the domain applied `effect`."""
    if isinstance(effect, SetLanguage):
        return replace(facts, language=effect.language)
    if isinstance(effect, GiveConsent):
        return replace(facts, consented=True)
    if isinstance(effect, OptOut | OptIn):
        return replace(facts, opted_out=isinstance(effect, OptOut))
    if isinstance(effect, RegisterBusiness):
        return replace(facts, role="leader", business_name=effect.name, business_id=1)
    return facts


@dataclass
class Chat:
    """One person's conversation; `say` returns the reply keys, `effects` what the last asked."""

    facts: Facts = STRANGER
    lookup: FakeLookup = field(default_factory=FakeLookup)
    state: State | None = None
    effects: tuple[Effect, ...] = ()
    last: Outcome | None = None

    def say(self, text: str, media: tuple[str, ...] = ()) -> list[str]:
        """One message, as the engine runs it: the state kept between messages (compacted) is
        made whole (expanded) for the step."""
        state = expand(self.state, self.lookup)
        outcome = respond(state, Message(text, media), self.facts, self.lookup)
        assert outcome.then is None, "conversation.respond follows every hand-over"
        self.state, self.effects, self.last = compact(outcome.state), outcome.effects, outcome
        for effect in outcome.effects:
            self.facts = known(self.facts, effect)
        return [reply.key for reply in outcome.replies]


Line = tuple[str, Sequence[str]]  # what the person types, the keys of the replies expected


def run(chat: Chat, lines: Sequence[Line]) -> Chat:
    """Play the transcript; each line's reply keys must be exactly the expected ones."""
    for number, (typed, expected) in enumerate(lines, 1):
        keys = chat.say(typed)
        assert keys == list(expected), f"line {number} {typed!r}: {keys}"
    return chat
