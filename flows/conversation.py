"""One inbound message in, one outcome out: keywords first, then the current flow's step."""

from flows.core import Facts, Lookup, Message, Outcome, Reply, State
from flows.keywords import current_prompt, handle_keyword
from flows.registry import flow

MAX_TEXT = 1600


def respond(state: State | None, message: Message, facts: Facts, lookup: Lookup) -> Outcome:
    if state is None:
        started = flow("onboarding").start(facts, {})
        return handle_keyword(started.state, message, facts) or started
    handled = handle_keyword(state, message, facts)
    if handled is not None:
        return handled
    text = message.text.strip()
    if not text:
        key = "invalid.media" if message.media else "invalid.empty"
        return Outcome((Reply(key), *current_prompt(state, facts)), state)
    return flow(state.flow).step(state, Message(text[:MAX_TEXT], message.media), facts, lookup)
