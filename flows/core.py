"""The vocabulary every flow speaks. Nothing here touches a database, a clock or a network."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from flows.answers import number
from flows.views import ItemView, LessonView, NodeView
from messages.reply import Option, Params, Reply

__all__ = ["Option", "Params", "Reply"]  # the message vocabulary, as flows speak it


@dataclass(frozen=True)
class Message:
    """What someone sent: its text, its attachments, and a global keyword (`stop`, `start`,
    `help`, `menu`, `lang`) when the channel recognised one itself (a Telegram command, a word
    the carrier acted on); `carrier_answered` when the carrier already replied to it."""

    text: str
    media: tuple[str, ...] = ()
    keyword: str | None = None
    carrier_answered: bool = False


@dataclass(frozen=True)
class State:
    flow: str
    step: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def to(self, step: str, **updates: Any) -> "State":
        return State(self.flow, step, {**self.data, **updates})


@dataclass(frozen=True)
class Facts:
    """What the engine knows about the contact, loaded before the step runs."""

    language: str | None = None
    role: str = "unknown"
    consented: bool = False
    opted_out: bool = False
    business_name: str | None = None
    stage: str | None = None
    default_country: str | None = None
    business_id: int | None = None
    ticket_open: bool = False  # the leader has a ticket staff have not closed
    item_needs_help: bool = False  # one of the business's items waits for help


class Lookup(Protocol):
    """Read-only questions a step may ask of the store; the engine answers them."""

    def survey_is_open(self, code: str) -> bool: ...

    def survey_definition(self, code: str) -> Mapping[str, Any] | None:
        """The questions of the open survey with this code, or None when none is open."""
        ...

    def survey_questions(self, code: str) -> Sequence[Mapping[str, Any]] | None:
        """The questions of the survey with this code, open or closed (those answering may
        finish), or None when there is none."""
        ...

    def already_answered(self, code: str) -> bool:
        """Whether the person this message is from already answered the survey with this code."""
        ...

    def supply_nodes(self, business_id: int) -> tuple[NodeView, ...]:
        """Reported nodes in tree order (each followed by those it gives work to)."""
        ...

    def lessons(self, business_id: int) -> Mapping[str, LessonView]: ...

    def checklist(self, business_id: int) -> Mapping[str, str]: ...

    def open_actions(self, business_id: int) -> tuple[ItemView, ...]: ...

    def next_assessment(self, business_id: int) -> datetime | None: ...

    def brand_consents(self, business_id: int) -> tuple[tuple[int, str], ...]:
        """The brands that may see the business now: (link id, brand name), oldest first."""
        ...


@dataclass(frozen=True)
class Effect:
    """A domain change the engine applies in the same transaction as the new state."""


@dataclass(frozen=True)
class SetLanguage(Effect):
    language: str


@dataclass(frozen=True)
class GiveConsent(Effect):
    pass


@dataclass(frozen=True)
class OptOut(Effect):
    pass


@dataclass(frozen=True)
class OptIn(Effect):
    pass


@dataclass(frozen=True)
class RegisterBusiness(Effect):
    name: str
    place: str
    country: str


@dataclass(frozen=True)
class Enter:
    """Hand the conversation to another flow by its name: that flow starts with `data`, seeing
    `facts` when given (facts this very step changes, such as a business just registered)."""

    flow: str
    data: Mapping[str, Any] = field(default_factory=dict)
    facts: Facts | None = None


@dataclass(frozen=True)
class Resume:
    """Go on in the outcome's state, whatever flow it belongs to: its prompt is asked again."""

    facts: Facts | None = None


Handover = Enter | Resume


@dataclass(frozen=True)
class Outcome:
    """What a step decided: replies, the next state, domain changes, and possibly a hand-over.

    A flow never calls another flow: it names the flow to go to (`then`), and
    `flows.conversation` resolves the name, adding that flow's replies and state.

    `private`: the message and its replies concern an anonymous survey although none runs
    before or after it (a survey code entered and refused, or the code of a survey the person
    already answered), so they are kept as a survey's are: with nothing that ties them to the
    person (`flows.conversation.is_private`).
    """

    replies: tuple[Reply, ...]
    state: State
    effects: tuple[Effect, ...] = ()
    then: Handover | None = None
    private: bool = False

    def with_effects(self, *effects: Effect) -> "Outcome":
        """The same outcome with more domain changes, applied after its own."""
        return replace(self, effects=(*self.effects, *effects))


def enter(
    flow: str,
    *before: Reply,
    data: Mapping[str, Any] | None = None,
    effects: tuple[Effect, ...] = (),
    facts: Facts | None = None,
) -> Outcome:
    """Say `before`, then hand over to the flow named `flow` (its start decides the state)."""
    handover = Enter(flow, dict(data or {}), facts)
    return Outcome(before, State(flow, "", handover.data), effects, handover)


def resume(
    state: State, *before: Reply, effects: tuple[Effect, ...] = (), facts: Facts | None = None
) -> Outcome:
    """Say `before`, then go on in `state`, asking its question again."""
    return Outcome(before, state, effects, Resume(facts))


class Flow(Protocol):
    name: str

    def start(self, facts: Facts, data: Mapping[str, Any]) -> Outcome: ...

    def step(self, state: State, message: Message, facts: Facts, lookup: Lookup) -> Outcome: ...

    def prompt(self, state: State, facts: Facts) -> tuple[Reply, ...]: ...


def choice(text: str, count: int) -> int | None:
    """The 1-based number of a numbered option, read as `flows.answers.number` reads it:
    "2", " 2 ", "2.", "#2", "2️⃣", "२" or "٢"; None when it is no option's number."""
    picked = number(text)
    return picked if picked is not None and 1 <= picked <= count else None
