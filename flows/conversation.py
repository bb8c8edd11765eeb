"""One inbound message in, one outcome out: keywords, then a survey code, then the flow's step."""

from flows import survey
from flows.answers import clean
from flows.core import Facts, Lookup, Message, Outcome, Reply, State
from flows.keywords import current_prompt, handle_keyword
from flows.registry import flow

MAX_TEXT = 1600


def respond(state: State | None, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
    """The outcome of one message. Its text is cleaned once, here (`flows.answers.clean`), so
    keywords, survey codes and every step read it free of invisible characters."""
    message = Message(clean(message.text)[:MAX_TEXT], message.media)
    if state is None:
        started = flow("onboarding").start(facts, {})
        return (
            handle_keyword(started.state, message, facts)
            or survey.join(message, facts, lookup, bare_code=True)
            or started
        )
    handled = handle_keyword(state, message, facts) or survey.join(
        message, facts, lookup, bare_code=False
    )
    if handled is not None:
        return handled
    current = flow(state.flow)
    if not message.text and not (message.media and getattr(current, "takes_media", False)):
        key = "invalid.media" if message.media else "invalid.empty"
        return Outcome((Reply(key), *current_prompt(state, facts)), state)
    return current.step(state, message, facts, lookup)


def is_private(state: State | None) -> bool:
    """Messages handled while an anonymous survey runs must not be kept with the sender."""
    return survey.running(state) is not None
