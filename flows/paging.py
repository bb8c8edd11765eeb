"""Numbered lists that can grow long, cut into pages that each fit the SMS budget.

A page is the options a prompt shows: fixed options before and after, one page of items, and
"More" last while items remain. The page is kept in the conversation state, so repeating the
prompt (HELP, a wrong answer) shows exactly the same numbers.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flows.core import Option, Reply
from messages.render import render_text
from messages.sms import segments

SMS_BUDGET = 2
MAX_ITEMS = 8
MAX_LABEL = 24
MORE = Option("list.more")


def label(name: str, layer: int = 1) -> str:
    """A list entry: the name cut short, with one '>' per layer below the first."""
    short = name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 2].rstrip() + ".."
    return ">" * (layer - 1) + (" " if layer > 1 else "") + short


@dataclass(frozen=True)
class Page:
    offset: int
    ids: tuple[int, ...]
    labels: tuple[str, ...]
    remaining: int  # entries from this page's first to the end of the list

    @property
    def more(self) -> bool:
        return self.remaining > len(self.ids)

    def to_data(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "ids": list(self.ids),
            "labels": list(self.labels),
            "remaining": self.remaining,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "Page":
        return cls(data["offset"], tuple(data["ids"]), tuple(data["labels"]), data["remaining"])

    def options(
        self, lead: Sequence[Option] = (), tail: Sequence[Option] = ()
    ) -> tuple[Option, ...]:
        items = tuple(Option("common.value", {"value": text}) for text in self.labels)
        return (*lead, *items, *tail, *((MORE,) if self.more else ()))

    def picked(
        self, number: int, lead: Sequence[Option] = (), tail: Sequence[Option] = ()
    ) -> tuple[str, int]:
        """What a chosen number means: ("lead", i), ("item", id), ("tail", i) or ("more", 0)."""
        if number <= len(lead):
            return "lead", number - 1
        number -= len(lead)
        if number <= len(self.ids):
            return "item", self.ids[number - 1]
        number -= len(self.ids)
        if number <= len(tail):
            return "tail", number - 1
        return "more", 0


def page_of(
    entries: Sequence[tuple[int, str]],
    offset: int,
    language: str | None,
    prompt: Callable[[tuple[Option, ...]], Reply],
    lead: Sequence[Option] = (),
    tail: Sequence[Option] = (),
) -> Page:
    """The page starting at `offset` (wrapping to the start past the end), holding as many
    entries as fit the SMS budget with the prompt's text and fixed options around them."""
    offset = offset if 0 <= offset < len(entries) else 0
    rest = entries[offset:]
    chosen = rest[:1]
    for size in range(2, min(len(rest), MAX_ITEMS) + 1):
        candidate = Page(offset, *_split(rest[:size]), remaining=len(entries) - offset)
        body = render_text(language, prompt(candidate.options(lead, tail))).body
        if segments(body) > SMS_BUDGET:
            break
        chosen = rest[:size]
    return Page(offset, *_split(chosen), remaining=len(entries) - offset)


def _split(entries: Sequence[tuple[int, str]]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    return tuple(entry_id for entry_id, _ in entries), tuple(text for _, text in entries)
