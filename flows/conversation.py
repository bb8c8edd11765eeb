"""One inbound message in, one outcome out: keywords, then a survey code, then the flow's step."""

from flows import survey
from flows.core import Facts, Lookup, Message, Outcome, Reply, State
from flows.keywords import current_prompt, handle_keyword
from flows.registry import flow

MAX_TEXT = 1600


def respond(state: State | None, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
    if state is None:
        started = flow("onboarding").start(facts, {})
        return (
            handle_keyword(started.state, message, facts)
            or survey.join(started.state, message, facts, lookup, bare_code=True)
            or started
        )
    handled = handle_keyword(state, message, facts) or survey.join(
        state, message, facts, lookup, bare_code=False
    )
    if handled is not None:
        return handled
    text = message.text.strip()
    current = flow(state.flow)
    if not text and not (message.media and getattr(current, "takes_media", False)):
        key = "invalid.media" if message.media else "invalid.empty"
        return Outcome((Reply(key), *current_prompt(state, facts)), state)
    return current.step(state, Message(text[:MAX_TEXT], message.media), facts, lookup)


def is_private(state: State | None) -> bool:
    """Messages handled while an anonymous survey runs must not be kept with the sender, and
    such a state is kept only sealed."""
    return survey.running(state) is not None


def expand(state: State | None, lookup: Lookup) -> State | None:
    """A state as kept between messages, made whole for the next step (see `survey.expand`)."""
    return None if state is None else survey.expand(state, lookup)


def compact(state: State) -> State:
    """A state as it is kept between messages: nothing a lookup can give again."""
    return survey.compact(state)
