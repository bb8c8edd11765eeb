"""The main menu of a registered business leader, numbered so it works on a basic phone."""

from collections.abc import Mapping
from typing import Any

from flows import actions, brands, supply, training
from flows.core import Facts, Lookup, Message, Option, Outcome, Reply, State, choice, enter
from flows.keywords import change_language, help_reply
from messages.dates import date_text

NAME = "menu"
_CHOICES = (
    "report",
    "chain",
    "training",
    "actions",
    "assessment",
    "stage",
    "language",
    "talk",
    "help",
    "brands",
)
_OPTIONS = tuple(Option(f"menu.{name}") for name in _CHOICES)


class Menu:
    name = NAME

    def start(self, facts: Facts, data: Mapping[str, Any]) -> Outcome:
        state = State(NAME, "main", {})
        return Outcome(self.prompt(state, facts), state)

    def prompt(self, state: State, facts: Facts) -> tuple[Reply, ...]:
        return (Reply("menu.main", {"business": facts.business_name or ""}, _OPTIONS),)

    def step(self, state: State, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
        picked = choice(message.text, len(_OPTIONS))
        if picked is None:
            return Outcome((Reply("invalid.choice", {"max": len(_OPTIONS)}, _OPTIONS),), state)
        chosen = _CHOICES[picked - 1]
        if chosen == "report":
            return supply.start_adding(facts)
        if chosen == "chain":
            return supply.show_chain(facts, lookup)
        if chosen == "training":
            return training.show_topics(facts, lookup)
        if chosen == "actions":
            return actions.show_list(facts, lookup)
        if chosen == "assessment":
            return Outcome((_assessment_date(facts, lookup),), state)
        if chosen == "stage":
            stage = facts.stage or "registered"
            return Outcome(
                (Reply(f"stage.{stage}", {"business": facts.business_name or ""}),), state
            )
        if chosen == "brands":
            return brands.show_list(facts, lookup)
        if chosen == "language":
            return change_language(state, facts)
        if chosen == "talk":
            return enter("ticket")
        return Outcome((help_reply(),), state)  # help


def _assessment_date(facts: Facts, lookup: Lookup) -> Reply:
    when = lookup.next_assessment(facts.business_id) if facts.business_id is not None else None
    if when is None:
        return Reply("assessment.not_scheduled")
    return Reply("assessment.date", {"date": date_text(facts.language, when.date())})
