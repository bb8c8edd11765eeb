"""Supply-chain mapping: report each subcontractor or home-worker group one question at a time,
then list, change, remove and confirm what was reported.

Answers that belong together may come in one message ("12 8" or "12, 8 at home" for workers and
home-based workers); anything unclear is asked again. Who gives a group work is chosen from a
numbered list of what was already reported, so the chain becomes a tree of any depth.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flows.answers import counts, free_text, says
from flows.core import Effect, Facts, Lookup, Message, Option, Outcome, Reply, State, choice, enter
from flows.paging import Page, label, page_of
from flows.views import NodeView
from messages import text as message_text

NAME = "supply"
PAYMENT_METHODS = ("cash", "mobile_money", "bank")
MAX_ANSWER = 40
MAX_WORKERS = 100_000
ADD_ORDER = ("name", "place", "process", "workers", "parent", "payment", "confirm")
EDITABLE = ("name", "place", "process", "workers", "parent", "payment")
COLUMNS = ("name", "place", "process", "workers", "home_workers", "payment_method", "parent_id")

_TEXT = ("name", "place", "process")
_PAYMENTS = tuple(Option(f"supply.pay_{method}") for method in PAYMENT_METHODS)
_AFTER = (Option("supply.add_another"), Option("supply.my_chain"), Option("supply.main_menu"))
_LIST_TAIL = (Option("supply.add"), Option("supply.confirm_all"))
_EMPTY_LIST = (Option("supply.add"), Option("supply.main_menu"))
_PARENT_LEAD = (Option("supply.parent_us"),)
_NODE_MENU = (Option("supply.edit"), Option("supply.remove"), Option("supply.back"))
_FIELDS = tuple(Option(f"supply.field_{name}") for name in EDITABLE)
_SAVE = (Option("supply.save"), Option("supply.cancel"))
_REMOVE = (Option("supply.yes_remove"), Option("common.no"))


@dataclass(frozen=True)
class AddSupplyNode(Effect):
    name: str
    place: str
    process: str
    workers: int
    home_workers: int
    payment_method: str
    parent_id: int | None


@dataclass(frozen=True)
class UpdateSupplyNode(Effect):
    node_id: int
    changes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoveSupplyNode(Effect):
    node_id: int


@dataclass(frozen=True)
class ConfirmMapping(Effect):
    pass


def start_adding(facts: Facts, *before: Reply) -> Outcome:
    state = State(NAME, "name", {"draft": {}})
    return Outcome((*before, *Supply().prompt(state, facts)), state)


def show_chain(facts: Facts, lookup: Lookup, *before: Reply, offset: int = 0) -> Outcome:
    """The numbered list of what was reported, one page at a time, with add and confirm."""
    nodes = _nodes(facts, lookup)
    workers = sum(node.workers for node in nodes)
    entries = [(node.id, label(node.name, node.layer)) for node in nodes]

    def prompt(options: tuple[Option, ...]) -> Reply:
        return Reply("supply.list", {"count": len(nodes), "workers": workers}, options)

    page = page_of(entries, offset, facts.language, prompt, tail=_LIST_TAIL)
    data = {"page": page.to_data(), "count": len(nodes), "workers": workers}
    state = State(NAME, "list", data)
    return Outcome((*before, *Supply().prompt(state, facts)), state)


class Supply:
    name = NAME

    def start(self, facts: Facts, data: Mapping[str, Any]) -> Outcome:
        return start_adding(facts)

    def prompt(self, state: State, facts: Facts) -> tuple[Reply, ...]:
        data = state.data
        draft = data.get("draft", {})
        subject = {"name": draft.get("name") or data.get("editing", {}).get("name", "")}
        step = state.step
        if step in ("name", "place", "process", "workers"):
            return (Reply(f"supply.ask_{step}", {} if step == "name" else subject),)
        if step == "home_workers":
            return (Reply("supply.ask_home_workers", {"workers": draft["workers"]}),)
        if step == "parent":
            page = Page.from_data(data["page"])
            return (Reply("supply.ask_parent", subject, page.options(lead=_PARENT_LEAD)),)
        if step == "payment":
            return (Reply("supply.ask_payment", subject, _PAYMENTS),)
        if step == "confirm":
            return _described(draft, facts, "supply.ask_save", _SAVE)
        if step == "list":
            page = Page.from_data(data["page"])
            if not page.ids:
                return (Reply("supply.list_empty", options=_EMPTY_LIST),)
            params = {"count": data["count"], "workers": data["workers"]}
            return (Reply("supply.list", params, page.options(tail=_LIST_TAIL)),)
        if step == "node":
            return _described(data["node"], facts, "supply.node_menu", _NODE_MENU)
        if step == "field":
            return (Reply("supply.ask_field", {"name": data["node"]["name"]}, _FIELDS),)
        if step == "remove":
            return (Reply("supply.ask_remove", {"name": data["node"]["name"]}, _REMOVE),)
        return (Reply("supply.what_next", options=_AFTER),)

    def step(self, state: State, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
        if facts.business_id is None:
            return enter("onboarding")
        handler = getattr(self, f"_on_{'text' if state.step in _TEXT else state.step}")
        return handler(state, message.text, facts, lookup)

    # Answers to the questions about one entry, when adding it or changing one of its fields.

    def _on_text(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        """The name, place or work done: short words."""
        answer = free_text(text, MAX_ANSWER)
        if answer is None:
            return self._retry(state, facts, "supply.text_invalid", max=MAX_ANSWER)
        return self._answered(state, facts, lookup, **{state.step: answer})

    def _on_workers(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        numbers = counts(text)
        if numbers is None or len(numbers) not in (1, 2) or not 1 <= numbers[0] <= MAX_WORKERS:
            return self._retry(state, facts, "supply.workers_invalid", max=MAX_WORKERS)
        if len(numbers) == 1:
            draft = {**state.data.get("draft", {}), "workers": numbers[0]}
            return self._ask(State(NAME, "home_workers", {**state.data, "draft": draft}), facts)
        workers, home = numbers
        if home > workers:
            return self._retry(state, facts, "supply.home_invalid", workers=workers)
        return self._answered(state, facts, lookup, workers=workers, home_workers=home)

    def _on_home_workers(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        workers = state.data["draft"]["workers"]
        numbers = counts(text)
        if numbers is None or len(numbers) != 1 or numbers[0] > workers:
            return self._retry(state, facts, "supply.home_invalid", workers=workers)
        return self._answered(state, facts, lookup, workers=workers, home_workers=numbers[0])

    def _on_parent(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        page = Page.from_data(state.data["page"])
        options = page.options(lead=_PARENT_LEAD)
        number = choice(text, len(options))
        if number is None:
            return self._retry(state, facts, "invalid.choice", max=len(options))
        kind, picked = page.picked(number, lead=_PARENT_LEAD)
        if kind == "more":
            moved = _parent_page(state, facts, lookup, page.offset + len(page.ids))
            return self._ask(moved, facts)
        if kind == "lead":
            return self._answered(state, facts, lookup, parent_id=None)
        parent = next((node for node in _nodes(facts, lookup) if node.id == picked), None)
        if parent is None:  # removed meanwhile: show the list as it is now
            return self._ask(_parent_page(state, facts, lookup, 0), facts)
        return self._answered(state, facts, lookup, parent_id=picked, parent=parent.name)

    def _on_payment(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        number = choice(text, len(PAYMENT_METHODS))
        for index, option in enumerate(_PAYMENTS, 1):
            if number is None and says(text, facts.language, option.key):
                number = index
        if number is None:
            return self._retry(state, facts, "invalid.choice", max=len(PAYMENT_METHODS))
        return self._answered(state, facts, lookup, payment_method=PAYMENT_METHODS[number - 1])

    def _answered(self, state: State, facts: Facts, lookup: Lookup, **answers: Any) -> Outcome:
        """Move to the next question, or when changing one field, save the change."""
        draft = {**state.data.get("draft", {}), **answers}
        editing = state.data.get("editing")
        if editing is not None:
            changed = Reply("supply.updated", {"name": draft.get("name", editing["name"])}, _AFTER)
            changes = {column: value for column, value in draft.items() if column in COLUMNS}
            update = UpdateSupplyNode(editing["id"], changes)
            return Outcome((changed,), State(NAME, "after"), (update,))
        position = ADD_ORDER.index("workers" if state.step == "home_workers" else state.step)
        following = State(NAME, ADD_ORDER[position + 1], {"draft": draft})
        if following.step == "parent":
            if not _nodes(facts, lookup):
                following = State(NAME, "payment", {"draft": {**draft, "parent_id": None}})
            else:
                following = _parent_page(following, facts, lookup, 0)
        return self._ask(following, facts)

    def _on_confirm(self, state: State, text: str, facts: Facts, _: Lookup) -> Outcome:
        answer = choice(text, len(_SAVE))
        if answer is None:
            return self._retry(state, facts, "invalid.choice", max=len(_SAVE))
        draft = state.data["draft"]
        if answer == 2:
            return Outcome((Reply("supply.cancelled", options=_AFTER),), State(NAME, "after"))
        saved = Reply("supply.saved", {"name": draft["name"]}, _AFTER)
        effect = AddSupplyNode(
            draft["name"],
            draft["place"],
            draft["process"],
            draft["workers"],
            draft["home_workers"],
            draft["payment_method"],
            draft["parent_id"],
        )
        return Outcome((saved,), State(NAME, "after"), (effect,))

    # The list of what was reported, and one entry at a time.

    def _on_after(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        answer = choice(text, len(_AFTER))
        if answer is None:
            return self._retry(state, facts, "invalid.choice", max=len(_AFTER))
        if answer == 1:
            return start_adding(facts)
        if answer == 2:
            return show_chain(facts, lookup)
        return enter("menu")

    def _on_list(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        page = Page.from_data(state.data["page"])
        if not page.ids:
            answer = choice(text, len(_EMPTY_LIST))
            if answer is None:
                return self._retry(state, facts, "invalid.choice", max=len(_EMPTY_LIST))
            return start_adding(facts) if answer == 1 else enter("menu")
        options = page.options(tail=_LIST_TAIL)
        number = choice(text, len(options))
        if number is None:
            return self._retry(state, facts, "invalid.choice", max=len(options))
        kind, picked = page.picked(number, tail=_LIST_TAIL)
        if kind == "more":
            return show_chain(facts, lookup, offset=page.offset + len(page.ids))
        if kind == "tail" and picked == 0:
            return start_adding(facts)
        if kind == "tail":
            return enter("menu", Reply("supply.confirmed"), effects=(ConfirmMapping(),))
        node = next((node for node in _nodes(facts, lookup) if node.id == picked), None)
        if node is None:
            return show_chain(facts, lookup)
        parent = _name_of(node.parent_id, facts, lookup)
        return self._ask(State(NAME, "node", {"node": _node_data(node, parent)}), facts)

    def _on_node(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        answer = choice(text, len(_NODE_MENU))
        if answer is None:
            return self._retry(state, facts, "invalid.choice", max=len(_NODE_MENU))
        if answer == 3:
            return show_chain(facts, lookup)
        return self._ask(state.to("field" if answer == 1 else "remove"), facts)

    def _on_field(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        answer = choice(text, len(_FIELDS))
        if answer is None:
            return self._retry(state, facts, "invalid.choice", max=len(_FIELDS))
        node = state.data["node"]
        editing = State(NAME, EDITABLE[answer - 1], {"editing": node, "draft": {}})
        if editing.step == "parent":
            editing = _parent_page(editing, facts, lookup, 0)
        return self._ask(editing, facts)

    def _on_remove(self, state: State, text: str, facts: Facts, _: Lookup) -> Outcome:
        answer = choice(text, len(_REMOVE))
        if answer is None:
            return self._retry(state, facts, "invalid.choice", max=len(_REMOVE))
        node = state.data["node"]
        if answer == 2:
            return self._ask(state.to("node"), facts)
        removed = Reply("supply.removed", {"name": node["name"]}, _AFTER)
        return Outcome((removed,), State(NAME, "after"), (RemoveSupplyNode(node["id"]),))

    def _ask(self, state: State, facts: Facts, *before: Reply) -> Outcome:
        return Outcome((*before, *self.prompt(state, facts)), state)

    def _retry(self, state: State, facts: Facts, key: str, **params: str | int) -> Outcome:
        """Say what is expected; for a menu the options come again in the same message."""
        prompt = self.prompt(state, facts)[-1]
        if prompt.options:
            return Outcome((Reply(key, params, prompt.options),), state)
        return Outcome((Reply(key, params), prompt), state)


def _nodes(facts: Facts, lookup: Lookup) -> tuple[NodeView, ...]:
    return lookup.supply_nodes(facts.business_id) if facts.business_id is not None else ()


def _parent_page(state: State, facts: Facts, lookup: Lookup, offset: int) -> State:
    """Who can give this entry work: the business, or any entry not below the one being changed."""
    nodes = _nodes(facts, lookup)
    editing = state.data.get("editing")
    excluded = _below(editing["id"], nodes) if editing else set()
    entries = [(node.id, label(node.name, node.layer)) for node in nodes if node.id not in excluded]
    subject = {"name": state.data.get("draft", {}).get("name") or (editing or {}).get("name", "")}

    def prompt(options: tuple[Option, ...]) -> Reply:
        return Reply("supply.ask_parent", subject, options)

    page = page_of(entries, offset, facts.language, prompt, lead=_PARENT_LEAD)
    return State(NAME, "parent", {**state.data, "page": page.to_data()})


def _below(node_id: int, nodes: tuple[NodeView, ...]) -> set[int]:
    """The node and everyone who gets work from it, at any depth."""
    found = {node_id}
    for node in nodes:  # tree order: a parent always comes before those below it
        if node.parent_id in found:
            found.add(node.id)
    return found


def _name_of(node_id: int | None, facts: Facts, lookup: Lookup) -> str:
    named = {node.id: node.name for node in _nodes(facts, lookup)}
    return named.get(node_id, facts.business_name or "") if node_id else facts.business_name or ""


def _node_data(node: NodeView, parent: str) -> dict[str, Any]:
    return {
        "id": node.id,
        "name": node.name,
        "place": node.place,
        "process": node.process,
        "workers": node.workers,
        "home_workers": node.home_workers,
        "payment_method": node.payment_method,
        "parent": parent,
    }


def _described(
    entry: Mapping[str, Any], facts: Facts, question: str, options: tuple[Option, ...]
) -> tuple[Reply, ...]:
    """An entry in two short messages (who and what; numbers, layer and pay) and a question."""
    who = Reply(
        "supply.summary",
        {"name": entry["name"], "place": entry["place"], "process": entry["process"]},
    )
    details = {
        "workers": entry["workers"],
        "home": entry["home_workers"],
        "parent": entry.get("parent") or facts.business_name or "",
        "payment": message_text(facts.language, f"supply.pay_{entry['payment_method']}"),
    }
    return (who, Reply(question, details, options))
