"""First contact: language, consent, and who the person is (a business leader or a worker)."""

from collections.abc import Mapping
from typing import Any

from flows.answers import fold, free_text
from flows.core import (
    Facts,
    GiveConsent,
    Lookup,
    Message,
    Option,
    Outcome,
    RegisterBusiness,
    Reply,
    SetLanguage,
    State,
    choice,
    enter,
    resume,
)
from flows.survey import join_code, survey_code
from messages import LANGUAGES
from messages import text as message_text
from messages.countries import country_name, parse_country

NAME = "onboarding"
_LANGUAGE_OPTIONS = tuple(Option(f"language.{code}") for code in LANGUAGES)
_YES_NO = (Option("common.yes"), Option("common.no"))


def _language_typed(text: str) -> str | None:
    number = choice(text, len(LANGUAGES))
    if number:
        return LANGUAGES[number - 1]
    typed = fold(text)
    for code in LANGUAGES:
        if typed in (code, fold(message_text(code, f"language.{code}"))):
            return code
    return None


def _invalid(key: str, params: Mapping[str, str | int] | None = None) -> Reply:
    return Reply(key, params or {})


class Onboarding:
    name = NAME

    def start(self, facts: Facts, data: Mapping[str, Any]) -> Outcome:
        state = State(NAME, "language", dict(data))
        return Outcome(self.prompt(state, facts), state)

    def prompt(self, state: State, facts: Facts) -> tuple[Reply, ...]:
        step = state.step
        if step == "language":
            return (Reply("onboarding.choose_language", options=_LANGUAGE_OPTIONS),)
        if step == "consent":
            return (Reply("onboarding.consent", options=_YES_NO),)
        if step == "role":
            options = (Option("onboarding.role_leader"), Option("onboarding.role_worker"))
            return (Reply("onboarding.role", options=options),)
        if step == "business_name":
            return (Reply("onboarding.business_name"),)
        if step == "place":
            return (Reply("onboarding.place"),)
        if step == "country":
            if facts.default_country:
                name = country_name(facts.default_country, facts.language)
                option = Option("common.value", {"value": name})
                return (Reply("onboarding.country_suggest", options=(option,)),)
            return (Reply("onboarding.country"),)
        if step == "confirm":
            data = state.data
            params = {
                "name": data["name"],
                "place": data["place"],
                "country": country_name(data["country"], facts.language),
            }
            options = (Option("common.yes"), Option("onboarding.start_again"))
            return (Reply("onboarding.confirm", params, options),)
        return (Reply("worker.code"),)

    def step(self, state: State, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
        handler = getattr(self, f"_on_{state.step}")
        return handler(state, message.text, facts, lookup)

    def _ask(self, state: State, facts: Facts, *before: Reply, effects: tuple = ()) -> Outcome:
        return Outcome((*before, *self.prompt(state, facts)), state, effects)

    def _retry(self, state: State, facts: Facts, key: str, **params: str | int) -> Outcome:
        """Say what is expected; for a menu the options come again in the same message."""
        (prompt,) = self.prompt(state, facts)
        if prompt.options:
            return Outcome((Reply(key, params, prompt.options),), state)
        return Outcome((Reply(key, params), prompt), state)

    def _on_language(self, state: State, text: str, facts: Facts, _: Lookup) -> Outcome:
        language = _language_typed(text)
        if language is None:
            return self._retry(state, facts, "invalid.choice", max=len(LANGUAGES))
        chosen = Facts(**{**facts.__dict__, "language": language})
        effect = (SetLanguage(language),)
        back = state.data.get("return_to")
        if back:
            resumed = State(back["flow"], back["step"], back["data"])
            return resume(resumed, effects=effect, facts=chosen)
        next_step = "role" if facts.consented else "consent"
        return self._ask(state.to(next_step), chosen, effects=effect)

    def _on_consent(self, state: State, text: str, facts: Facts, _: Lookup) -> Outcome:
        answer = choice(text, 2)
        if answer is None:
            return self._retry(state, facts, "invalid.choice", max=2)
        if answer == 2:
            return Outcome((Reply("onboarding.consent_declined"),), state)
        return self._ask(state.to("role"), facts, effects=(GiveConsent(),))

    def _on_role(self, state: State, text: str, facts: Facts, _: Lookup) -> Outcome:
        answer = choice(text, 2)
        if answer is None:
            return self._retry(state, facts, "invalid.choice", max=2)
        return self._ask(state.to("business_name" if answer == 1 else "survey_code"), facts)

    def _on_business_name(self, state: State, text: str, facts: Facts, _: Lookup) -> Outcome:
        name = free_text(text)
        if name is None:
            return self._retry(state, facts, "onboarding.name_invalid")
        return self._ask(state.to("place", name=name), facts)

    def _on_place(self, state: State, text: str, facts: Facts, _: Lookup) -> Outcome:
        place = free_text(text)
        if place is None:
            return self._retry(state, facts, "onboarding.place_invalid")
        return self._ask(state.to("country", place=place), facts)

    def _on_country(self, state: State, text: str, facts: Facts, _: Lookup) -> Outcome:
        country = parse_country(text)
        if facts.default_country and choice(text, 1):
            country = facts.default_country
        if country is None:
            return self._retry(state, facts, "onboarding.country_invalid")
        return self._ask(state.to("confirm", country=country), facts)

    def _on_confirm(self, state: State, text: str, facts: Facts, _: Lookup) -> Outcome:
        answer = choice(text, 2)
        if answer is None:
            return self._retry(state, facts, "invalid.choice", max=2)
        if answer == 2:
            return self._ask(State(NAME, "business_name", {}), facts)
        data = state.data
        register = RegisterBusiness(data["name"], data["place"], data["country"])
        registered = Reply("onboarding.registered", {"name": data["name"]})
        menu_facts = Facts(**{**facts.__dict__, "role": "leader", "business_name": data["name"]})
        return enter("menu", registered, effects=(register,), facts=menu_facts)

    def _on_survey_code(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        """A survey code typed after choosing "I have a survey code". Anything shaped like a
        code may name a survey, so whatever comes of it is kept as a survey's messages are
        (private); other text is not a code and is kept as any message is."""
        code = join_code(text) or survey_code(text)
        if code is None:
            return self._retry(state, facts, "worker.code_invalid")
        if lookup.survey_is_open(code):
            if lookup.already_answered(code):
                return Outcome((Reply("survey.already_answered"),), state, private=True)
            return enter("survey", data={"code": code})
        return Outcome((Reply("worker.code_unknown", {"code": code}),), state, private=True)
