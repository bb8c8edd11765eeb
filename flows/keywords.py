"""Words that work in any state and any supported language: HELP, MENU, STOP, START, LANG."""

from functools import cache

from flows.answers import fold
from flows.core import Facts, Message, OptIn, OptOut, Outcome, Reply, State
from flows.registry import flow
from messages import LANGUAGES, keyword_words

MAX_KEYWORD = 20


@cache
def _meanings() -> dict[str, str]:
    """Every keyword of every supported language, as `fold` reads it, and what it means."""
    return {
        fold(word): name
        for language in LANGUAGES
        for name, words in keyword_words(language).items()
        for word in words
    }


def keyword(text: str) -> str | None:
    """The global keyword this whole message is, in any supported language, if it is one."""
    word = fold(text)
    if not word or len(word) > MAX_KEYWORD:
        return None
    return _meanings().get(word)


def help_reply() -> Reply:
    return Reply("keyword.help")


def change_language(state: State, facts: Facts) -> Outcome:
    """Ask for a language, then come back to exactly where the person was."""
    back = {"flow": state.flow, "step": state.step, "data": dict(state.data)}
    if state.flow == "onboarding" and state.step == "language":
        back = state.data.get("return_to") or back
    # A worker who joined a survey by its code skipped onboarding's consent, yet comes back too.
    comes_back = facts.consented or state.flow != "onboarding"
    return flow("onboarding").start(facts, {"return_to": back} if comes_back else {})


def current_prompt(state: State, facts: Facts) -> tuple[Reply, ...]:
    return flow(state.flow).prompt(state, facts)


def handle_keyword(state: State, message: Message, facts: Facts) -> Outcome | None:
    """The outcome of a global keyword, or None when the message is not one."""
    word = keyword(message.text)
    if facts.opted_out:
        if word != "start":
            return Outcome((), state)
        return Outcome(
            (Reply("keyword.restarted"), *current_prompt(state, facts)), state, (OptIn(),)
        )
    if word is None:
        return None
    if word == "stop":
        return Outcome((Reply("keyword.stopped"),), state, (OptOut(),))
    if word == "help":
        return Outcome((help_reply(), *current_prompt(state, facts)), state)
    if word == "lang":
        return change_language(state, facts)
    if word == "menu" and facts.role == "leader" and facts.business_name:
        return flow("menu").start(facts, {})
    return Outcome(current_prompt(state, facts), state)
