"""Brand partners asking to see a business: the leader says yes or no over chat, and can
withdraw consent at any time from the main menu.

When a brand asks (bot/domain/brands.py), `focus` parks the leader's conversation on the
question, wherever it was, and the answer takes them back there; requests that come while one
waits are asked one after the other. From the menu, `show_list` lists the brands that may see
the business and picking one withdraws its consent.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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

NAME = "brands"
ANSWERS = (Option("common.yes"), Option("common.no"))
_LIST_TAIL = (Option("brands.main_menu"),)


@dataclass(frozen=True)
class AnswerBrandRequest(Effect):
    """The leader's answer to a brand's request (`given` True for yes)."""

    link_id: int
    given: bool


@dataclass(frozen=True)
class WithdrawBrandConsent(Effect):
    """The leader no longer lets this brand see the business."""

    link_id: int


def ask(brand: str) -> Reply:
    """The question: `<brand>` asks to see the programme status and reports. 1 Yes 2 No."""
    return Reply("brands.ask", {"brand": brand}, ANSWERS)


def focus(state: State | None, link_id: int, brand: str) -> State:
    """The state after a brand's request: the next answer is about it, then about any request
    asked before and not yet answered, then the leader returns to where they were."""
    request = {"id": link_id, "brand": brand}
    if state is not None and state.flow == NAME and state.step == "ask":
        earlier = [*state.data.get("queue", []), request]
        return State(NAME, "ask", {**state.data, "queue": earlier})
    if state is None:
        return State(NAME, "ask", {"request": request, "queue": [], "return_to": None})
    parked = state.data.get("return_to")
    if isinstance(parked, Mapping):
        # Already parked (a notice over a survey, a language change): never two levels deep,
        # so what is kept sealed stays one level down. The notice comes back after the answer.
        kept = {key: value for key, value in state.data.items() if key != "return_to"}
        after = {"flow": state.flow, "step": state.step, "data": kept}
        data = {"request": request, "queue": [], "return_to": dict(parked), "after": after}
        return State(NAME, "ask", data)
    back = {"flow": state.flow, "step": state.step, "data": dict(state.data)}
    return State(NAME, "ask", {"request": request, "queue": [], "return_to": back})


def show_list(facts: Facts, lookup: Lookup, *before: Reply, offset: int = 0) -> Outcome:
    """The brands that may see the business, numbered so picking one withdraws its consent;
    or a note that there are none and the main menu."""
    given = lookup.brand_consents(facts.business_id) if facts.business_id is not None else ()
    if not given:
        return enter("menu", *before, Reply("brands.none"))
    entries = [(link_id, label(brand)) for link_id, brand in given]

    def prompt(options: tuple[Option, ...]) -> Reply:
        return Reply("brands.list", {"count": len(entries)}, options)

    page = page_of(entries, offset, facts.language, prompt, tail=_LIST_TAIL)
    state = State(NAME, "list", {"page": page.to_data(), "count": len(entries)})
    return Outcome((*before, *Brands().prompt(state, facts)), state)


class Brands:
    name = NAME

    def start(self, facts: Facts, data: Mapping[str, Any]) -> Outcome:
        return enter("menu")

    def prompt(self, state: State, facts: Facts) -> tuple[Reply, ...]:
        if state.step == "list":
            page = Page.from_data(state.data["page"])
            options = page.options(tail=_LIST_TAIL)
            return (Reply("brands.list", {"count": state.data["count"]}, options),)
        return (ask(state.data["request"]["brand"]),)

    def step(self, state: State, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
        if state.step == "list":
            return self._on_list(state, message.text, facts, lookup)
        picked = choice(message.text, len(ANSWERS))
        if picked is None:
            return Outcome((Reply("invalid.choice", {"max": len(ANSWERS)}, ANSWERS),), state)
        request = state.data["request"]
        given = picked == 1
        said = Reply("brands.given" if given else "brands.declined", {"brand": request["brand"]})
        effect = AnswerBrandRequest(int(request["id"]), given)
        queue = list(state.data.get("queue", []))
        if queue:
            following = State(NAME, "ask", {**state.data, "request": queue[0], "queue": queue[1:]})
            return Outcome((said, *self.prompt(following, facts)), following, (effect,))
        back = state.data.get("return_to")
        after = state.data.get("after")
        if after:
            data = {**after["data"], "return_to": back}
            return resume(State(after["flow"], after["step"], data), said, effects=(effect,))
        if back:
            parked = State(back["flow"], back["step"], back["data"])
            return resume(parked, said, effects=(effect,))
        return enter("menu", said, effects=(effect,))

    def _on_list(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        page = Page.from_data(state.data["page"])
        options = page.options(tail=_LIST_TAIL)
        number = choice(text, len(options))
        if number is None:
            return Outcome((Reply("invalid.choice", {"max": len(options)}, options),), state)
        kind, picked = page.picked(number, tail=_LIST_TAIL)
        if kind == "more":
            return show_list(facts, lookup, offset=page.offset + len(page.ids))
        given = dict(lookup.brand_consents(facts.business_id)) if facts.business_id else {}
        if kind == "tail" or picked not in given:
            return enter("menu")
        withdrawn = Reply("brands.withdrawn", {"brand": given[picked]})
        return enter("menu", withdrawn, effects=(WithdrawBrandConsent(picked),))
