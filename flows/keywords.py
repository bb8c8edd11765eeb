"""Words that work in any state and any supported language: HELP, MENU, STOP, START, LANG,
and while opted out YES and UNSTOP."""

from functools import cache

from flows.answers import fold
from flows.core import Facts, Message, OptIn, OptOut, Outcome, Reply, State, enter, resume
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
    return enter("onboarding", data={"return_to": back} if comes_back else {})


def handle_keyword(state: State, message: Message, facts: Facts) -> Outcome | None:
    """The outcome of a global keyword, or None when the message is not one.

    The whole message is compared, as carriers do (messages/keywords.toml says whose rules):
    "End" typed as a name opts out like STOP, on every channel, because on SMS the carrier has
    already blocked the number. YES and UNSTOP are keywords only while the person is opted out,
    so they never take the place of an answer. A keyword the channel recognised itself (a
    Telegram command, a word the carrier acted on) counts whatever the text; when the carrier
    has already answered STOP or HELP, its answer is the only one the person gets.
    """
    word = message.keyword or keyword(message.text)
    if message.carrier_answered and word == "stop":
        return Outcome((), state, () if facts.opted_out else (OptOut(),))
    if message.carrier_answered and word == "help":
        return Outcome((), state)
    if facts.opted_out:
        return _while_opted_out(word, state, facts)
    if word is None or word == "resume":
        return None
    if word == "stop":
        return Outcome((Reply("keyword.stopped"),), state, (OptOut(),))
    if word == "help":
        return resume(state, help_reply())
    if word == "lang":
        return change_language(state, facts)
    if word == "menu" and facts.role == "leader" and facts.business_name:
        return enter("menu")
    return resume(state)


def _while_opted_out(word: str | None, state: State, facts: Facts) -> Outcome:
    """Someone who opted out hears nothing more, except the answer to HELP (the help text
    alone, as carriers require whether or not the person is subscribed), until START, YES or
    UNSTOP brings them back to the question they had left."""
    if word in ("start", "resume"):
        return resume(state, Reply("keyword.restarted"), effects=(OptIn(),))
    if word == "help":
        return Outcome((help_reply(),), state)
    return Outcome((), state)
