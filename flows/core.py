"""The vocabulary every flow speaks. Nothing here touches a database, a clock or a network."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flows.views import ItemView, LessonView, NodeView

Params = Mapping[str, str | int]


@dataclass(frozen=True)
class Option:
    """One numbered choice; SMS shows it as '1 Label', Telegram as a button that sends '1'."""

    key: str
    params: Params = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    key: str
    params: Params = field(default_factory=dict)
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Message:
    text: str
    media: tuple[str, ...] = ()


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
class Outcome:
    replies: tuple[Reply, ...]
    state: State
    effects: tuple[Effect, ...] = ()


class Flow(Protocol):
    name: str

    def start(self, facts: Facts, data: Mapping[str, Any]) -> Outcome: ...

    def step(self, state: State, message: Message, facts: Facts, lookup: Lookup) -> Outcome: ...

    def prompt(self, state: State, facts: Facts) -> tuple[Reply, ...]: ...


def choice(text: str, count: int) -> int | None:
    """The 1-based number of a numbered option; tolerates "2.", " 2 ", "#2" and other digits."""
    cleaned = text.strip().strip(".)#*").strip()
    if not cleaned.isdigit():
        return None
    try:
        number = int(cleaned)
    except ValueError:
        return None
    return number if 1 <= number <= count else None
