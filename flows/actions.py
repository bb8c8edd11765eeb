"""Remediation and corrective-action items, as the leader answers them: done, need help, a note
or a photo as evidence.

When the programme tells a leader about an item (new, changed, a reminder), `focus` makes the
leader's next answer about that item; afterwards the leader is back where they were.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flows.answers import free_text, says
from flows.core import (
    Effect,
    Facts,
    Lookup,
    Message,
    Option,
    Outcome,
    Reply,
    State,
    choice,
    enter,
    resume,
)
from flows.paging import Page, label, page_of
from flows.views import ItemView
from messages import text as message_text
from messages.dates import date_text

NAME = "actions"
MAX_NOTE = 1000
MAX_MEDIA = 10
ITEM_OPTIONS = (Option("actions.done"), Option("actions.need_help"), Option("actions.later"))
ASK = Reply("actions.ask", options=ITEM_OPTIONS)
_LIST_TAIL = (Option("actions.main_menu"),)


@dataclass(frozen=True)
class ReportOnAction(Effect):
    item_id: int
    kind: str  # done | help | note | evidence
    text: str = ""
    media: tuple[str, ...] = ()


def item_data(item: ItemView) -> dict[str, Any]:
    return {
        "id": item.id,
        "description": item.description,
        "due": item.due_on.isoformat(),
        "severity": item.severity,
    }


def notice(key: str, item: ItemView, language: str | None) -> tuple[Reply, ...]:
    """The messages telling a leader about an item: what and by when, then the question."""
    return (Reply(key, _params(item_data(item), language)), ASK)


def focus(state: State | None, item: ItemView) -> State:
    """The state after a notice about `item`: the next answer is about it, then about any item
    noticed before it and not yet answered, then the leader returns to where they were."""
    if state is not None and state.flow == NAME and state.step == "item":
        earlier = [state.data["item"]["id"], *state.data.get("queue", [])]
        queue = [item_id for item_id in earlier if item_id != item.id]
        back = state.data.get("return_to")
    else:
        queue = []
        back = {"flow": state.flow, "step": state.step, "data": dict(state.data)} if state else None
    return State(NAME, "item", {"item": item_data(item), "queue": queue, "return_to": back})


def show_list(
    facts: Facts, lookup: Lookup, *before: Reply, offset: int = 0, leaving_out: int | None = None
) -> Outcome:
    """The leader's open items, one page at a time; or a short note that there are none.

    `leaving_out` is an item finished by this very step (its change is applied after the step).
    """
    items = tuple(item for item in _open(facts, lookup) if item.id != leaving_out)
    if not items:
        return enter("menu", *before, Reply("actions.none"))
    entries = [(item.id, label(item.description)) for item in items]

    def prompt(options: tuple[Option, ...]) -> Reply:
        return Reply("actions.list", {"count": len(items)}, options)

    page = page_of(entries, offset, facts.language, prompt, tail=_LIST_TAIL)
    state = State(NAME, "list", {"page": page.to_data(), "count": len(items)})
    return Outcome((*before, *Actions().prompt(state, facts)), state)


class Actions:
    name = NAME
    takes_media = True  # a photo is evidence for the item in focus

    def start(self, facts: Facts, data: Mapping[str, Any]) -> Outcome:
        return enter("menu")

    def prompt(self, state: State, facts: Facts) -> tuple[Reply, ...]:
        if state.step == "list":
            page = Page.from_data(state.data["page"])
            params = {"count": state.data["count"]}
            return (Reply("actions.list", params, page.options(tail=_LIST_TAIL)),)
        return (Reply("actions.item", _params(state.data["item"], facts.language)), ASK)

    def step(self, state: State, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
        if state.step == "list":
            return self._on_list(state, message.text, facts, lookup)
        return self._on_item(state, message, facts, lookup)

    def _on_list(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        page = Page.from_data(state.data["page"])
        options = page.options(tail=_LIST_TAIL)
        number = choice(text, len(options))
        if number is None:
            return Outcome((Reply("invalid.choice", {"max": len(options)}, options),), state)
        kind, picked = page.picked(number, tail=_LIST_TAIL)
        if kind == "more":
            return show_list(facts, lookup, offset=page.offset + len(page.ids))
        item = next((item for item in _open(facts, lookup) if item.id == picked), None)
        if kind == "tail" or item is None:
            return enter("menu")
        chosen = State(NAME, "item", {"item": item_data(item), "queue": [], "from_list": True})
        return Outcome(self.prompt(chosen, facts), chosen)

    def _on_item(self, state: State, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
        item_id = state.data["item"]["id"]
        text = message.text
        if message.media:
            media = tuple(message.media[:MAX_MEDIA])
            evidence = ReportOnAction(item_id, "evidence", free_text(text, MAX_NOTE) or "", media)
            saved = Reply("actions.photo_saved", options=ITEM_OPTIONS)
            return Outcome((saved,), state, (evidence,))
        number = choice(text, len(ITEM_OPTIONS))
        if number is None and says(text, facts.language, "actions.done_words"):
            number = 1
        if number is None and says(text, facts.language, "actions.help_words"):
            number = 2
        if number == 1:
            done = ReportOnAction(item_id, "done")
            return self._move_on(state, facts, lookup, Reply("actions.thanks_done"), effect=done)
        if number == 2:
            # The ticket it opens tells the leader who will answer and when (domain.tickets).
            help_asked = ReportOnAction(item_id, "help")
            return self._move_on(state, facts, lookup, effect=help_asked)
        if number == 3:
            return self._move_on(state, facts, lookup)
        note = free_text(text, MAX_NOTE)
        if note is None or sum(char.isalpha() for char in note) < 2:
            return Outcome((Reply("actions.invalid", options=ITEM_OPTIONS),), state)
        saved = Reply("actions.note_saved", options=ITEM_OPTIONS)
        return Outcome((saved,), state, (ReportOnAction(item_id, "note", note),))

    def _move_on(
        self,
        state: State,
        facts: Facts,
        lookup: Lookup,
        *before: Reply,
        effect: ReportOnAction | None = None,
    ) -> Outcome:
        """Next the earlier noticed items still open, then back where the leader was."""
        effects = (effect,) if effect else ()
        answered = state.data["item"]["id"]
        if state.data.get("from_list"):
            finished = effect is not None and effect.kind == "done"
            shown = show_list(facts, lookup, *before, leaving_out=answered if finished else None)
            return shown.with_effects(*effects)
        still_open = {item.id: item for item in _open(facts, lookup)}
        queue = [item_id for item_id in state.data.get("queue", []) if item_id in still_open]
        back = state.data.get("return_to")
        if queue:
            data = {"item": item_data(still_open[queue[0]]), "queue": queue[1:], "return_to": back}
            following = State(NAME, "item", data)
            return Outcome((*before, *self.prompt(following, facts)), following, effects)
        if back:
            return resume(State(back["flow"], back["step"], back["data"]), *before, effects=effects)
        return enter("menu", *before, effects=effects)


def _open(facts: Facts, lookup: Lookup) -> tuple[ItemView, ...]:
    return lookup.open_actions(facts.business_id) if facts.business_id is not None else ()


def _params(item: Mapping[str, Any], language: str | None) -> dict[str, str | int]:
    return {
        "description": item["description"],
        "due": date_text(language, date.fromisoformat(item["due"])),
        "severity": message_text(language, f"severity.{item['severity']}"),
    }
