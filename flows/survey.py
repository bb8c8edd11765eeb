"""The anonymous worker survey: consent, numbered questions, 0 to skip, thanks.

Answers live only in this flow's state while the survey runs (the engine seals that state with
the survey key). The state keeps only the code, the step, the answers so far and where to go
next; the questions come from the `Lookup` by code at every step (`expand`), also for a survey
closed meanwhile, so those answering can finish. Whenever the survey ends after consent (last
answer, or walked away from) it becomes one `SubmitSurveyResponse` that names no one, and the
state moves on without it. No reply repeats an answer, and a skipped question gets the same
next message as an answered one.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from flows.answers import fold
from flows.core import Effect, Facts, Lookup, Message, Option, Outcome, Reply, State, choice, enter
from messages import DEFAULT_LANGUAGE, LANGUAGES, catalogue

NAME = "survey"
CODE_LENGTH = (4, 8)
_CONSENT_OPTIONS = (Option("survey.begin"), Option("survey.decline"))
_CODE_SEPARATORS = " \t:#-."
# Asks the question again (the star key of a phone call, or typed).
REPEAT = "*"
# The parameter of a question's reply naming the survey code and question key, which a call
# plays a recording of where staff uploaded one.
RECORDING = "recording"


@dataclass(frozen=True)
class SubmitSurveyResponse(Effect):
    """A questionnaire that ended after consent (finished, stopped or timed out): the survey's
    code and the answers in question order (None for skipped or never reached), nobody's name."""

    code: str
    answers: tuple[int | None, ...]


@cache
def _words(key: str) -> frozenset[str]:
    """A word people type (JOIN, SKIP) in every supported language."""
    return frozenset(fold(catalogue(language)[key]) for language in LANGUAGES)


def survey_code(text: str) -> str | None:
    """A well-formed code (4 to 8 letters or digits, any script's digits read as 0-9), or None."""
    kept = []
    for char in fold(text):
        if char in _CODE_SEPARATORS:
            continue
        if not (char.isascii() and char.isalnum()):
            return None
        kept.append(char.upper())
    low, high = CODE_LENGTH
    return "".join(kept) if low <= len(kept) <= high else None


def join_code(text: str) -> str | None:
    """The code in 'JOIN 4821', with the join word of any supported language."""
    typed = fold(text)
    for word in _words("survey.join_word"):
        if typed.startswith(word):
            return survey_code(typed[len(word) :])
    return None


def join(
    state: State, message: Message, facts: Facts, lookup: Lookup, *, bare_code: bool
) -> Outcome | None:
    """Start the survey whose code was sent, from whatever the person was doing (`state`);
    someone who already answered it is thanked and stays where they were, and a join word
    with the code of no open survey is answered so, also staying where they were. Both are
    private: what names a survey is never kept with the person.

    `bare_code` also accepts the code alone, for a first message from a new number; a bare
    code that opens no survey is left to the person's flow (it may be a name or an answer).
    """
    joined = join_code(message.text)
    code = joined or (survey_code(message.text) if bare_code else None)
    if code is None:
        return None
    if not lookup.survey_is_open(code):
        if joined is None:
            return None
        return Outcome((Reply("worker.code_unknown", {"code": code}),), state, private=True)
    if lookup.already_answered(code):
        return Outcome((Reply("survey.already_answered"),), state, private=True)
    return Survey().start(facts, {"code": code})


def running(state: State | None) -> State | None:
    """The survey in progress in this state, also while parked behind a language change."""
    if state is None:
        return None
    if state.flow == NAME:
        return state
    parked = state.data.get("return_to")
    if isinstance(parked, Mapping) and parked.get("flow") == NAME:
        return State(NAME, parked["step"], parked["data"])
    return None


def _with_survey(state: State, change: Callable[[Mapping[str, Any]], dict[str, Any]]) -> State:
    """`state` with the running survey's data changed, wherever the survey is kept."""
    if state.flow == NAME:
        return State(NAME, state.step, change(state.data))
    parked = dict(state.data["return_to"])
    parked["data"] = change(parked["data"])
    return State(state.flow, state.step, {**state.data, "return_to": parked})


def expand(state: State, lookup: Lookup) -> State:
    """The state with the running survey's questions fetched by its code, for a step."""
    survey = running(state)
    if survey is None or survey.step != "question":
        return state
    questions = lookup.survey_questions(survey.data["code"])
    return _with_survey(state, lambda data: {**data, "questions": list(questions or [])})


def compact(state: State) -> State:
    """The state as kept between messages: the running survey without its questions."""
    survey = running(state)
    if survey is None or "questions" not in survey.data:
        return state
    return _with_survey(
        state, lambda data: {key: value for key, value in data.items() if key != "questions"}
    )


def resting(facts: Facts) -> State:
    """Where someone goes after a survey: a leader's menu, or waiting for a survey code."""
    return State(**_then(facts), data={})


def leave(state: State) -> Outcome:
    """End a survey the worker walked away from: after consent, the answers given count and the
    rest as skipped, exactly like a finished one."""
    survey = running(state) or state
    effects = (_submission(survey, survey.data["answers"]),) if "answers" in survey.data else ()
    return Outcome((), _after(survey), effects)


def _skipped(text: str) -> bool:
    """0 (in any script's digits) or the skip word of any supported language."""
    typed = fold(text)
    if 0 < len(typed) <= 3 and typed.isascii() and typed.isdigit():
        return set(typed) == {"0"}
    return typed in _words("survey.skip_word")


def localised(texts: Mapping[str, Any], language: str | None) -> Any:
    return texts.get(language or DEFAULT_LANGUAGE) or texts[DEFAULT_LANGUAGE]


def _then(facts: Facts) -> dict[str, str]:
    if facts.business_name:
        return {"flow": "menu", "step": "main"}
    return {"flow": "onboarding", "step": "survey_code"}


def _after(state: State) -> State:
    """Where the person goes once the survey ends, decided when they joined; no answers kept."""
    then = state.data.get("then") or {"flow": "onboarding", "step": "survey_code"}
    return State(then["flow"], then["step"], {})


def _submission(state: State, answers: Sequence[int | None]) -> SubmitSurveyResponse:
    return SubmitSurveyResponse(state.data["code"], tuple(answers))


class Survey:
    name = NAME

    def start(self, facts: Facts, data: Mapping[str, Any]) -> Outcome:
        state = State(NAME, "consent", {"code": data["code"], "then": _then(facts)})
        if facts.language is None:
            parked = {"flow": NAME, "step": state.step, "data": dict(state.data)}
            return enter("onboarding", data={"return_to": parked})
        return Outcome(self.prompt(state, facts), state)

    def prompt(self, state: State, facts: Facts) -> tuple[Reply, ...]:
        if state.step == "consent":
            return (Reply("survey.consent", options=_CONSENT_OPTIONS),)
        if not state.data.get("questions"):
            return (Reply("survey.closed"),)
        return (self._question(state, facts),)

    def step(self, state: State, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
        if message.text.strip() == REPEAT:
            return Outcome(self.prompt(state, facts), state)
        if state.step == "consent":
            return self._on_consent(state, message.text, facts, lookup)
        if not state.data.get("questions"):  # the survey is gone: nothing left to ask
            return Outcome((Reply("survey.closed"),), _after(state))
        return self._on_answer(state, message.text, facts)

    def _on_consent(self, state: State, text: str, facts: Facts, lookup: Lookup) -> Outcome:
        answer = choice(text, len(_CONSENT_OPTIONS))
        if answer is None:
            reply = Reply("invalid.choice", {"max": len(_CONSENT_OPTIONS)}, _CONSENT_OPTIONS)
            return Outcome((reply,), state)
        if answer == 2:
            return Outcome((Reply("survey.declined"),), _after(state))
        definition = lookup.survey_definition(state.data["code"])
        if definition is None:
            return Outcome((Reply("survey.closed"),), _after(state))
        asking = state.to("question", questions=list(definition["questions"]), answers=[])
        return Outcome(self.prompt(asking, facts), asking)

    def _on_answer(self, state: State, text: str, facts: Facts) -> Outcome:
        answers = list(state.data["answers"])
        question = self._question(state, facts)
        if _skipped(text):
            answer = None
        else:
            answer = choice(text, len(question.options))
            if answer is None:
                params = {"max": len(question.options)}
                return Outcome((Reply("survey.answer_invalid", params, question.options),), state)
        answers.append(answer)
        if len(answers) < len(state.data["questions"]):
            asking = state.to("question", answers=answers)
            return Outcome(self.prompt(asking, facts), asking)
        return Outcome((Reply("survey.thanks"),), _after(state), (_submission(state, answers),))

    @staticmethod
    def _question(state: State, facts: Facts) -> Reply:
        questions = state.data["questions"]
        number = len(state.data["answers"]) + 1
        question = questions[number - 1]
        labels = localised(question["options"], facts.language)
        params = {
            "number": number,
            "total": len(questions),
            "question": localised(question["text"], facts.language),
            # Not in the text: where a call finds a recording of this question (RECORDING).
            RECORDING: f"{state.data['code']}/{question['key']}",
        }
        options = tuple(Option("common.value", {"value": label}) for label in labels)
        return Reply("survey.question", params, options)
