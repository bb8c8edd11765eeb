"""The main menu of a registered business leader, numbered so it works on a basic phone."""

from collections.abc import Mapping
from typing import Any

from flows.core import Facts, Lookup, Message, Option, Outcome, Reply, State, choice

NAME = "menu"
_OPTIONS = (Option("menu.stage"), Option("menu.language"), Option("menu.help"))


class Menu:
    name = NAME

    def start(self, facts: Facts, data: Mapping[str, Any]) -> Outcome:
        state = State(NAME, "main", {})
        return Outcome(self.prompt(state, facts), state)

    def prompt(self, state: State, facts: Facts) -> tuple[Reply, ...]:
        return (Reply("menu.main", {"business": facts.business_name or ""}, _OPTIONS),)

    def step(self, state: State, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
        from flows.keywords import change_language, help_reply

        picked = choice(message.text, len(_OPTIONS))
        if picked is None:
            return Outcome((Reply("invalid.choice", {"max": len(_OPTIONS)}, _OPTIONS),), state)
        if picked == 1:
            stage = facts.stage or "registered"
            return Outcome(
                (Reply(f"stage.{stage}", {"business": facts.business_name or ""}),), state
            )
        if picked == 2:
            return change_language(state, facts)
        return Outcome((help_reply(),), state)
