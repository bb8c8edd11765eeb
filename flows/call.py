"""A survey phone call: the language comes with the call, then the survey code on the keypad,
then the survey itself (`flows.survey`, the same definition and rule as by text).

A channel that takes calls hands the engine a message with the keyword `CALL_STARTED` (its
text the language chosen by key) when the caller has picked a language, each key pressed as a
message's text, and `CALL_ENDED` when the line goes dead or the caller presses the stop key: a
survey in progress then ends as one walked away from (`survey.leave`), the answers given
counting and the rest skipped, exactly like STOP or the idle timeout in text.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flows.core import Effect, Facts, Lookup, Message, Outcome, Reply, SetLanguage, State, enter
from flows.survey import REPEAT, leave, resting, running, survey_code
from messages import LANGUAGES

NAME = "call"
CALL_STARTED = "call"
CALL_ENDED = "hangup"
# A call refused unanswered, to be returned (the missed-call call-back).
MISSED_CALL = "missed_call"
# Wrong codes a caller may enter before the call says goodbye (so codes cannot be guessed
# by the dozen in one call).
MAX_CODE_TRIES = 3


@dataclass(frozen=True)
class CallBack(Effect):
    """Call the person back: they rang and the call was refused unanswered, so it cost them
    nothing."""


def missed(state: State | None, facts: Facts) -> Outcome:
    """A call refused unanswered: the person is called back; where they were stays as it was."""
    return Outcome((), state if state is not None else resting(facts), (CallBack(),))


def answer(state: State | None, language: str) -> Outcome:
    """A call was answered and the caller chose `language` (a code of `LANGUAGES`): a survey
    a dropped call left running ends first, as walked away from; then the call asks for a
    survey code."""
    ended = leave(state).effects if state is not None and running(state) else ()
    return enter(NAME, data={"language": language}, effects=ended)


def hang_up(state: State | None, facts: Facts) -> Outcome:
    """The caller hung up or pressed the stop key: a running survey ends as walked away from
    (its answers so far count), a call still waiting for a code ends with nothing recorded;
    no reply (the line is gone, or the channel says goodbye itself)."""
    if state is not None and running(state) is not None:
        return leave(state)
    if state is None or state.flow == NAME:
        return Outcome((), resting(facts))
    return Outcome((), state)


class Call:
    """The steps of a call before its survey starts: the code, entered by key."""

    name = NAME

    def start(self, facts: Facts, data: Mapping[str, Any]) -> Outcome:
        language = data.get("language")
        chosen = language if language in LANGUAGES and language != facts.language else None
        state = State(NAME, "code", {"tries": 0})
        effects = (SetLanguage(chosen),) if chosen else ()
        return Outcome(self.prompt(state, facts), state, effects)

    def prompt(self, state: State, facts: Facts) -> tuple[Reply, ...]:
        return (Reply("call.enter_code"),)

    def step(self, state: State, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
        """The code keyed in. Whatever comes of it is private (kept as a survey's messages
        are), since it may name a survey: a wrong code, or one already answered."""
        if message.text.strip() == REPEAT:
            return Outcome(self.prompt(state, facts), state)
        code = survey_code(message.text)
        if code is None or not lookup.survey_is_open(code):
            tries = int(state.data.get("tries", 0)) + 1
            if tries >= MAX_CODE_TRIES:
                return Outcome((Reply("call.no_code"),), resting(facts), private=True)
            again = State(NAME, "code", {"tries": tries})
            return Outcome((Reply("call.wrong_code"),), again, private=True)
        if lookup.already_answered(code):
            return Outcome((Reply("survey.already_answered"),), resting(facts), private=True)
        return enter("survey", data={"code": code})
